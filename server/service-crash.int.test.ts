/**
 * Acceptance: the service is killed (SIGKILL) in the middle of a bulk write and restarted.
 * Nothing that was acknowledged is lost, nothing is written twice.
 *
 * The real service runs as a child process (`node bin/pledgewatch.js serve`), once per backend: on a
 * fresh TimescaleDB database (DATABASE_URL), and on the embedded PGlite database in its data folder
 * (no DATABASE_URL). A gateway posts batches of ear-tag readings over HTTP, several at a time.
 *
 * The stored rows are read behind the service's back: over a direct `pg` connection for TimescaleDB,
 * and for PGlite by opening the data folder in this process. PGlite has one owner at a time, so the
 * rows are read only while no service runs: after the kill (before the restart) and after the stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteStorage } from './db/pglite-storage.ts';
import { createTestDatabase } from './testing/databases.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const gatewayCode = 'GW-KRT-01';
const batchCount = 16;
const batchSize = 2_000;
const concurrency = 4;
/** The kill lands right after this many acknowledgements, with the other requests still pending. */
const killAfterAcks = 5;
const tagsPerBatch = 100;
// Generous: on a loaded two-core machine the embedded database alone has taken 25 s to start.
// The test is about what survives the kill, not about start-up speed.
const deadlineMs = 150_000;

interface Reading {
  readonly tagId: string;
  readonly observedAt: string;
  readonly lat: number;
  readonly lon: number;
  readonly temperatureC: number;
  readonly batteryPct: number;
}

interface IngestAnswer {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: readonly unknown[];
}

interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logLines: readonly string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Batch b holds `tagsPerBatch` tags at `batchSize / tagsPerBatch` whole seconds of its own. */
function buildBatches(start: Date): Reading[][] {
  const secondsPerBatch = batchSize / tagsPerBatch;
  return Array.from({ length: batchCount }, (_, b) =>
    Array.from({ length: batchSize }, (_, i) => {
      const tag = i % tagsPerBatch;
      const second = b * secondsPerBatch + Math.floor(i / tagsPerBatch);
      return {
        tagId: `CRASH-${String(tag).padStart(3, '0')}`,
        observedAt: new Date(start.getTime() + second * 1000).toISOString(),
        lat: 50.85 + tag * 1e-5,
        lon: 3.12 + (second % 60) * 1e-5,
        temperatureC: 38.5,
        batteryPct: 80,
      };
    }),
  );
}

const keyOf = (tagId: string, observedAt: Date | string): string =>
  `${tagId}|${new Date(observedAt).getTime()}`;

function remainingMs(deadline: number): number {
  const left = deadline - Date.now();
  if (left <= 0) throw new Error('global test deadline passed');
  return left;
}

function spawnService(env: Record<string, string>, deadline: number): Promise<ServiceProcess> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('PW_') && name !== 'DATABASE_URL' && name !== 'MQTT_URL',
    ),
  );
  const child = spawn(process.execPath, ['bin/pledgewatch.js', 'serve'], {
    cwd: projectRoot,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logLines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  child.stdout?.resume();
  let pending = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error(`service did not log "listening" in time:\n${logLines.join('\n')}`));
      },
      Math.min(90_000, remainingMs(deadline)),
    );
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        logLines.push(line);
        const entry = parseLogLine(line);
        if (entry?.msg === 'listening' && typeof entry['url'] === 'string') {
          clearTimeout(timer);
          resolve({ child, url: entry['url'], logLines, exited });
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`service exited (${code ?? signal}) before listening:\n${logLines.join('\n')}`),
      );
    });
  });
}

function parseLogLine(line: string): ({ msg?: string } & Record<string, unknown>) | null {
  try {
    return JSON.parse(line) as { msg?: string } & Record<string, unknown>;
  } catch {
    return null; // not a log line (a stray warning): ignored on purpose
  }
}

async function waitForExit(
  service: ServiceProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`service still running after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([service.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function postBatch(
  url: string,
  authorization: string,
  readings: readonly Reading[],
  deadline: number,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}/api/ingest/tag-readings`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ readings }),
    signal: AbortSignal.timeout(remainingMs(deadline)),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

function isFullAck(answer: { status: number; body: unknown }, size: number): boolean {
  const body = answer.body as Partial<IngestAnswer> | null;
  return (
    answer.status === 200 &&
    typeof body?.accepted === 'number' &&
    typeof body.duplicates === 'number' &&
    body.accepted + body.duplicates === size &&
    Array.isArray(body.rejected) &&
    body.rejected.length === 0
  );
}

/** Reads the stored rows; opened only while no service runs. */
interface RowReader {
  query<Row extends Record<string, unknown>>(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

/** A fresh, empty database for one run of the service. */
interface CrashDatabase {
  /** What the service's env adds to the PW_* variables: DATABASE_URL, or nothing for PGlite. */
  readonly env: Readonly<Record<string, string>>;
  /** The pid lock file the service holds while it runs, or null when it holds none. */
  readonly lockFile: string | null;
  openReader(): Promise<RowReader>;
  drop(): Promise<void>;
}

interface CrashBackend {
  readonly name: 'timescaledb' | 'pglite';
  create(dataDir: string): Promise<CrashDatabase>;
}

const backends: readonly CrashBackend[] = [
  {
    name: 'timescaledb',
    create: async () => {
      const database = await createTestDatabase();
      return {
        env: { DATABASE_URL: database.url },
        lockFile: null,
        openReader: async () => {
          const client = new pg.Client({ connectionString: database.url });
          await client.connect();
          return {
            query: async <Row extends Record<string, unknown>>(sql: string) =>
              (await client.query<Row>(sql)).rows,
            close: () => client.end(),
          };
        },
        drop: () => database.drop(),
      };
    },
  },
  {
    name: 'pglite',
    create: (dataDir) =>
      Promise.resolve({
        env: {},
        lockFile: path.join(dataDir, 'pglite.lock'),
        openReader: async () => {
          // Takes over the lock a killed service left behind, and replays its WAL.
          const storage = await openPgliteStorage({ dataDir });
          return {
            query: async <Row extends Record<string, unknown>>(sql: string) =>
              (await storage.query<Row>(sql)).rows,
            close: () => storage.close(),
          };
        },
        // The database lives in the data folder, which afterAll removes.
        drop: () => Promise.resolve(),
      }),
  },
];

interface StoredRows {
  /** `count(*)` of tag_readings. */
  readonly count: number;
  /** How many times each (tag, observed_at) is stored. */
  readonly keys: Map<string, number>;
}

describe.each(backends)('the service on $name killed in the middle of a bulk write', (backend) => {
  let database: CrashDatabase | undefined;
  let dataDir: string | undefined;
  const services: ServiceProcess[] = [];
  const openReaders = new Set<RowReader>();

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), `pledgewatch-crash-${backend.name}-`));
    database = await backend.create(dataDir);
  });

  afterAll(async () => {
    for (const service of services) {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGKILL');
        await waitForExit(service, 5_000);
      }
    }
    for (const reader of openReaders) await reader.close();
    await database?.drop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  /** Opens a reader, reads every stored reading and closes it again (PGlite: frees the folder). */
  async function readStoredRows(db: CrashDatabase): Promise<StoredRows> {
    const reader = await db.openReader();
    openReaders.add(reader);
    try {
      const counted = await reader.query<{ n: number }>(
        'select count(*)::int as n from tag_readings',
      );
      const grouped = await reader.query<{ tag_code: string; observed_at: Date; n: number }>(
        'select tag_code, observed_at, count(*)::int as n from tag_readings group by 1, 2',
      );
      return {
        count: counted[0]?.n ?? -1,
        keys: new Map(grouped.map((row) => [keyOf(row.tag_code, row.observed_at), row.n])),
      };
    } finally {
      openReaders.delete(reader);
      await reader.close();
    }
  }

  it('loses no acknowledged reading and writes none twice', { timeout: 180_000 }, async () => {
    if (database === undefined || dataDir === undefined) throw new Error('setup failed');
    const deadline = Date.now() + deadlineMs;
    const label = `crash test [${backend.name}]`;
    const env = {
      ...database.env,
      PW_HTTP_PORT: '0',
      PW_MQTT_PORT: '0',
      PW_MQTT_WS_PORT: '0',
      PW_HTTP_HOST: '127.0.0.1',
      PW_DATA_DIR: dataDir,
      PW_DEMO_SEED: 'true',
      PW_LOG_LEVEL: 'info',
    };

    const first = await spawnService(env, deadline);
    services.push(first);
    const firstLog = first.logLines.map(parseLogLine);
    expect(firstLog.find((entry) => entry?.msg === 'listening')).toMatchObject({
      backend: backend.name,
    });
    expect(firstLog.some((entry) => entry?.msg === 'demo portfolio loaded')).toBe(true);
    const secrets = JSON.parse(
      await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
    ) as Record<string, string>;
    const secret = secrets[gatewayCode];
    if (secret === undefined) throw new Error(`no demo secret for ${gatewayCode}`);
    const authorization = `Basic ${Buffer.from(`${gatewayCode}:${secret}`).toString('base64')}`;

    const batches = buildBatches(new Date(Date.now() - 3 * 3_600_000));
    const totalReadings = batchCount * batchSize;

    // Phase 1: `concurrency` requests in flight; SIGKILL right after the killAfterAcks-th ack.
    const acked = new Map<number, IngestAnswer>();
    const failedByKill: Array<{ batch: number; error: string }> = [];
    const inFlight = new Set<number>();
    let inFlightAtKill: number[] = [];
    let killed = false;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (!killed && next < batches.length) {
        const index = next;
        next += 1;
        const batch = batches[index] ?? [];
        inFlight.add(index);
        let answer: { status: number; body: unknown };
        try {
          answer = await postBatch(first.url, authorization, batch, deadline);
        } catch (error) {
          inFlight.delete(index);
          if (!killed) throw error;
          failedByKill.push({ batch: index, error: describeError(error) });
          continue;
        }
        inFlight.delete(index);
        // An answer that is not a full ack must not happen: the service was healthy.
        if (!isFullAck(answer, batch.length)) {
          throw new Error(`batch ${index}: ${answer.status} ${JSON.stringify(answer.body)}`);
        }
        acked.set(index, answer.body as IngestAnswer);
        if (!killed && acked.size === killAfterAcks) {
          inFlightAtKill = [...inFlight];
          killed = first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
    const killedExit = await waitForExit(first, remainingMs(deadline));
    expect(killedExit.signal).toBe('SIGKILL');

    const notSent = batches.length - next;
    console.log(
      `${label}: ${batchCount} batches x ${batchSize} readings = ${totalReadings} readings; ` +
        `acknowledged before the kill: ${acked.size}; in flight at the kill: ${inFlightAtKill.length} ` +
        `(batches ${inFlightAtKill.join(', ')}); failed by the kill: ${failedByKill.length}; ` +
        `never sent: ${notSent} (${[...new Set(failedByKill.map((f) => f.error))].join('; ')})`,
    );
    // The kill landed while writes were in flight, and at least one of them was cut.
    expect(inFlightAtKill.length).toBeGreaterThanOrEqual(1);
    expect(failedByKill.length).toBeGreaterThanOrEqual(1);
    expect(acked.size).toBeGreaterThanOrEqual(killAfterAcks);

    // The killed service could not release its lock: reading the rows below takes it over.
    if (database.lockFile !== null) {
      expect((await readFile(database.lockFile, 'utf8')).trim()).toBe(String(first.child.pid));
    }

    // Before anything is resent: every acknowledged reading is stored.
    const afterKill = (await readStoredRows(database)).keys;
    for (const index of acked.keys()) {
      const missing = (batches[index] ?? []).filter(
        (r) => !afterKill.has(keyOf(r.tagId, r.observedAt)),
      );
      expect(missing, `acknowledged batch ${index} lost readings`).toEqual([]);
    }
    // A batch that was cut is all or nothing: one transaction.
    const unacked = batches.map((_, index) => index).filter((index) => !acked.has(index));
    let committedUnacked = 0;
    for (const index of unacked) {
      const stored = (batches[index] ?? []).filter((r) =>
        afterKill.has(keyOf(r.tagId, r.observedAt)),
      ).length;
      expect([0, batchSize], `batch ${index} half written`).toContain(stored);
      if (stored === batchSize) committedUnacked += 1;
    }
    console.log(
      `${label}: rows after the kill: ${afterKill.size}; unacknowledged batches committed anyway: ${committedUnacked}`,
    );

    // Phase 2: restart on the same database and data folder; resend what was not acknowledged,
    // plus two acknowledged batches (a gateway that missed the ack and retries).
    const second = await spawnService(env, deadline);
    services.push(second);
    const secondLog = second.logLines.map(parseLogLine);
    expect(secondLog.some((entry) => entry?.msg === 'demo portfolio loaded')).toBe(false);
    expect(secondLog.find((entry) => entry?.msg === 'schema ready')).toMatchObject({ applied: 0 });

    const retried = [...acked.keys()].slice(0, 2);
    const resend = [...unacked, ...retried];
    const answers = new Map<number, IngestAnswer>();
    let cursor = 0;
    const resendWorker = async (): Promise<void> => {
      while (cursor < resend.length) {
        const index = resend[cursor] ?? -1;
        cursor += 1;
        const batch = batches[index] ?? [];
        const answer = await postBatch(second.url, authorization, batch, deadline);
        expect(isFullAck(answer, batch.length), `resent batch ${index}`).toBe(true);
        answers.set(index, answer.body as IngestAnswer);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => resendWorker()));
    expect(answers.size).toBe(resend.length);
    for (const index of retried) {
      expect(answers.get(index)).toMatchObject({ accepted: 0, duplicates: batchSize });
    }
    console.log(
      `${label}: resent ${unacked.length} unacknowledged + ${retried.length} acknowledged batches; ` +
        `duplicates answered: ${[...answers.values()].reduce((sum, a) => sum + a.duplicates, 0)}`,
    );

    // A clean stop; the embedded database's lock goes with it.
    second.child.kill('SIGTERM');
    const stopped = await waitForExit(second, Math.min(5_000, remainingMs(deadline)));
    expect(stopped).toEqual({ code: 0, signal: null });
    if (database.lockFile !== null) {
      await expect(readFile(database.lockFile, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    }

    // Every reading exactly once (read with the service stopped: PGlite has one owner).
    const final = await readStoredRows(database);
    expect(final.count).toBe(totalReadings);
    expect(final.keys.size).toBe(totalReadings);
    expect([...final.keys.values()].every((n) => n === 1)).toBe(true);
    const absent = batches.flat().filter((r) => !final.keys.has(keyOf(r.tagId, r.observedAt)));
    expect(absent).toEqual([]);
    console.log(`${label}: rows after the restart, resend and stop: ${final.count}`);
  });
});

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
