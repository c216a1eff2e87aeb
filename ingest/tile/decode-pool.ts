/**
 * The pool of worker threads that decode COG blocks (read, inflate, undo the predictor, pick the
 * wanted pixels: `decodeBlockPixels`), so that decoding runs on every core while the main thread
 * groups, masks and stacks pixels.
 *
 * Why threads of our own rather than zlib's async inflate on the libuv pool: that inflate did run
 * in parallel, but every other step of a block (the predictor, picking pixels, and the collection
 * of one 0.5 MB buffer per block, a fifth of the main thread's time) stayed on the main thread,
 * which then was the bottleneck with the other core half idle. A worker reuses its read buffer and
 * hands back only the wanted pixels (a transferred Float32Array).
 */
import { availableParallelism } from 'node:os';
import { ThreadPool } from '../threads/thread-pool.ts';
import type { BlockJob, BlockOutcome } from './decode-block.ts';
import type { DecodeWorkerData } from './decode-worker.ts';
import { inflateSetting } from './native-inflate.ts';

/** Worker threads that decode COG blocks; started lazily, restarted after a crash. */
export class DecodePool extends ThreadPool<BlockJob, BlockOutcome, DecodeWorkerData> {
  /** @param size - Worker threads (>= 1). */
  constructor(size: number) {
    super({
      name: 'decode',
      module: new URL('./decode-worker.ts', import.meta.url),
      size,
      // Read when each worker starts: a later `setInflateSetting` reaches later workers.
      workerData: () => ({ inflate: inflateSetting() }),
    });
  }
}

let shared: DecodePool | null = null;

/**
 * The process's decode pool, one worker per core (`os.availableParallelism()`), created on first
 * use. Its idle workers do not keep the process alive; `closeDecodePool` stops them.
 */
export function decodePool(): DecodePool {
  shared ??= new DecodePool(Math.max(1, availableParallelism()));
  return shared;
}

/** Stops the shared pool's workers (a later `decodePool()` starts a new pool). */
export async function closeDecodePool(): Promise<void> {
  const pool = shared;
  shared = null;
  await pool?.close();
}
