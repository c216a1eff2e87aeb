import { afterEach, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.ts';
import type { Queryable, Storage } from '../db/storage.ts';
import type { TagReading } from '../db/tag-readings.ts';
import { StorageError } from '../errors.ts';
import { testBackends } from '../testing/databases.ts';
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
 * Storage whose statements and transactions fail while `down` is true, as a database outage looks
 * to us. `attempts` counts the writes tried (transactions, and statements outside one).
 */
function flaky(storage: Storage): Storage & { down: boolean; attempts: number } {
  const refused = () => Promise.reject(new StorageError('connection refused (simulated)'));
  const wrapper: Storage & { down: boolean; attempts: number } = {
    ...storage,
    down: false,
    attempts: 0,
    query: ((sql, params) => {
      wrapper.attempts += 1;
      return wrapper.down ? refused() : storage.query(sql, params);
    }) as Storage['query'],
    transaction: <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      wrapper.attempts += 1;
      if (wrapper.down) return refused();
      return storage.transaction(fn) as Promise<T>;
    },
  };
  return wrapper;
}

describe.each(testBackends)('IngestBatcher on $name', (backend) => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  it('commits many messages in few transactions and resolves each after its commit', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const batcher = new IngestBatcher(storage, { maxBatchRows: 1_000 });
    const submitted = Array.from({ length: 200 }, (_, m) => batcher.submit(work(farmId, m, 20)));
    await Promise.all(submitted);
    const { rows } = await storage.query<{ n: number }>(
      'select count(*)::int as n from tag_readings',
    );
    expect(rows[0]?.n).toBe(4_000);
    const stats = batcher.stats();
    expect(stats.committedRows).toBe(4_000);
    expect(stats.committedBatches).toBeGreaterThanOrEqual(4);
    expect(stats.committedBatches).toBeLessThanOrEqual(20);
    await batcher.close(1_000);
  });

  it('keeps work through a database outage and commits it exactly once afterwards', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const db = flaky(storage);
    const batcher = new IngestBatcher(db, {
      maxBatchRows: 500,
      retryMinMs: 20,
      retryMaxMs: 100,
    });
    db.down = true;
    let resolved = 0;
    const submitted = Array.from({ length: 50 }, (_, m) =>
      batcher.submit(work(farmId, m, 10)).then(() => {
        resolved += 1;
      }),
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(resolved).toBe(0);
    expect(db.attempts).toBeGreaterThan(2);
    expect(batcher.stats().queuedRows).toBe(500);
    db.down = false;
    await Promise.all(submitted);
    expect(resolved).toBe(50);
    const { rows } = await storage.query<{ n: number; distinct: number }>(
      'select count(*)::int as n, count(distinct (tag_code, observed_at))::int as distinct from tag_readings',
    );
    expect(rows[0]).toEqual({ n: 500, distinct: 500 });
    await batcher.close(1_000);
  });

  it('refuses what it could not store when it is closed, and new work after', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const db = flaky(storage);
    db.down = true;
    const batcher = new IngestBatcher(db, { retryMinMs: 20, retryMaxMs: 50 });
    const pending = batcher.submit(work(farmId, 1, 5));
    await new Promise((r) => setTimeout(r, 100));
    await batcher.close(100);
    await expect(pending).rejects.toThrow(/ingest stopped before this was stored/);
    await expect(batcher.submit(work(farmId, 2, 5))).rejects.toThrow(/ingest is stopping/);
  });

  it('commits urgent work at once in its express lane, not behind the batches in flight', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const inner = storage;
    // The first two writes (the normal slots) wait at a gate; later ones run at once.
    let openGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let started = 0;
    const gated: Storage = {
      ...inner,
      query: (async (sql: string, params?: Parameters<Storage['query']>[1]) => {
        started += 1;
        if (started <= 2) await gate;
        return inner.query(sql, params);
      }) as Storage['query'],
      transaction: async (fn) => {
        started += 1;
        if (started <= 2) await gate;
        return inner.transaction(fn);
      },
    };
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
    const { rows } = await inner.query<{ n: number }>(
      'select count(*)::int as n from tag_readings',
    );
    expect(rows[0]?.n).toBe(61);
    await batcher.close(1_000);
  });

  it('stores readings alone in one statement, and a batch with rejections in a transaction', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const inner = storage;
    const calls = { queries: 0, transactions: 0 };
    const counted: Storage = {
      ...inner,
      query: ((sql: string, params?: Parameters<Storage['query']>[1]) => {
        calls.queries += 1;
        return inner.query(sql, params);
      }) as Storage['query'],
      transaction: (fn) => {
        calls.transactions += 1;
        return inner.transaction(fn);
      },
    };
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
    const { rows } = await inner.query<{ n: number }>(
      'select count(*)::int as n from tag_readings',
    );
    expect(rows[0]?.n).toBe(20);
    await batcher.close(1_000);
  });

  it('starts writing urgent work at the end of the turn it arrived in', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const inner = storage;
    let writes = 0;
    const counted: Storage = {
      ...inner,
      query: ((sql: string, params?: Parameters<Storage['query']>[1]) => {
        writes += 1;
        return inner.query(sql, params);
      }) as Storage['query'],
    };
    const batcher = new IngestBatcher(counted, { isUrgent: () => true });
    const urgent = batcher.submit(work(farmId, 1, 1));
    // One microtask later, before any timer or immediate could run, the write has started.
    await Promise.resolve();
    expect(writes).toBe(1);
    await urgent;
    await batcher.close(1_000);
  });

  it('retries failed urgent work in the normal queue, losing nothing', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const db = flaky(storage);
    db.down = true;
    const batcher = new IngestBatcher(db, {
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
    db.down = false;
    await Promise.all(submitted);
    const { rows } = await storage.query<{ n: number }>(
      'select count(*)::int as n from tag_readings',
    );
    expect(rows[0]?.n).toBe(15);
    await batcher.close(1_000);
  });
});
