/**
 * The worker side of a `ThreadPool`: answers each posted job with one reply of the same id.
 * `handle` must not throw for a bad job (answer the problem as an outcome); a throw ends the
 * worker, and the pool rejects its jobs and starts another.
 */
import { parentPort, workerData, type Transferable } from 'node:worker_threads';
import type { JobReply, JobRequest, PoolWorkerData } from './thread-pool.ts';

/** The data the pool gave this worker (`ThreadPoolOptions.workerData`). */
export function poolWorkerData<Data>(): Data {
  return (workerData as PoolWorkerData<Data>).data;
}

/**
 * @param handle - the outcome of one job, and the buffers of the outcome to hand back rather than
 *   copy.
 */
export function serveJobs<Job, Outcome>(
  handle: (job: Job) => { outcome: Outcome; transfer?: readonly Transferable[] },
): void {
  const port = parentPort;
  if (port === null) throw new Error('a pool worker module must run in a worker thread');
  port.on('message', ({ id, job }: JobRequest<Job>) => {
    const { outcome, transfer = [] } = handle(job);
    const reply: JobReply<Outcome> = { id, outcome };
    port.postMessage(reply, [...transfer]);
  });
}
