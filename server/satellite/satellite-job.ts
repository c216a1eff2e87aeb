/**
 * The scheduled satellite job: a run every `intervalMs` (the first one right after `start()`),
 * one at a time. A run that fails is logged and stored as failed; the next interval tries again.
 * `runNow()` runs at once, or right after the run in progress (calls made meanwhile share that
 * next run). `stop()` clears the timer, aborts the run in progress at its next read (it is stored
 * as failed, "aborted"; what it had committed stays, and the next start takes up the rest) and
 * waits for it to end.
 *
 * Several service instances may share one database: each run first takes the database lease
 * `satellite` (table job_leases), renews it while it goes on and releases it at the end, so one
 * instance at a time runs the job. While another instance holds it, a scheduled run is skipped
 * (logged, no run stored) and `runNow()` is refused with a 409 naming the holder. A run whose
 * lease is lost (its instance stalled past the expiry and another took over) is aborted and
 * stored as failed with that reason.
 */
import { performance } from 'node:perf_hooks';
import {
  acquireLease,
  instanceId,
  keepLease,
  LeaseHeldError,
  releaseLease,
} from '../db/job-lease.ts';
import { AppError, errorMessage } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import { runSatellite, type SatelliteRunOptions } from './run-satellite.ts';
import type { SatelliteRun } from './types.ts';

export interface SatelliteJobOptions extends Omit<
  SatelliteRunOptions,
  'trigger' | 'requestedBy' | 'signal' | 'sources'
> {
  /** Sources, or a function giving them at each run. */
  readonly sources: readonly string[] | (() => readonly string[]);
  readonly intervalMs: number;
  /** Wait before the first run after `start()` (default 0). */
  readonly firstRunDelayMs?: number;
  /** Awaited before the first run (e.g. generating the demo scenes); aborted by `stop()`. */
  readonly prepare?: (signal: AbortSignal) => Promise<void>;
  /** How long a run's lease lasts unless renewed (default 60 000); renewed every third of it. */
  readonly leaseTtlMs?: number;
  /**
   * This instance's name as the lease holder (default one per process, `hostname:pid:random`).
   * Jobs with the same name share the lease: only tests running two "instances" in one process
   * give each its own.
   */
  readonly instanceId?: string;
}

/** The lease that makes the job run in one instance at a time. */
export const SATELLITE_LEASE = 'satellite';
const DEFAULT_LEASE_TTL_MS = 60_000;

/** The run was aborted because another instance took over the lease. */
export class SatelliteLeaseLostError extends AppError {
  constructor(reason: string) {
    super('lease_lost', `the satellite run's lease was lost: ${reason}`, { status: 409 });
  }
}

export interface SatelliteJob {
  /** Starts the timer and a first run. */
  start(): void;
  /** A run now (or right after the one in progress); resolves with it. */
  runNow(options?: { requestedBy?: string | null }): Promise<SatelliteRun>;
  /** The run in progress, if any. */
  readonly running: boolean;
  stop(): Promise<void>;
}

export function createSatelliteJob(options: SatelliteJobOptions): SatelliteJob {
  const logger = options.logger ?? silentLogger;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<SatelliteRun> | null = null;
  let queued: Promise<SatelliteRun> | null = null;
  let prepared: Promise<void> | null = null;
  let stopped = false;
  const abort = new AbortController();
  let firstRun: NodeJS.Timeout | null = null;
  const holder = options.instanceId ?? instanceId();
  const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;

  const runLeased = async (
    trigger: 'schedule' | 'api',
    requestedBy: string | null,
    signal: AbortSignal,
  ): Promise<SatelliteRun> => {
    prepared ??= (options.prepare?.(abort.signal) ?? Promise.resolve()).catch((error: unknown) => {
      prepared = null; // try again next run
      throw error;
    });
    await prepared;
    signal.throwIfAborted();
    const sources = typeof options.sources === 'function' ? options.sources() : options.sources;
    return runSatellite({
      ...options,
      sources,
      trigger,
      requestedBy,
      logger,
      signal,
    });
  };

  const runOnce = async (
    trigger: 'schedule' | 'api',
    requestedBy: string | null,
  ): Promise<SatelliteRun> => {
    const acquiredAtMs = performance.now();
    const lease = await acquireLease(options.storage, SATELLITE_LEASE, holder, leaseTtlMs);
    if (!lease.acquired) {
      throw new LeaseHeldError(
        `the satellite job is running on another instance (${lease.holder}, lease until ` +
          `${lease.expiresAt.toISOString()}, renewed while its run goes on); try again once it ends`,
        { name: SATELLITE_LEASE, holder: lease.holder, expiresAt: lease.expiresAt },
      );
    }
    const leaseLost = new AbortController();
    const keeper = keepLease(options.storage, SATELLITE_LEASE, holder, leaseTtlMs, {
      acquiredAtMs,
      logger,
      onLost: (reason) => {
        logger.error('satellite run aborted: lease lost', { reason });
        leaseLost.abort(new SatelliteLeaseLostError(reason));
      },
    });
    try {
      // A lost lease aborts the run; runSatellite stores it as failed with the lease's reason.
      return await runLeased(
        trigger,
        requestedBy,
        AbortSignal.any([abort.signal, leaseLost.signal]),
      );
    } catch (error) {
      if (!leaseLost.signal.aborted) throw error;
      throw leaseLost.signal.reason as SatelliteLeaseLostError;
    } finally {
      await keeper.stop();
      // Only ever deletes our own lease; when this fails the lease simply expires.
      await releaseLease(options.storage, SATELLITE_LEASE, holder).catch((error: unknown) => {
        logger.warn('satellite: lease not released; it expires by itself', {
          reason: errorMessage(error),
        });
      });
    }
  };

  const launch = (
    trigger: 'schedule' | 'api',
    requestedBy: string | null,
  ): Promise<SatelliteRun> => {
    const run = runOnce(trigger, requestedBy).finally(() => {
      if (current === run) current = null;
    });
    current = run;
    return run;
  };

  const runNow = (
    trigger: 'schedule' | 'api',
    requestedBy: string | null,
  ): Promise<SatelliteRun> => {
    if (current === null) return launch(trigger, requestedBy);
    queued ??= current
      .catch(() => undefined)
      .then(() => {
        queued = null;
        return launch(trigger, requestedBy);
      });
    return queued;
  };

  const tick = (): void => {
    if (stopped || current !== null) return; // a long run: skip this tick, not pile up
    runNow('schedule', null).catch((error: unknown) => {
      if (error instanceof LeaseHeldError) {
        logger.info('satellite run skipped: another instance is running the job', {
          holder: error.holder,
          leaseExpiresAt: error.expiresAt.toISOString(),
        });
        return;
      }
      if (error instanceof SatelliteLeaseLostError) return; // logged when it was lost
      // A broken database or sources that cannot be prepared (runSatellite stores its own
      // failures): logged, tried again at the next tick.
      logger.error('satellite run could not be recorded', { reason: errorMessage(error) });
    });
  };

  return {
    start() {
      if (timer !== null || stopped) return;
      timer = setInterval(tick, options.intervalMs);
      timer.unref();
      firstRun = setTimeout(tick, options.firstRunDelayMs ?? 0);
      firstRun.unref();
    },
    runNow: (runOptions = {}) => runNow('api', runOptions.requestedBy ?? null),
    get running() {
      return current !== null;
    },
    async stop() {
      stopped = true;
      if (timer !== null) clearInterval(timer);
      if (firstRun !== null) clearTimeout(firstRun);
      timer = null;
      // The run in progress stops at its next item (stored as failed: aborted); wait for that.
      abort.abort(new Error('the satellite job is stopping'));
      await Promise.allSettled([current, queued]);
    },
  };
}
