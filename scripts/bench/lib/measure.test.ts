import { describe, expect, it } from 'vitest';
import { chunk, timeBatches } from './measure.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('timeBatches', () => {
  it('handles every batch when the time cap is not reached', async () => {
    const seen: number[][] = [];
    const run = await timeBatches(
      [[1, 2], [3]],
      async (batch) => {
        seen.push([...batch]);
        await Promise.resolve();
      },
      { maxMs: 60_000, signal: new AbortController().signal },
    );
    expect(seen).toEqual([[1, 2], [3]]);
    expect(run).toMatchObject({ count: 3, stoppedByTimeCap: false });
  });

  it('stops at the first batch boundary past the time cap', async () => {
    // The first batch returns at once, the second outlasts the cap: the third is never started.
    const run = await timeBatches(
      [[1], [2], [3]],
      (batch) => (batch[0] === 1 ? Promise.resolve() : sleep(60)),
      { maxMs: 30, signal: new AbortController().signal },
    );
    expect(run.count).toBe(2);
    expect(run.stoppedByTimeCap).toBe(true);
    expect(run.elapsedMs).toBeGreaterThanOrEqual(30);
  });

  it('rejects with the abort reason between batches', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const pending = timeBatches(
      [[1], [2]],
      async () => {
        controller.abort(reason);
        await Promise.resolve();
      },
      { maxMs: 60_000, signal: controller.signal },
    );
    await expect(pending).rejects.toBe(reason);
  });
});

describe('chunk', () => {
  it('slices into consecutive runs of at most the size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });

  it('names a size that is not a positive integer', () => {
    expect(() => chunk([1], 0)).toThrow('chunk size 0 must be a positive integer');
  });
});
