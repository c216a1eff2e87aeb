/**
 * The MQTT edge end to end over real sockets: a demo gateway connects to the embedded broker,
 * publishes QoS 1 readings and camera counts, and each PUBACK means the rows are committed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { silentLogger } from '../logger.ts';
import { testBackends } from '../testing/databases.ts';
import { startMqttEdge, type MqttEndpoints } from './start-edge.ts';

const minutesAgo = (m: number): string => new Date(Date.now() - m * 60_000).toISOString();

function connect(
  url: string,
  username: string,
  password: string,
  clientId: string,
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      username,
      password,
      clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}

function publish(client: MqttClient, topic: string, payload: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(
      topic,
      typeof payload === 'string' ? payload : JSON.stringify(payload),
      { qos: 1 },
      (error) => (error ? reject(error) : resolve()),
    );
  });
}

describe.each(testBackends)('MQTT ingest on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;
  let edge: { endpoints: MqttEndpoints; stop(timeoutMs: number): Promise<void> };
  let secrets: Record<string, string>;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-mqtt-'));
    storage = await backend.open();
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    secrets = JSON.parse(
      await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
    ) as Record<string, string>;
    const config = loadConfig({ PW_MQTT_PORT: '0', PW_MQTT_WS_PORT: '0', PW_DATA_DIR: dataDir });
    edge = await startMqttEdge({ config, storage, logger: silentLogger });
  });

  afterAll(async () => {
    for (const client of clients) client.end(true);
    await edge.stop(2_000);
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function gateway(code: string): Promise<MqttClient> {
    const client = await connect(
      edge.endpoints.url,
      code,
      secrets[code] ?? '',
      `${code}-${clients.length}`,
    );
    clients.push(client);
    return client;
  }

  it('refuses a gateway with a wrong secret', async () => {
    await expect(connect(edge.endpoints.url, 'GW-KRT-01', 'wrong', 'bad-1')).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
  });

  it('stores a reading before the PUBACK arrives', async () => {
    const client = await gateway('GW-KRT-01');
    const observedAt = minutesAgo(3);
    await publish(client, 'farms/F-KRT-01/tags/056000000000001/reading', {
      observedAt,
      lat: 50.8159,
      lon: 3.0238,
      batteryPct: 77,
    });
    const { rows } = await storage.query<{
      tag_code: string;
      battery_pct: number;
      gateway: string;
    }>(
      `select r.tag_code, r.battery_pct, g.code as gateway from tag_readings r join gateways g on g.id = r.gateway_id
       where r.tag_code = '056000000000001'`,
    );
    expect(rows).toEqual([{ tag_code: '056000000000001', battery_pct: 77, gateway: 'GW-KRT-01' }]);
  });

  it('keeps the good items of a batch and records each bad one with its reason', async () => {
    const client = await gateway('GW-KRT-01');
    const readings = [
      { tagId: 'B-1', observedAt: minutesAgo(2), lat: 50.8159, lon: 3.0238 },
      { tagId: 'B-2', observedAt: minutesAgo(2), lat: 91, lon: 3.0238 },
      { tagId: 'B-3', observedAt: minutesAgo(2), lat: 50.816, lon: 3.024 },
    ];
    await publish(client, 'farms/F-KRT-01/tags/reading-batch', { readings });
    const stored = await storage.query<{ tag_code: string }>(
      `select tag_code from tag_readings where tag_code like 'B-%' order by tag_code`,
    );
    expect(stored.rows.map((r) => r.tag_code)).toEqual(['B-1', 'B-3']);
    const rejected = await storage.query<{
      reason: string;
      details: { index: number };
      payload: Uint8Array;
    }>(
      `select reason, details, payload from rejected_messages where topic = 'farms/F-KRT-01/tags/reading-batch'`,
    );
    expect(rejected.rows).toHaveLength(1);
    expect(rejected.rows[0]?.reason).toBe('readings[1].lat 91 out of range [-90, 90] degrees');
    expect(rejected.rows[0]?.details.index).toBe(1);
    expect(JSON.parse(Buffer.from(rejected.rows[0]?.payload ?? []).toString())).toEqual(
      readings[1],
    );
  });

  it('records a malformed message whole, with its raw bytes, and still acknowledges it', async () => {
    const client = await gateway('GW-KRT-01');
    await publish(client, 'farms/F-KRT-01/tags/T-9/reading', '{"observedAt": ');
    const { rows } = await storage.query<{ reason_code: string; payload: Uint8Array }>(
      `select reason_code, payload from rejected_messages where topic = 'farms/F-KRT-01/tags/T-9/reading'`,
    );
    expect(rows[0]?.reason_code).toBe('invalid_payload');
    expect(Buffer.from(rows[0]?.payload ?? []).toString()).toBe('{"observedAt": ');
  });

  it("refuses a publish into another farm's topic, disconnects, and records the attempt", async () => {
    const client = await gateway('GW-KRT-01');
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(
      'farms/F-AAL-01/tags/X-1/reading',
      JSON.stringify({ observedAt: minutesAgo(1), lat: 50.75, lon: 4.06 }),
      { qos: 1 },
    );
    await closed;
    const stored = await storage.query<{ n: number }>(
      `select count(*)::int as n from tag_readings where tag_code = 'X-1'`,
    );
    expect(stored.rows[0]?.n).toBe(0);
    // The refusal is recorded through the batcher, a moment after the disconnect.
    let refused: Array<{ reason: string; client_id: string }> = [];
    for (let i = 0; i < 50 && refused.length === 0; i += 1) {
      refused = (
        await storage.query<{ reason: string; client_id: string }>(
          `select reason, client_id from rejected_messages where reason_code = 'not_authorized'`,
        )
      ).rows;
      if (refused.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(refused).toEqual([
      {
        reason: 'gateway GW-KRT-01 belongs to farm F-KRT-01 and may not publish for farm F-AAL-01',
        client_id: 'GW-KRT-01',
      },
    ]);
  });

  it('stores camera counts for the farm’s own cameras and refuses unknown ones', async () => {
    const client = await gateway('GW-KRT-02');
    await publish(client, 'farms/F-KRT-02/cameras/CAM-KRT-02-A/count', {
      observedAt: minutesAgo(1),
      species: 'cattle',
      count: 57,
      confidence: 0.91,
      zone: 'north paddock',
    });
    await publish(client, 'farms/F-KRT-02/cameras/CAM-NOPE/count', {
      observedAt: minutesAgo(1),
      species: 'cattle',
      count: 3,
    });
    const counts = await storage.query<{ head_count: number; source: string }>(
      `select head_count, source from camera_counts c join cameras k on k.id = c.camera_id where k.code = 'CAM-KRT-02-A'`,
    );
    expect(counts.rows).toEqual([{ head_count: 57, source: 'gateway' }]);
    const unknown = await storage.query<{ reason: string }>(
      `select reason from rejected_messages where reason_code = 'unknown_device'`,
    );
    expect(unknown.rows.map((r) => r.reason)).toEqual([
      'camera CAM-NOPE is not registered on this farm',
    ]);
  });

  it('stores 2 000 QoS 1 readings from 4 gateways exactly once, including resent ones', async () => {
    const codes = ['GW-KRT-01', 'GW-KRT-02', 'GW-AAL-01', 'GW-AAL-02'];
    const farms = ['F-KRT-01', 'F-KRT-02', 'F-AAL-01', 'F-AAL-02'];
    const connected = await Promise.all(codes.map((code) => gateway(code)));
    const start = Date.now() - 3_600_000;
    await Promise.all(
      connected.map((client, g) =>
        Promise.all(
          Array.from({ length: 500 }, (_, i) =>
            publish(client, `farms/${farms[g]}/tags/L-${g}-${i % 50}/reading`, {
              observedAt: new Date(start + Math.floor(i / 50) * 1000).toISOString(),
              lat: 50.8,
              lon: 3.02,
            }),
          ),
        ),
      ),
    );
    // A gateway resends its first 100 (it never saw the PUBACKs): nothing is stored twice.
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        publish(connected[0] as MqttClient, `farms/F-KRT-01/tags/L-0-${i % 50}/reading`, {
          observedAt: new Date(start + Math.floor(i / 50) * 1000).toISOString(),
          lat: 50.8,
          lon: 3.02,
        }),
      ),
    );
    const { rows } = await storage.query<{ n: number; distinct: number }>(
      `select count(*)::int as n, count(distinct (tag_code, observed_at))::int as distinct
       from tag_readings where tag_code like 'L-%'`,
    );
    expect(rows[0]).toEqual({ n: 2_000, distinct: 2_000 });
  });
});
