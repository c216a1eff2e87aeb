import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.ts';
import type { Queryable, Storage } from '../db/storage.ts';
import type { TagReading } from '../db/tag-readings.ts';
import { StorageError } from '../errors.ts';
import { testBackends } from '../testing/databases.ts';
import { tick } from '../testing/gate.ts';
import { IngestBatcher, type IngestWork } from './ingest-batcher.ts';
import { insertMinimalFarm } from '../testing/minimal-farm.ts';

function work(farmId: string, message: number, perMessage: number): IngestWork {
  const readings: TagReading[] = Array.from({ length: perMessage }, (_, i) => ({
    tagCode: `T-${i}`,
    observedAt: new Date(Date.UTC(2026, 10, 1) + message * 1000),
    farmId,
    gatewayId: null,
    lat: 50.005,
    lon: 3.005,
  }));
  return { readings, cameraCounts: [], rejections: [] };
}

/**
 * `storage`, with `before` called ahead of every query and transaction it is given (synchronously,
 * at the call); a promise it returns is awaited first, and a rejection fails the call.
 */
function intercepted(
  storage: Storage,
  before: (kind: 'query' | 'transaction') => void | Promise<void>,
): Storage {
  return {
    ...storage,
    query: (async (...args: Parameters<Storage['query']>) => {
      await before('query');
      return storage.query(...args);
    }) as Storage['query'],
    transaction: async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      await before('transaction');
      return storage.transaction(fn);
    },
  };
}

async function storedReadings(db: Storage): Promise<number> {
  const { rows } = await db.query<{ n: number }>('select count(*)::int as n from tag_readings');
  return rows[0]?.n ?? 0;
}

/**
 * Storage whose statements and transactions fail while `down` is true, as a database outage looks
 * to us. `attempts` counts the writes tried (transactions, and statements outside one).
 */
function flaky(storage: Storage): Storage & { down: boolean; attempts: number } {
  const wrapper = Object.assign(
    intercepted(storage, () => {
      wrapper.attempts += 1;
      if (wrapper.down) return Promise.reject(new StorageError('connection refused (simulated)'));
    }),
    { down: false, attempts: 0 },
  );
  return wrapper;
}

describe.each(testBackends)('IngestBatcher on $name', (backend) => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  /** A fresh, migrated database of this backend (closed after the test) with one farm. */
  async function openWithFarm(): Promise<{ db: Storage; farmId: string }> {
    const db = await backend.open();
    storage = db;
    await migrate(db);
    return { db, farmId: await insertMinimalFarm(db) };
  }

  it('commits many messages in few transactions and resolves each after its commit', async () => {
    const { db, farmId } = await openWithFarm();
    const batcher = new IngestBatcher(db, { maxBatchRows: 1_000 });
    const submitted = Array.from({ length: 200 }, (_, m) => batcher.submit(work(farmId, m, 20)));
    await Promise.all(submitted);
    expect(await storedReadings(db)).toBe(4_000);
    const stats = batcher.stats();
    expect(stats.committedRows).toBe(4_000);
    expect(stats.committedBatches).toBeGreaterThanOrEqual(4);
    expect(stats.committedBatches).toBeLessThanOrEqual(20);
    await batcher.close(1_000);
  });

  it('keeps work through a database outage and commits it exactly once afterwards', async () => {
    const { db, farmId } = await openWithFarm();
    const outage = flaky(db);
    const batcher = new IngestBatcher(outage, {
      maxBatchRows: 500,
      retryMinMs: 20,
      retryMaxMs: 100,
    });
    outage.down = true;
    let resolved = 0;
    const submitted = Array.from({ length: 50 }, (_, m) =>
      batcher.submit(work(farmId, m, 10)).then(() => {
        resolved += 1;
      }),
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(resolved).toBe(0);
    expect(outage.attempts).toBeGreaterThan(2);
    expect(batcher.stats().queuedRows).toBe(500);
    outage.down = false;
    await Promise.all(submitted);
    expect(resolved).toBe(50);
    const { rows } = await db.query<{ n: number; distinct: number }>(
      'select count(*)::int as n, count(distinct (tag_code, observed_at))::int as distinct from tag_readings',
    );
    expect(rows[0]).toEqual({ n: 500, distinct: 500 });
    await batcher.close(1_000);
  });

  it('refuses what it could not store when it is closed, and new work after', async () => {
    const { db, farmId } = await openWithFarm();
    const outage = flaky(db);
    outage.down = true;
    const batcher = new IngestBatcher(outage, { retryMinMs: 20, retryMaxMs: 50 });
    const pending = batcher.submit(work(farmId, 1, 5));
    await new Promise((r) => setTimeout(r, 100));
    await batcher.close(100);
    await expect(pending).rejects.toThrow(/ingest stopped before this was stored/);
    await expect(batcher.submit(work(farmId, 2, 5))).rejects.toThrow(/ingest is stopping/);
  });

  it('commits urgent work at once in its express lane, not behind the batches in flight', async () => {
    const { db, farmId } = await openWithFarm();
    // The first two writes (the normal slots) wait at a gate; later ones run at once.
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let started = 0;
    const gated = intercepted(db, async () => {
      started += 1;
      if (started <= 2) await gate;
    });
    const committed: string[][] = [];
    const batcher = new IngestBatcher(gated, {
      maxBatchRows: 20,
      isUrgent: (w) => w.readings.some((r) => r.tagCode.startsWith('URGENT')),
      onCommitted: (w) => committed.push(w.readings.map((r) => r.tagCode)),
    });
    const normal = [1, 2, 3].map((m) => batcher.submit(work(farmId, m, 20)));
    const urgentWork = work(farmId, 9, 1);
    const urgent = batcher.submit({
      ...urgentWork,
      readings: urgentWork.readings.map((r) => ({ ...r, tagCode: 'URGENT-1' })),
    });
    await urgent;
    expect(committed).toEqual([['URGENT-1']]);
    expect(batcher.stats()).toMatchObject({ inFlightFlushes: 2, queuedRows: 20, urgentBatches: 1 });
    openGate();
    await Promise.all(normal);
    expect(await storedReadings(db)).toBe(61);
    await batcher.close(1_000);
  });

  it('stores readings alone in one statement, and a batch with rejections in a transaction', async () => {
    const { db, farmId } = await openWithFarm();
    const calls = { queries: 0, transactions: 0 };
    const counted = intercepted(db, (kind) => {
      if (kind === 'query') calls.queries += 1;
      else calls.transactions += 1;
    });
    const batcher = new IngestBatcher(counted);
    await batcher.submit(work(farmId, 1, 10));
    expect(calls).toEqual({ queries: 1, transactions: 0 });
    const withRejection = work(farmId, 2, 10);
    await batcher.submit({
      ...withRejection,
      rejections: [
        {
          source: 'mqtt',
          topic: 'farms/F/tags/T/reading',
          clientId: 'GW',
          farmId,
          gatewayId: null,
          payload: Buffer.from('{}'),
          reasonCode: 'invalid_payload',
          reason: 'test',
          details: null,
          receivedAt: new Date(),
        },
      ],
    });
    expect(calls.transactions).toBe(1);
    expect(await storedReadings(db)).toBe(20);
    await batcher.close(1_000);
  });

  it('under a steady stream starts a batch at most every lingerMs, but never holds a lone one or a full one', async () => {
    const { db, farmId } = await openWithFarm();
    /** 20 messages, one every 10 ms; the batches it took to commit them. */
    async function stream(batcher: IngestBatcher, firstMessage: number): Promise<number> {
      const before = batcher.stats().committedBatches;
      const submitted: Promise<void>[] = [];
      for (let m = 0; m < 20; m++) {
        submitted.push(batcher.submit(work(farmId, firstMessage + m, 1)));
        await new Promise((r) => setTimeout(r, 10));
      }
      await Promise.all(submitted);
      return batcher.stats().committedBatches - before;
    }
    const eager = new IngestBatcher(db, { lingerMs: 0 });
    const lingering = new IngestBatcher(db, { lingerMs: 100, maxBatchRows: 50 });
    // About 200 ms of messages: each alone without a linger, a batch per 100 ms with it.
    expect(await stream(eager, 0)).toBeGreaterThanOrEqual(8);
    expect(await stream(lingering, 100)).toBeLessThanOrEqual(4);

    await Promise.all([eager.close(1_000), lingering.close(1_000)]);
    expect(await storedReadings(db)).toBe(40);
  });

  it('lingers only while a batch started within lingerMs, and never with a full batch', async () => {
    const { db, farmId } = await openWithFarm();
    let writes = 0;
    const counted = intercepted(db, (kind) => {
      if (kind === 'query') writes += 1;
    });
    const batcher = new IngestBatcher(counted, { lingerMs: 1_000, maxBatchRows: 50 });
    const first = batcher.submit(work(farmId, 1, 1));
    await tick();
    expect(writes).toBe(1); // no batch before it: at the end of its turn
    await first;
    const lone = batcher.submit(work(farmId, 2, 1));
    await tick();
    expect(writes).toBe(1); // a batch started less than a second ago: it waits
    const full = batcher.submit(work(farmId, 3, 49));
    await tick();
    expect(writes).toBe(2); // with it, the batch reaches maxBatchRows: at once
    await Promise.all([lone, full]);
    await new Promise((r) => setTimeout(r, 1_100));
    const afterQuiet = batcher.submit(work(farmId, 4, 1));
    await tick();
    expect(writes).toBe(3); // a quiet second later: at once again
    await afterQuiet;
    expect(await storedReadings(db)).toBe(52);
    await batcher.close(1_000);
  });

  it('starts writing urgent work at the end of the turn it arrived in', async () => {
    const { db, farmId } = await openWithFarm();
    let writes = 0;
    const counted = intercepted(db, (kind) => {
      if (kind === 'query') writes += 1;
    });
    const batcher = new IngestBatcher(counted, { isUrgent: () => true });
    const urgent = batcher.submit(work(farmId, 1, 1));
    // One microtask later, before any timer or immediate could run, the write has started.
    await Promise.resolve();
    expect(writes).toBe(1);
    await urgent;
    await batcher.close(1_000);
  });

  it('retries failed urgent work in the normal queue, losing nothing', async () => {
    const { db, farmId } = await openWithFarm();
    const outage = flaky(db);
    outage.down = true;
    const batcher = new IngestBatcher(outage, {
      retryMinMs: 20,
      retryMaxMs: 50,
      isUrgent: () => true,
    });
    let resolved = 0;
    const submitted = [1, 2, 3].map((m) =>
      batcher.submit(work(farmId, m, 5)).then(() => (resolved += 1)),
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(resolved).toBe(0);
    outage.down = false;
    await Promise.all(submitted);
    expect(await storedReadings(db)).toBe(15);
    await batcher.close(1_000);
  });
});
