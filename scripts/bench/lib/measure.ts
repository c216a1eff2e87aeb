import { performance } from 'node:perf_hooks';

export interface TimedRun {
  /** Items handled in the timed region. */
  readonly count: number;
  readonly elapsedMs: number;
  readonly stoppedByTimeCap: boolean;
}

/**
 * Times `handle` over `batches` in order, one at a time. Bounded twice: by the batches given
 * (count) and by `maxMs` (checked between batches, so a run ends at most one batch past the cap).
 * Checks `signal` between batches and rejects with its reason once aborted.
 */
export async function timeBatches<T>(
  batches: readonly (readonly T[])[],
  handle: (batch: readonly T[]) => Promise<void>,
  options: { readonly maxMs: number; readonly signal: AbortSignal },
): Promise<TimedRun> {
  let count = 0;
  let stoppedByTimeCap = false;
  const start = performance.now();
  for (const batch of batches) {
    options.signal.throwIfAborted();
    if (performance.now() - start >= options.maxMs) {
      stoppedByTimeCap = true;
      break;
    }
    await handle(batch);
    count += batch.length;
  }
  return { count, elapsedMs: performance.now() - start, stoppedByTimeCap };
}

/** A wall-clock budget for a whole suite. */
export interface Budget {
  readonly totalMs: number;
  elapsedMs(): number;
  isSpent(): boolean;
}

export function startBudget(totalMs: number): Budget {
  const start = performance.now();
  return {
    totalMs,
    elapsedMs: () => performance.now() - start,
    isSpent: () => performance.now() - start >= totalMs,
  };
}

/** Splits `items` into consecutive slices of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`chunk size ${size} must be a positive integer`);
  }
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
