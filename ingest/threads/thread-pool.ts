/**
 * A small pool of worker threads that run one kind of job (decoding COG blocks, working out
 * pixel features), so that the work runs on every core while the main thread does the rest.
 * Jobs go to the worker with the fewest jobs in flight; workers start lazily, and one that dies is
 * replaced by the next job (its own jobs reject). A worker module answers through `serveJobs`.
 */
import { Worker, type Transferable } from 'node:worker_threads';

/** What the pool posts to a worker, and what the worker answers. */
export interface JobRequest<Job> {
  readonly id: number;
  readonly job: Job;
}
export interface JobReply<Outcome> {
  readonly id: number;
  readonly outcome: Outcome;
}

/** The worker data every pool worker gets: its module, and the pool's own data for it. */
export interface PoolWorkerData<Data> {
  readonly module: string;
  readonly data: Data;
}

export interface ThreadPoolOptions<Data> {
  /** Names the pool in errors: "the decode pool is closed". */
  readonly name: string;
  /** The worker's module (TypeScript is fine: `worker-boot.js` registers tsx first). */
  readonly module: URL;
  /** Worker threads (>= 1). */
  readonly size: number;
  /** Worked out again for every worker started, so later settings reach later workers. */
  readonly workerData: () => Data;
}

interface Pending<Outcome> {
  resolve: (outcome: Outcome) => void;
  reject: (error: Error) => void;
}

interface PoolWorker<Outcome> {
  readonly worker: Worker;
  readonly pending: Map<number, Pending<Outcome>>;
}

const boot = new URL('./worker-boot.js', import.meta.url);

export class ThreadPool<Job, Outcome, Data = undefined> {
  readonly size: number;
  readonly #options: ThreadPoolOptions<Data>;
  #workers: PoolWorker<Outcome>[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: ThreadPoolOptions<Data>) {
    if (!Number.isInteger(options.size) || options.size < 1) {
      throw new RangeError(
        `${options.name} pool size ${String(options.size)} must be a positive integer`,
      );
    }
    this.size = options.size;
    this.#options = options;
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
   * Runs one job on the least busy worker; `transfer` lists buffers of the job handed over rather
   * than copied (they are unusable here afterwards). Rejects only when the worker itself fails or
   * the pool is closed: a job's own errors are for the worker to answer as outcomes.
   */
  run(job: Job, transfer: readonly Transferable[] = []): Promise<Outcome> {
    if (this.#closed) return Promise.reject(new Error(`the ${this.#options.name} pool is closed`));
    const target = this.#pick();
    const id = this.#nextId++;
    return new Promise<Outcome>((resolve, reject) => {
      if (target.pending.size === 0) target.worker.ref(); // keep the process up while it works
      target.pending.set(id, { resolve, reject });
      const request: JobRequest<Job> = { id, job };
      target.worker.postMessage(request, [...transfer]);
    });
  }

  /** Stops every worker; pending jobs reject. Later `run` calls reject. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#workers;
    this.#workers = [];
    const name = this.#options.name;
    await Promise.all(
      workers.map(async ({ worker, pending }) => {
        for (const job of pending.values()) job.reject(new Error(`the ${name} pool was closed`));
        pending.clear();
        await worker.terminate();
      }),
    );
  }

  #pick(): PoolWorker<Outcome> {
    let best: PoolWorker<Outcome> | undefined;
    for (const candidate of this.#workers) {
      if (best === undefined || candidate.pending.size < best.pending.size) best = candidate;
    }
    if (best !== undefined && (best.pending.size === 0 || this.#workers.length >= this.size)) {
      return best;
    }
    return this.#start();
  }

  #start(): PoolWorker<Outcome> {
    const { name, module } = this.#options;
    const workerData: PoolWorkerData<Data> = {
      module: module.href,
      data: this.#options.workerData(),
    };
    const worker = new Worker(boot, { workerData });
    worker.unref(); // idle workers never keep the process alive
    const entry: PoolWorker<Outcome> = { worker, pending: new Map() };
    const fail = (error: Error): void => {
      this.#workers = this.#workers.filter((w) => w !== entry);
      for (const job of entry.pending.values()) job.reject(error);
      entry.pending.clear();
    };
    worker.on('message', (reply: JobReply<Outcome>) => {
      const job = entry.pending.get(reply.id);
      if (job === undefined) return;
      entry.pending.delete(reply.id);
      if (entry.pending.size === 0) worker.unref();
      job.resolve(reply.outcome);
    });
    worker.on('error', (error) => fail(new Error(`${name} worker failed: ${error.message}`)));
    worker.on('exit', (code) => fail(new Error(`${name} worker exited with code ${code}`)));
    this.#workers.push(entry);
    return entry;
  }
}
