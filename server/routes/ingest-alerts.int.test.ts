/**
 * Readings posted over HTTP (`POST /api/ingest/tag-readings`) reach the alert engine as MQTT
 * readings do: after their commit, the `onReadingsCommitted` hook hands them to the herd monitor,
 * and a pledged tag's fix outside its farm's geofence raises `tag_outside_geofence`.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertBus, type AlertEventView } from '../alerts/alert-bus.ts';
import { startAlerts, type RunningAlerts } from '../alerts/index.ts';
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { silentLogger } from '../logger.ts';
import { testBackends } from '../testing/databases.ts';

const tags = (
  JSON.parse(
    readFileSync(new URL('../../fixtures/demo/portfolio.json', import.meta.url), 'utf8'),
  ) as { earTags: Array<{ tagCode: string; herdCode: string }> }
).earTags
  .filter((t) => t.herdCode === 'H-KRT-02')
  .map((t) => t.tagCode);

// F-KRT-02: centre (3.0853, 50.8347); its east edge is the meridian 3.0902574.
const INSIDE = { lon: 3.0853, lat: 50.8347 };
const OUTSIDE = { lon: 3.0902574 + 0.003, lat: 50.8347 };

describe.each(testBackends)('HTTP-posted readings raise alerts on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;
  let alerts: RunningAlerts;
  let app: ReturnType<typeof createApp>;
  let gatewayAuth: string;
  const bus = new AlertBus();
  const published: AlertEventView[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-http-alerts-'));
    storage = await backend.open();
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    const secrets = JSON.parse(
      await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
    ) as Record<string, string>;
    gatewayAuth = 'Basic ' + Buffer.from(`GW-KRT-02:${secrets['GW-KRT-02']}`).toString('base64');
    bus.subscribe((events) => published.push(...events));
    alerts = await startAlerts({
      storage,
      bus,
      evaluationIntervalMs: 3_600_000,
      escalationIntervalMs: 3_600_000,
    });
    app = createApp({
      config: loadConfig({ PW_DATA_DIR: dataDir }),
      storage,
      storageInfo: await storage.info(),
      logger: silentLogger,
      startedAt: new Date(),
      alertBus: bus,
      onReadingsCommitted: alerts.onCommitted,
    });
  });

  afterAll(async () => {
    await alerts?.stop();
    await storage?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  const post = (readings: unknown[]) =>
    app.request('/api/ingest/tag-readings', {
      method: 'POST',
      headers: { authorization: gatewayAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ readings }),
    });

  it('raises tag_outside_geofence for a pledged tag posted outside its farm', async () => {
    const tag = tags[0] as string;
    // Two hours between the fixes: 560 m in that time is a believable walk.
    const start = Date.now() - 2 * 60 * 60_000;
    const inside = await post([
      { tagId: tag, observedAt: new Date(start).toISOString(), ...INSIDE },
    ]);
    expect(inside.status).toBe(200);
    await alerts.herdMonitor.drain();
    expect(published.filter((e) => e.alert.kind === 'tag_outside_geofence')).toEqual([]);

    const outside = await post([
      { tagId: tag, observedAt: new Date(Date.now() - 60_000).toISOString(), ...OUTSIDE },
    ]);
    expect(outside.status).toBe(200);
    expect(await outside.json()).toMatchObject({ accepted: 1, rejected: [] });
    await alerts.herdMonitor.drain();

    const raised = published.filter(
      (e) => e.type === 'raised' && e.alert.kind === 'tag_outside_geofence',
    );
    expect(raised).toHaveLength(1);
    expect(raised[0]?.alert.title).toContain(tag);
    const { rows } = await storage.query<{ evidence: { tagCode: string } }>(
      `select evidence from alerts where kind = 'tag_outside_geofence' and status = 'open'`,
    );
    expect(rows.map((r) => r.evidence.tagCode)).toEqual([tag]);
  });

  it('keeps answering the gateway when the hook fails', async () => {
    const failing = createApp({
      config: loadConfig({ PW_DATA_DIR: dataDir }),
      storage,
      storageInfo: await storage.info(),
      logger: silentLogger,
      startedAt: new Date(),
      alertBus: bus,
      onReadingsCommitted: () => {
        throw new Error('hook down');
      },
    });
    const response = await failing.request('/api/ingest/tag-readings', {
      method: 'POST',
      headers: { authorization: gatewayAuth, 'content-type': 'application/json' },
      body: JSON.stringify({
        readings: [
          { tagId: tags[1], observedAt: new Date(Date.now() - 30_000).toISOString(), ...INSIDE },
        ],
      }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ accepted: 1 });
  });
});
