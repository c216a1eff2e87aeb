/**
 * The MQTT edge on an external broker (a real mosquitto from the test command, PW_TEST_MQTT_URL):
 * the service consumes through a shared subscription and stores what gateways publish there.
 */
import { mkdtemp, rm } from 'node:fs/promises';
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
import { startMqttEdge } from './start-edge.ts';

const brokerUrl = process.env['PW_TEST_MQTT_URL'];
const howTo =
  'PW_TEST_MQTT_URL is not set: run the tests with `npm test` (it installs and starts mosquitto) or point it at an MQTT 5 broker';

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

describe('MQTT ingest from an external broker (timescaledb)', () => {
  let storage: Storage;
  let dataDir: string;
  let edge: Awaited<ReturnType<typeof startMqttEdge>>;
  let publisher: MqttClient;

  beforeAll(async () => {
    if (brokerUrl === undefined || brokerUrl === '') throw new Error(howTo);
    const backend = testBackends.find((b) => b.name === 'timescaledb');
    if (backend === undefined) throw new Error('timescaledb backend missing');
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-ext-mqtt-'));
    storage = await backend.open();
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    const group = `test-${Date.now()}`;
    const config = loadConfig({
      MQTT_URL: brokerUrl,
      PW_MQTT_SHARED_GROUP: group,
      PW_MQTT_CLIENT_ID: `pw-test-${group}`,
      PW_DATA_DIR: dataDir,
    });
    edge = await startMqttEdge({ config, storage, logger: silentLogger });
    publisher = await new Promise<MqttClient>((resolve, reject) => {
      const client = mqtt.connect(brokerUrl, {
        protocolVersion: 5,
        reconnectPeriod: 0,
        connectTimeout: 5_000,
      });
      client.once('connect', () => resolve(client));
      client.once('error', reject);
    });
  });

  afterAll(async () => {
    publisher?.end(true);
    await edge?.stop(2_000);
    await storage?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('stores readings published for a portfolio farm, once each', async () => {
    expect(edge.endpoints.embedded).toBe(false);
    const start = Date.now() - 600_000;
    await Promise.all(
      Array.from(
        { length: 300 },
        (_, i) =>
          new Promise<void>((resolve, reject) =>
            publisher.publish(
              `farms/F-KRT-01/tags/EXT-${i % 30}/reading`,
              JSON.stringify({
                observedAt: new Date(start + Math.floor(i / 30) * 1000).toISOString(),
                lat: 50.816,
                lon: 3.024,
              }),
              { qos: 1 },
              (error) => (error ? reject(error) : resolve()),
            ),
          ),
      ),
    );
    const rows = await waitFor(
      async () =>
        (
          await storage.query<{ n: number }>(
            `select count(*)::int as n from tag_readings where tag_code like 'EXT-%'`,
          )
        ).rows[0]?.n ?? 0,
      (n) => n >= 300,
      15_000,
    );
    expect(rows).toBe(300);
  });

  it('records a message for a farm that is not in the portfolio', async () => {
    publisher.publish(
      'farms/F-NOWHERE/tags/T-1/reading',
      JSON.stringify({ observedAt: new Date().toISOString(), lat: 50.8, lon: 3 }),
      { qos: 1 },
    );
    const reasons = await waitFor(
      async () =>
        (
          await storage.query<{ reason: string }>(
            `select reason from rejected_messages where reason_code = 'unknown_farm'`,
          )
        ).rows.map((r) => r.reason),
      (r) => r.length > 0,
      10_000,
    );
    expect(reasons).toEqual(['farm F-NOWHERE is not in the portfolio']);
  });
});
