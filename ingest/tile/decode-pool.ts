/**
 * A small pool of worker threads that decode COG blocks (read, inflate, undo the predictor, pick
 * the wanted pixels: `decodeBlockPixels`), so that decoding runs on every core while the main
 * thread groups, masks and stacks pixels.
 *
 * Why threads of our own rather than zlib's async inflate on the libuv pool: that inflate did run
 * in parallel, but every other step of a block (the predictor, picking pixels, and the collection
 * of one 0.5 MB buffer per block, a fifth of the main thread's time) stayed on the main thread,
 * which then was the bottleneck with the other core half idle. A worker reuses its read buffer and
 * hands back only the wanted pixels (a transferred Float32Array).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BlockJob, BlockOutcome } from './decode-block.ts';
import type { DecodeReply, DecodeRequest, DecodeWorkerData } from './decode-worker.ts';
import { inflateSetting } from './native-inflate.ts';

interface Pending {
  resolve: (outcome: BlockOutcome) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

/** Worker threads that decode COG blocks; started lazily, restarted after a crash. */
export class DecodePool {
  readonly size: number;
  #workers: PoolWorker[] = [];
  #nextId = 1;
  #closed = false;

  /** @param size - Worker threads (>= 1). */
  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`decode pool size ${String(size)} must be a positive integer`);
    }
    this.size = size;
  }

  /** Jobs posted and not answered yet, over all workers. */
  get inFlight(): number {
    return this.#workers.reduce((n, w) => n + w.pending.size, 0);
  }

  /** Worker threads running now. */
  get threads(): number {
    return this.#workers.length;
  }

  /**
   * Decodes one block on the least busy worker. Resolves with the job's outcome (errors in the
   * block are outcomes); rejects only when the worker itself fails or the pool is closed.
   */
  run(job: BlockJob): Promise<BlockOutcome> {
    if (this.#closed) return Promise.reject(new Error('the decode pool is closed'));
    const target = this.#pick();
    const id = this.#nextId++;
    return new Promise<BlockOutcome>((resolve, reject) => {
      if (target.pending.size === 0) target.worker.ref(); // keep the process up while it works
      target.pending.set(id, { resolve, reject });
      const request: DecodeRequest = { id, job };
      target.worker.postMessage(request);
    });
  }

  /** Stops every worker; pending jobs reject. Later `run` calls reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#workers;
    this.#workers = [];
    await Promise.all(
      workers.map(async ({ worker, pending }) => {
        for (const job of pending.values()) job.reject(new Error('the decode pool was closed'));
        pending.clear();
        await worker.terminate();
      }),
    );
  }

  #pick(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const candidate of this.#workers) {
      if (best === undefined || candidate.pending.size < best.pending.size) best = candidate;
    }
    if (best !== undefined && (best.pending.size === 0 || this.#workers.length >= this.size)) {
      return best;
    }
    return this.#start();
  }

  #start(): PoolWorker {
    const workerData: DecodeWorkerData = { inflate: inflateSetting() };
    const worker = new Worker(new URL('./decode-worker-boot.js', import.meta.url), { workerData });
    worker.unref(); // idle workers never keep the process alive
    const entry: PoolWorker = { worker, pending: new Map() };
    const fail = (error: Error): void => {
      this.#workers = this.#workers.filter((w) => w !== entry);
      for (const job of entry.pending.values()) job.reject(error);
      entry.pending.clear();
    };
    worker.on('message', (reply: DecodeReply) => {
      const job = entry.pending.get(reply.id);
      if (job === undefined) return;
      entry.pending.delete(reply.id);
      if (entry.pending.size === 0) worker.unref();
      job.resolve(reply.outcome);
    });
    worker.on('error', (error) => fail(new Error(`decode worker failed: ${error.message}`)));
    worker.on('exit', (code) => fail(new Error(`decode worker exited with code ${code}`)));
    this.#workers.push(entry);
    return entry;
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
