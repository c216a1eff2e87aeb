/** The edge handler's plausibility wiring, with an in-memory database and batcher. */
import { describe, expect, it } from 'vitest';
import type { Storage } from '../db/storage.ts';
import { silentLogger } from '../logger.ts';
import { createGatewayMessageHandler } from './gateway-messages.ts';
import type { IngestBatcher, IngestWork } from './ingest-batcher.ts';
import { LastFixCache } from './last-fix-cache.ts';

const now = new Date('2026-11-22T12:00:00Z');
const at = (minutesAgo: number): string =>
  new Date(now.getTime() - minutesAgo * 60_000).toISOString();
const origin = { farmId: 'farm-1', gatewayId: 'gw-1', clientId: 'GW-1' };

function setup(
  storedFixes: { tag_code: string; observed_at: string; lat: number; lon: number }[] = [],
) {
  const queries: unknown[][] = [];
  const storage = {
    query: (_sql: string, params: unknown[] = []) => {
      queries.push(params);
      const tags = params[0] as string[];
      return Promise.resolve({
        rows: storedFixes.filter((f) => tags.includes(f.tag_code)),
        rowCount: 0,
      });
    },
  } as unknown as Storage;
  const works: IngestWork[] = [];
  const batcher = {
    submit: (work: IngestWork) => {
      works.push(work);
      return Promise.resolve();
    },
  } as unknown as IngestBatcher;
  const handle = createGatewayMessageHandler({
    storage,
    batcher,
    maxPayloadBytes: 65_536,
    logger: silentLogger,
    now: () => now,
  });
  const send = (topic: string, payload: unknown) =>
    handle(origin, topic, Buffer.from(JSON.stringify(payload)));
  return { send, works, queries };
}

describe('gateway message plausibility', () => {
  it('rejects a jump from the last stored fix, loaded once from the database', async () => {
    const { send, works, queries } = setup([
      { tag_code: 'T-1', observed_at: at(10), lat: 43.6, lon: -116.2 },
    ]);
    // 0.15 degrees (16.7 km) in 5 minutes: 200 km/h
    await send('farms/F-1/tags/T-1/reading', { observedAt: at(5), lat: 43.75, lon: -116.2 });
    await send('farms/F-1/tags/T-1/reading', { observedAt: at(4), lat: 43.6001, lon: -116.2 });
    expect(queries).toEqual([[['T-1']]]);
    expect(works[0]?.readings).toEqual([]);
    expect(works[0]?.rejections[0]).toMatchObject({
      reasonCode: 'impossible_jump',
      details: { tagId: 'T-1', limitKmh: 60 },
    });
    expect(works[0]?.rejections[0]?.reason).toMatch(/^tag T-1: implied speed 200\.\d km\/h/);
    expect(works[1]?.readings).toHaveLength(1);
  });

  it('checks the items of a batch in time order, not in message order', async () => {
    const { send, works } = setup();
    await send('farms/F-1/tags/reading-batch', {
      readings: [
        { tagId: 'T-2', observedAt: at(1), lat: 43.6002, lon: -116.2 },
        { tagId: 'T-2', observedAt: at(3), lat: 43.6, lon: -116.2 },
        { tagId: 'T-2', observedAt: at(2), lat: 43.6001, lon: -116.2 },
        { tagId: 'T-2', observedAt: at(2), lat: 44.6, lon: -116.2 },
        { tagId: 'T-2', observedAt: at(2), lat: 43.6001, lon: -116.2 },
      ],
    });
    const work = works[0];
    // in message order, minus the conflicting duplicate; the exact repeat is kept (stored once)
    expect(work?.readings.map((r) => r.lat)).toEqual([43.6002, 43.6, 43.6001, 43.6001]);
    expect(work?.rejections).toHaveLength(1);
    expect(work?.rejections[0]).toMatchObject({
      reasonCode: 'duplicate_conflict',
      details: { index: 3, tagId: 'T-2' },
    });
    expect(JSON.parse(work?.rejections[0]?.payload?.toString() ?? '')).toMatchObject({ lat: 44.6 });
  });

  it('accepts an out-of-order fix without a jump check and keeps the later fix as reference', async () => {
    const { send, works } = setup();
    await send('farms/F-1/tags/T-3/reading', { observedAt: at(1), lat: 43.6, lon: -116.2 });
    await send('farms/F-1/tags/T-3/reading', { observedAt: at(30), lat: 45, lon: -116.2 });
    await send('farms/F-1/tags/T-3/reading', { observedAt: at(0.5), lat: 43.6001, lon: -116.2 });
    expect(works.map((w) => [w.readings.length, w.rejections.length])).toEqual([
      [1, 0],
      [1, 0],
      [1, 0],
    ]);
  });

  it('keeps a batch item index on decode rejections next to plausibility ones', async () => {
    const { send, works } = setup();
    await send('farms/F-1/tags/reading-batch', {
      readings: [
        { tagId: 'T-4', observedAt: at(3), lat: 91, lon: 0 },
        { tagId: 'T-4', observedAt: at(2), lat: 43.6, lon: -116.2 },
        { tagId: 'T-4', observedAt: at(1), lat: 44.6, lon: -116.2 },
      ],
    });
    expect(works[0]?.rejections.map((r) => [r.reasonCode, r.details?.['index']])).toEqual([
      ['out_of_range', 0],
      ['impossible_jump', 2],
    ]);
  });
});

describe('LastFixCache', () => {
  it('evicts the least recently used tag beyond its size', async () => {
    const storage = {
      query: () => Promise.resolve({ rows: [], rowCount: 0 }),
    } as unknown as Storage;
    const cache = new LastFixCache(storage, { maxTags: 2 });
    const fix = { observedAt: now, lat: 1, lon: 1 };
    cache.set('A', fix);
    cache.set('B', fix);
    cache.get('A');
    cache.set('C', fix);
    expect(cache.size).toBe(2);
    expect(cache.get('A')).toEqual(fix);
    expect(cache.get('B')).toBeNull();
    await cache.load(['A', 'C']);
  });

  it('evicts in least-recently-used order when full, however many tags pass through', () => {
    const storage = {
      query: () => Promise.resolve({ rows: [], rowCount: 0 }),
    } as unknown as Storage;
    const cache = new LastFixCache(storage, { maxTags: 1_000 });
    const fix = (lat: number) => ({ observedAt: now, lat, lon: 1 });
    for (let i = 0; i < 50_000; i++) {
      cache.set(`T-${i}`, fix(i));
      // Tag 0 stays in use, so it is never the least recently used.
      if (i % 100 === 0) cache.get('T-0');
    }
    expect(cache.size).toBe(1_000);
    expect(cache.get('T-0')).toEqual(fix(0));
    expect(cache.get('T-49000')).toBeNull();
    expect(cache.get('T-49001')).toEqual(fix(49_001));
    expect(cache.hasAll(['T-0', 'T-49999'])).toBe(true);
    expect(cache.hasAll(['T-0', 'T-1'])).toBe(false);
  });

  it('looks new tags up one query at a time, gathering those that arrive meanwhile', async () => {
    const queried: string[][] = [];
    const answers: (() => void)[] = [];
    const storage = {
      query: (_sql: string, params: unknown[] = []) => {
        queried.push(params[0] as string[]);
        return new Promise((resolve) =>
          answers.push(() =>
            resolve({
              rows: (params[0] as string[])
                .filter((tag) => tag !== 'NEW-3')
                .map((tag) => ({ tag_code: tag, observed_at: at(5), lat: 2, lon: 2 })),
              rowCount: 0,
            }),
          ),
        );
      },
    } as unknown as Storage;
    const cache = new LastFixCache(storage);
    const first = cache.load(['NEW-1', 'NEW-2']);
    const again = cache.load(['NEW-2']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(queried).toEqual([['NEW-1', 'NEW-2']]);
    // While that query runs, later tags wait for the next one, together.
    const later = [cache.load(['NEW-3']), cache.load(['NEW-4', 'NEW-1'])];
    await new Promise((resolve) => setImmediate(resolve));
    expect(queried).toHaveLength(1);
    expect(cache.hasAll(['NEW-1'])).toBe(false);
    answers.shift()?.();
    await Promise.all([first, again]);
    expect(cache.get('NEW-2')).toEqual({ observedAt: new Date(at(5)), lat: 2, lon: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(queried).toEqual([
      ['NEW-1', 'NEW-2'],
      ['NEW-3', 'NEW-4'],
    ]);
    answers.shift()?.();
    await Promise.all(later);
    expect(cache.get('NEW-3')).toBeNull();
    expect(cache.hasAll(['NEW-1', 'NEW-2', 'NEW-3', 'NEW-4'])).toBe(true);
  });
});
