/**
 * Acceptance: the service is killed (SIGKILL) in the middle of a bulk write and restarted.
 * Nothing that was acknowledged is lost, nothing is written twice.
 *
 * The real service runs as a child process (`node bin/pledgewatch.js serve`) on a fresh TimescaleDB
 * database; a gateway posts batches of ear-tag readings over HTTP, several at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './testing/databases.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const gatewayCode = 'GW-KRT-01';
const batchCount = 16;
const batchSize = 2_000;
const concurrency = 4;
/** The kill lands right after this many acknowledgements, with the other requests still pending. */
const killAfterAcks = 5;
const tagsPerBatch = 100;
const deadlineMs = 50_000;

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
      Math.min(20_000, remainingMs(deadline)),
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

async function storedKeys(client: pg.Client): Promise<Map<string, number>> {
  const { rows } = await client.query<{ tag_code: string; observed_at: Date; n: number }>(
    `select tag_code, observed_at, count(*)::int as n from tag_readings group by 1, 2`,
  );
  return new Map(rows.map((row) => [keyOf(row.tag_code, row.observed_at), row.n]));
}

describe('the service killed in the middle of a bulk write', () => {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let client: pg.Client | undefined;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'pledgewatch-crash-'));
  });

  afterAll(async () => {
    for (const service of services) {
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGKILL');
        await waitForExit(service, 5_000);
      }
    }
    await client?.end();
    await database?.drop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged reading and writes none twice', async () => {
    if (database === undefined || dataDir === undefined) throw new Error('setup failed');
    const deadline = Date.now() + deadlineMs;
    const env = {
      DATABASE_URL: database.url,
      PW_HTTP_PORT: '0',
      PW_HTTP_HOST: '127.0.0.1',
      PW_DATA_DIR: dataDir,
      PW_DEMO_SEED: 'true',
      PW_LOG_LEVEL: 'info',
    };

    const first = await spawnService(env, deadline);
    services.push(first);
    expect(first.logLines.some((line) => parseLogLine(line)?.msg === 'demo portfolio loaded')).toBe(
      true,
    );
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
      `crash test: ${batchCount} batches x ${batchSize} readings = ${totalReadings} readings; ` +
        `acknowledged before the kill: ${acked.size}; in flight at the kill: ${inFlightAtKill.length} ` +
        `(batches ${inFlightAtKill.join(', ')}); failed by the kill: ${failedByKill.length}; ` +
        `never sent: ${notSent} (${[...new Set(failedByKill.map((f) => f.error))].join('; ')})`,
    );
    // The kill landed while writes were in flight, and at least one of them was cut.
    expect(inFlightAtKill.length).toBeGreaterThanOrEqual(1);
    expect(failedByKill.length).toBeGreaterThanOrEqual(1);
    expect(acked.size).toBeGreaterThanOrEqual(killAfterAcks);

    // Before anything is resent: every acknowledged reading is stored.
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const afterKill = await storedKeys(client);
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
      `crash test: rows after the kill: ${afterKill.size}; unacknowledged batches committed anyway: ${committedUnacked}`,
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
      `crash test: resent ${unacked.length} unacknowledged + ${retried.length} acknowledged batches; ` +
        `duplicates answered: ${[...answers.values()].reduce((sum, a) => sum + a.duplicates, 0)}`,
    );

    // Every reading exactly once.
    const { rows } = await client.query<{ n: number }>(
      'select count(*)::int as n from tag_readings',
    );
    expect(rows[0]?.n).toBe(totalReadings);
    const final = await storedKeys(client);
    expect(final.size).toBe(totalReadings);
    expect([...final.values()].every((n) => n === 1)).toBe(true);
    const absent = batches.flat().filter((r) => !final.has(keyOf(r.tagId, r.observedAt)));
    expect(absent).toEqual([]);

    // A clean stop.
    second.child.kill('SIGTERM');
    const stopped = await waitForExit(second, Math.min(5_000, remainingMs(deadline)));
    expect(stopped).toEqual({ code: 0, signal: null });
  });
});

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
