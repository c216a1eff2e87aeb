/**
 * Durable ingest through a database outage: 4 demo gateways publish 20 000 unique QoS 1 readings
 * to the embedded broker while the database is stopped for 10 s part-way. Acknowledgements stall
 * (a PUBACK means committed, and the gateways' bounded in-flight windows make that backpressure),
 * the batcher retries, the database comes back, and in the end every reading is acknowledged and
 * stored exactly once.
 *
 * One gateway starts publishing only once the database is down, so messages also arrive during
 * the outage. Wherever the edge needs the database before it can queue a message, handling fails,
 * the broker closes the connection without PUBACK, reconnects are refused (CONNACK 3: the
 * authenticator needs the database) until it is back, and the gateway then redelivers: that path
 * must lose and duplicate nothing either.
 *
 * The test runs its own throwaway cluster (`scripts/pg-cluster.sh`), so halting it harms no other
 * test; it needs PostgreSQL with TimescaleDB installed (`scripts/test.sh` installs it in CI).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import { openPgStorage } from '../db/pg-storage.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { createLogger } from '../logger.ts';
import { startMqttEdge, type MqttEndpoints } from './start-edge.ts';

const run = promisify(execFile);
const pgClusterScript = fileURLToPath(new URL('../../scripts/pg-cluster.sh', import.meta.url));

const gateways = [
  { code: 'GW-KRT-01', farm: 'F-KRT-01' },
  { code: 'GW-KRT-02', farm: 'F-KRT-02' },
  { code: 'GW-AAL-01', farm: 'F-AAL-01' },
  { code: 'GW-AAL-02', farm: 'F-AAL-02' },
] as const;
const totalReadings = 20_000;
const readingsPerGateway = totalReadings / gateways.length;
/**
 * Each tag's fixes are published together, one tag after another, so tags the edge has never seen
 * keep arriving during the outage too (any per-tag lookup then fails and must be retried).
 */
const readingsPerTag = 100;
/** Unacknowledged publishes each gateway keeps in flight: its share of the backpressure. */
const inflightPerClient = 50;
const haltAfterAcks = 5_000;
const outageMs = 10_000;
/** From the resume until the last PUBACK. */
const allAckedWithinMs = 120_000;
/** Tag codes of this test; the demo seed has none like them. */
const tagPrefix = 'OUTAGE-';

/** Runs a `pg-cluster.sh` subcommand; its stdout (a URL, or nothing) trimmed. */
async function pgCluster(command: 'start' | 'halt' | 'resume' | 'stop', dir: string) {
  const { stdout } = await run('bash', [pgClusterScript, command, dir], { timeout: 90_000 });
  return stdout.trim();
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves when `condition` holds, or rejects with `what` after `timeoutMs`. */
async function waitUntil(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** What the gateways saw, for the assertions and the printed figures. */
interface Tally {
  acked: number;
  /** Time of every PUBACK, in arrival order. */
  readonly ackTimes: number[];
  maxAckLatencyMs: number;
  readonly publishErrors: string[];
  readonly clientErrors: string[];
  reconnects: number;
}

describe('MQTT ingest through a 10 s database outage', () => {
  let clusterDir: string | null = null;
  let dataDir: string | null = null;
  let storage: Storage | null = null;
  let edge: { endpoints: MqttEndpoints; stop(timeoutMs: number): Promise<void> } | null = null;
  let secrets: Record<string, string> = {};
  const clients: MqttClient[] = [];
  /** The edge's warnings and errors, counted by message. */
  const edgeLog = new Map<
    string,
    { count: number; firstAt: number; lastAt: number; lastError: unknown }
  >();
  let stopPublishing = false;

  beforeAll(async () => {
    // Short: the cluster's unix socket lives in this directory (pg-cluster.sh allows 90 chars).
    clusterDir = await mkdtemp(path.join('/tmp', 'pw-outage-pg.'));
    const url = await pgCluster('start', clusterDir);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-outage-'));
    const config = loadConfig({
      PW_MQTT_PORT: '0',
      PW_MQTT_WS_PORT: '0',
      PW_DATA_DIR: dataDir,
      DATABASE_URL: url,
    });
    storage = openPgStorage({ connectionString: url, poolMax: config.dbPoolMax });
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    secrets = JSON.parse(
      await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
    ) as Record<string, string>;
    const logger = createLogger({
      level: 'warn',
      write: (line) => {
        const { msg, error, reason } = JSON.parse(line) as {
          msg: string;
          error?: unknown;
          reason?: unknown;
        };
        const now = Date.now();
        const seen = edgeLog.get(msg) ?? { count: 0, firstAt: now, lastAt: now, lastError: null };
        edgeLog.set(msg, {
          ...seen,
          count: seen.count + 1,
          lastAt: now,
          lastError: error ?? reason ?? null,
        });
      },
    });
    edge = await startMqttEdge({ config, storage, logger });
  }, 120_000);

  afterAll(async () => {
    // Each step on its own: one failing must not leave the cluster or a socket behind.
    stopPublishing = true;
    const steps: Array<[string, () => Promise<unknown>]> = [
      ['close clients', () => Promise.all(clients.map((c) => c.endAsync(true)))],
      ['stop edge', () => edge?.stop(5_000) ?? Promise.resolve()],
      ['close storage', () => storage?.close() ?? Promise.resolve()],
      [
        'stop cluster',
        () => (clusterDir === null ? Promise.resolve() : pgCluster('stop', clusterDir)),
      ],
      [
        'remove data dir',
        () =>
          dataDir === null ? Promise.resolve() : rm(dataDir, { recursive: true, force: true }),
      ],
    ];
    const failures: unknown[] = [];
    for (const [name, step] of steps) {
      try {
        await step();
      } catch (error) {
        failures.push(new Error(`cleanup: ${name} failed`, { cause: error }));
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'cleanup failed');
  }, 120_000);

  /**
   * A gateway that survives the outage: a persistent session (clean: false), so publishes not yet
   * acknowledged are sent again after a reconnect, and reconnecting even after CONNACK 3 (server
   * unavailable), which the broker answers while the database cannot authenticate anyone.
   */
  async function connectGateway(code: string, tally: Tally): Promise<MqttClient> {
    const url = edge?.endpoints.url ?? '';
    const client = mqtt.connect(url, {
      username: code,
      password: secrets[code] ?? '',
      clientId: `${code}-outage`,
      clean: false,
      reconnectPeriod: 500,
      reconnectOnConnackError: true,
      connectTimeout: 5_000,
    });
    clients.push(client);
    client.on('error', (error) => tally.clientErrors.push(`${code}: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    client.on('connect', () => (tally.reconnects += 1));
    return client;
  }

  /** Publishes this gateway's share with at most `inflightPerClient` unacknowledged at a time. */
  async function publishShare(
    client: MqttClient,
    g: number,
    start: number,
    tally: Tally,
    begin: Promise<void>,
  ) {
    const { farm } = gateways[g] ?? gateways[0];
    let next = 0;
    await begin;
    const worker = async () => {
      while (!stopPublishing && next < readingsPerGateway) {
        const i = next++;
        const topic = `farms/${farm}/tags/${tagPrefix}${g}-${Math.floor(i / readingsPerTag)}/reading`;
        const reading = {
          // One fix a second per tag, standing still, two hours ago: unique (tag, observedAt).
          observedAt: new Date(start + (i % readingsPerTag) * 1_000).toISOString(),
          lat: 50.8,
          lon: 3.02,
        };
        const sentAt = Date.now();
        await new Promise<void>((resolve) => {
          client.publish(topic, JSON.stringify(reading), { qos: 1 }, (error) => {
            if (error) {
              tally.publishErrors.push(`${topic}: ${error.message}`);
            } else {
              const now = Date.now();
              tally.acked += 1;
              tally.ackTimes.push(now);
              tally.maxAckLatencyMs = Math.max(tally.maxAckLatencyMs, now - sentAt);
            }
            resolve();
          });
        });
      }
    };
    await Promise.all(Array.from({ length: inflightPerClient }, worker));
  }

  it('stores all 20 000 QoS 1 readings exactly once', { timeout: 240_000 }, async () => {
    const dir = clusterDir ?? '';
    const db = storage;
    if (db === null) throw new Error('storage did not open');
    const tally: Tally = {
      acked: 0,
      ackTimes: [],
      maxAckLatencyMs: 0,
      publishErrors: [],
      clientErrors: [],
      reconnects: 0,
    };
    const connected = await Promise.all(gateways.map((g) => connectGateway(g.code, tally)));
    const start = Date.now() - 2 * 3_600_000;
    // The last gateway starts publishing only once the database is down: its messages reach the
    // edge during the outage (the others' windows are full of unacknowledged ones by then).
    let startLate = (): void => undefined;
    const late = new Promise<void>((resolve) => (startLate = resolve));
    const publishing = Promise.all(
      connected.map((c, g) =>
        publishShare(c, g, start, tally, g === gateways.length - 1 ? late : Promise.resolve()),
      ),
    );

    await waitUntil(() => tally.acked >= haltAfterAcks, 60_000, `${haltAfterAcks} PUBACKs`);
    const ackedBeforeHalt = tally.acked;
    const haltStartedAt = Date.now();
    await pgCluster('halt', dir);
    const haltedAt = Date.now();
    startLate();
    const ackedAtHalt = tally.acked;
    await sleep(outageMs);
    const ackedDuringOutage = tally.acked - ackedAtHalt;
    await pgCluster('resume', dir);
    const resumedAt = Date.now();

    let timer: NodeJS.Timeout | undefined;
    const allAcked = await Promise.race([
      publishing.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), allAckedWithinMs))),
    ]);
    clearTimeout(timer);
    const lastAckAt = tally.ackTimes.at(-1) ?? resumedAt;
    const firstAckAfterResume = tally.ackTimes.find((t) => t >= resumedAt) ?? null;
    let longestAckGapMs = 0;
    for (let k = 1; k < tally.ackTimes.length; k += 1) {
      longestAckGapMs = Math.max(
        longestAckGapMs,
        (tally.ackTimes[k] ?? 0) - (tally.ackTimes[k - 1] ?? 0),
      );
    }
    const { rows } = await db.query<{ n: number; distinct: number }>(
      `select count(*)::int as n, count(distinct (tag_code, observed_at))::int as distinct
       from tag_readings where tag_code like '${tagPrefix}%'`,
    );
    const rejected = await db.query<{ reason_code: string; n: number }>(
      `select reason_code, count(*)::int as n from rejected_messages
       where topic like 'farms/%/tags/${tagPrefix}%' group by reason_code`,
    );

    const figures = {
      published: totalReadings,
      acked: tally.acked,
      ackedBeforeHalt,
      ackedWhileHalting: ackedAtHalt - ackedBeforeHalt,
      ackedDuringOutage,
      haltTookMs: haltedAt - haltStartedAt,
      outageMs: resumedAt - haltedAt,
      longestAckGapMs,
      firstAckAfterResumeMs: firstAckAfterResume === null ? null : firstAckAfterResume - resumedAt,
      resumeToLastAckMs: lastAckAt - resumedAt,
      maxPubackLatencyMs: tally.maxAckLatencyMs,
      batcherFailedAttempts: edgeLog.get('ingest write failed; retrying')?.count ?? 0,
      messagesNotHandled:
        edgeLog.get('mqtt publish not handled: not acknowledged, closing the connection')?.count ??
        0,
      reconnects: tally.reconnects,
      clientErrors: tally.clientErrors.length,
      publishErrors: tally.publishErrors.length,
      stored: rows[0]?.n ?? 0,
      storedDistinct: rows[0]?.distinct ?? 0,
      rejected: Object.fromEntries(rejected.rows.map((r) => [r.reason_code, r.n])),
      // Each warning: how often, and first and last time in ms after the database went down.
      edgeWarnings: Object.fromEntries(
        [...edgeLog].map(([msg, e]) => [
          msg,
          `${e.count}x, ${e.firstAt - haltedAt}..${e.lastAt - haltedAt} ms, last error: ${JSON.stringify(e.lastError)}`,
        ]),
      ),
    };
    process.stdout.write(`db outage figures: ${JSON.stringify(figures, null, 2)}\n`);

    expect(allAcked, `all PUBACKs within ${allAckedWithinMs} ms of the resume`).toBe(true);
    expect(tally.publishErrors.slice(0, 5)).toEqual([]);
    expect(tally.acked).toBe(totalReadings);
    expect(rows[0]).toEqual({ n: totalReadings, distinct: totalReadings });
    // The outage was real: the edge's database work failed (a write retried by the batcher, or a
    // message left unacknowledged because its tag's lookup failed: which of the two depends on
    // what was in flight when the server went down), and the acks stalled meanwhile.
    expect(figures.batcherFailedAttempts + figures.messagesNotHandled).toBeGreaterThan(0);
    expect(longestAckGapMs).toBeGreaterThanOrEqual(outageMs);
  });
});
