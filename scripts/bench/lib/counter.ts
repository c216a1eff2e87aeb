import { performance } from 'node:perf_hooks';

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** A count of things that arrive (messages, committed rows) that a measurement can wait on. */
export interface ArrivalCounter {
  add(n: number): void;
  reset(): void;
  value(): number;
  /** Epoch ms of the last arrival since the reset (0 if none). */
  lastAtMs(): number;
  /** Resolves true once the count reaches `target`, or false at `timeoutMs`. */
  waitFor(target: number, timeoutMs: number): Promise<boolean>;
}

export function createArrivalCounter(): ArrivalCounter {
  let count = 0;
  let lastAt = 0;
  let waiter: { target: number; resolve: (ok: boolean) => void } | null = null;
  return {
    add: (n) => {
      count += n;
      lastAt = epochMs();
      if (waiter !== null && count >= waiter.target) {
        waiter.resolve(true);
        waiter = null;
      }
    },
    reset: () => {
      count = 0;
      lastAt = 0;
    },
    value: () => count,
    lastAtMs: () => lastAt,
    waitFor: (target, timeoutMs) => {
      if (count >= target) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiter = null;
          resolve(false);
        }, timeoutMs);
        waiter = {
          target,
          resolve: (ok) => {
            clearTimeout(timer);
            resolve(ok);
          },
        };
      });
    },
  };
}
