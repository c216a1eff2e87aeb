import { AlertBus } from './alerts/alert-bus.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FarmCollection, Health } from './api-types.ts';
import { createApp } from './app.ts';
import { newApiKey } from './auth/tokens.ts';
import { loadConfig } from './config.ts';
import { migrate } from './db/migrate.ts';
import type { Storage } from './db/storage.ts';
import { seedDemoPortfolio } from './demo/seed-demo-portfolio.ts';
import { silentLogger } from './logger.ts';
import { testBackends } from './testing/databases.ts';

describe.each(testBackends)('HTTP API on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;
  let app: ReturnType<typeof createApp>;
  let gatewayAuth: string;
  let adminAuth: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-app-'));
    storage = await backend.open();
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    const secrets = JSON.parse(
      await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
    ) as Record<string, string>;
    gatewayAuth = 'Basic ' + Buffer.from(`GW-KRT-01:${secrets['GW-KRT-01']}`).toString('base64');
    // An admin's API key, made directly in the database: the portfolio API needs a caller.
    const key = newApiKey();
    await storage.query(
      `insert into api_keys (user_id, name, prefix, key_hash)
       select id, 'app test', $1, $2 from users where role = 'admin'`,
      [key.prefix, key.secretHash],
    );
    adminAuth = `Bearer ${key.key}`;
    const config = loadConfig({ PW_HTTP_BODY_LIMIT_BYTES: '65536', PW_INGEST_MAX_READINGS: '100' });
    app = createApp({
      config,
      storage,
      storageInfo: await storage.info(),
      logger: silentLogger,
      startedAt: new Date(),
      alertBus: new AlertBus(),
    });
  });

  afterAll(async () => {
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  function postReadings(body: string, auth = gatewayAuth) {
    return app.request('/api/ingest/tag-readings', {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body,
    });
  }

  describe('GET /healthz', () => {
    it('names the backend, its versions and the schema version', async () => {
      const response = await app.request('/healthz');
      expect(response.status).toBe(200);
      const health = (await response.json()) as Health;
      expect(health).toMatchObject({
        status: 'ok',
        backend: backend.name,
        schemaVersion: '0011',
      });
      expect(health.versions.postgres).toMatch(/^\d+\.\d+/);
      if (backend.name === 'pglite') expect(health.versions.timescaledb).toBeNull();
      else expect(health.versions.timescaledb).toMatch(/^2\.\d+/);
    });
  });

  describe('GET /api/farms', () => {
    it('refuses a caller without credentials', async () => {
      const response = await app.request('/api/farms');
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'unauthorized',
      );
    });

    it('returns the demo farms as GeoJSON with their portfolio facts', async () => {
      const response = await app.request('/api/farms', { headers: { authorization: adminAuth } });
      expect(response.status).toBe(200);
      const farms = (await response.json()) as FarmCollection;
      expect(farms.type).toBe('FeatureCollection');
      expect(farms.features.map((f) => f.properties.code)).toEqual([
        'F-AAL-01',
        'F-AAL-02',
        'F-KRT-01',
        'F-KRT-02',
      ]);
      const krt = farms.features.find((f) => f.properties.code === 'F-KRT-01');
      expect(krt?.geometry.type).toBe('Polygon');
      expect(krt?.properties.branchCode).toBe('KRT');
      expect(krt?.properties.areaM2).toBeGreaterThan(100_000);
    });
  });

  describe('errors', () => {
    it('answers an unknown route with the error envelope and a request id', async () => {
      // Without credentials everything under /api is a 401: a stranger cannot map the routes.
      expect((await app.request('/api/nothing-here')).status).toBe(401);
      const response = await app.request('/api/nothing-here', {
        headers: { authorization: adminAuth },
      });
      expect(response.status).toBe(404);
      const body = (await response.json()) as {
        error: { code: string; message: string; requestId: string };
      };
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).toBe('no route for GET /api/nothing-here');
      expect(body.error.requestId).toBe(response.headers.get('x-request-id'));
    });
  });

  describe('POST /api/ingest/tag-readings', () => {
    it('refuses missing and wrong gateway credentials with 401', async () => {
      const none = await app.request('/api/ingest/tag-readings', { method: 'POST', body: '{}' });
      expect(none.status).toBe(401);
      const wrong = await postReadings(
        '{}',
        'Basic ' + Buffer.from('GW-KRT-01:guess').toString('base64'),
      );
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { error: { message: string } }).error.message).toBe(
        'gateway credentials refused',
      );
      const unknown = await postReadings(
        '{}',
        'Basic ' + Buffer.from('GW-NOPE:guess').toString('base64'),
      );
      expect(unknown.status).toBe(401);
    });

    it('stores good readings, rejects bad ones with reasons, and keeps the rejected items', async () => {
      const readings = [
        { tagId: 'T-100', observedAt: minutesAgo(10), lat: 50.8159, lon: 3.0238, batteryPct: 80 },
        { tagId: 'T-101', observedAt: minutesAgo(10), lat: 91, lon: 3.0238 },
        { tagId: 'T-102', observedAt: minutesAgo(10), lat: 0, lon: 0 },
        { tagId: 'T-103', observedAt: minutesAgo(9), lat: 50.8159, lon: 3.0238 },
      ];
      const response = await postReadings(JSON.stringify({ readings }));
      expect(response.status).toBe(200);
      const outcome = (await response.json()) as {
        accepted: number;
        duplicates: number;
        rejected: Array<{ index: number; code: string; field: string; message: string }>;
      };
      expect(outcome.accepted).toBe(2);
      expect(outcome.duplicates).toBe(0);
      expect(outcome.rejected).toEqual([
        {
          index: 1,
          code: 'out_of_range',
          field: 'readings[1].lat',
          message: 'readings[1].lat 91 out of range [-90, 90] degrees',
        },
        {
          index: 2,
          code: 'null_island',
          field: 'readings[2].lat',
          message: 'readings[2].lat/readings[2].lon (0, 0) is a GPS fix failure, not a position',
        },
      ]);

      const stored = await storage.query<{
        reason_code: string;
        payload: Uint8Array;
        client_id: string;
      }>(
        `select reason_code, payload, client_id from rejected_messages where reason_code in ('out_of_range', 'null_island') order by id`,
      );
      expect(stored.rows.map((r) => r.reason_code)).toEqual(['out_of_range', 'null_island']);
      expect(JSON.parse(Buffer.from(stored.rows[0]?.payload ?? []).toString())).toEqual(
        readings[1],
      );
      expect(stored.rows[0]?.client_id).toBe('GW-KRT-01');

      // The gateway did not get our answer and sends the batch again: nothing is stored twice.
      const again = await postReadings(JSON.stringify({ readings: [readings[0], readings[3]] }));
      expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 2, rejected: [] });
      const count = await storage.query<{ n: number }>(
        `select count(*)::int as n from tag_readings where tag_code in ('T-100', 'T-103')`,
      );
      expect(count.rows[0]?.n).toBe(2);
    });

    it('answers malformed JSON with 400 and records the raw body', async () => {
      const response = await postReadings('{"readings": [');
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_input');
      expect(body.error.message).toMatch(/^body is not valid JSON/);
      const stored = await storage.query<{ payload: Uint8Array }>(
        `select payload from rejected_messages where reason like 'body is not valid JSON%' order by id desc limit 1`,
      );
      expect(Buffer.from(stored.rows[0]?.payload ?? []).toString()).toBe('{"readings": [');
    });

    it('refuses an empty or oversized batch with the rule', async () => {
      const empty = await postReadings('{"readings": []}');
      expect(empty.status).toBe(400);
      expect(((await empty.json()) as { error: { message: string } }).error.message).toBe(
        'readings must be an array of 1-100 readings, got an array of 0',
      );
      const many = Array.from({ length: 101 }, (_, i) => ({
        tagId: `T-${i}`,
        observedAt: minutesAgo(5),
        lat: 50.8,
        lon: 3,
      }));
      const tooMany = await postReadings(JSON.stringify({ readings: many }));
      expect(tooMany.status).toBe(400);
    });

    it('answers 413 for a body over the limit', async () => {
      const response = await postReadings('x'.repeat(70_000));
      expect(response.status).toBe(413);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'payload_too_large',
      );
    });
  });
});
