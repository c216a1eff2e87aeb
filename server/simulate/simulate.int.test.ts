/** `simulateFarms` against the real edge: batches and camera counts arrive and are stored. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemoFarms } from '../cli/simulate.ts';
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { silentLogger } from '../logger.ts';
import { startMqttEdge, type MqttEndpoints } from '../mqtt/start-edge.ts';
import { testBackends } from '../testing/databases.ts';
import { simulateFarms } from './simulate.ts';

const pglite = testBackends.filter((b) => b.name === 'pglite');

describe.each(pglite)('simulate into the edge on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;
  let edge: { endpoints: MqttEndpoints; stop(timeoutMs: number): Promise<void> };
  let secrets: Record<string, string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-sim-'));
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
    await edge?.stop(2_000);
    await storage?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('publishes grazing herds with a theft and failing tags; every fix is stored', async () => {
    const farms = await loadDemoFarms(2, secrets);
    let clock = Date.now() - 10 * 60_000;
    const events: string[] = [];
    const summary = await simulateFarms({
      brokerUrl: edge.endpoints.url,
      farms,
      animalsPerFarm: 10,
      intervalMs: 0,
      ticks: 4,
      theftCount: 3,
      theftAtTick: 1,
      failingTags: 2,
      failAtTick: 2,
      cameraUndercount: 0.5,
      now: () => new Date((clock += 60_000)),
      onTick: (tick) => events.push(...tick.events),
    });
    // 2 farms x 10 animals at ticks 0 and 1, then 8 each at ticks 2 and 3
    expect(summary.readingsSent).toBe(2 * 10 * 2 + 2 * 8 * 2);
    expect(events.some((e) => e.startsWith(`theft on ${farms[0]?.code}`))).toBe(true);
    const { rows } = await storage.query<{ n: string | number }>(
      'select count(*) as n from tag_readings',
    );
    expect(Number(rows[0]?.n)).toBe(summary.readingsSent);
    const rejected = await storage.query<{ reason_code: string }>(
      'select reason_code from rejected_messages',
    );
    expect(rejected.rows).toEqual([]);
    const counts = await storage.query<{ n: string | number }>(
      'select count(*) as n from camera_counts',
    );
    expect(summary.countsSent).toBeGreaterThan(0);
    expect(Number(counts.rows[0]?.n)).toBe(summary.countsSent);
  }, 60_000);
});
