/**
 * The scheduled satellite job: a run every `intervalMs` (the first one right after `start()`),
 * one at a time. A run that fails is logged and stored as failed; the next interval tries again.
 * `runNow()` runs at once, or right after the run in progress (calls made meanwhile share that
 * next run). `stop()` clears the timer, aborts the run in progress at its next read (it is stored
 * as failed, "aborted"; what it had committed stays, and the next start takes up the rest) and
 * waits for it to end.
 */
import { errorMessage } from '../errors.ts';
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

  const runOnce = async (
    trigger: 'schedule' | 'api',
    requestedBy: string | null,
  ): Promise<SatelliteRun> => {
    prepared ??= (options.prepare?.(abort.signal) ?? Promise.resolve()).catch((error: unknown) => {
      prepared = null; // try again next run
      throw error;
    });
    await prepared;
    const sources = typeof options.sources === 'function' ? options.sources() : options.sources;
    return runSatellite({
      ...options,
      sources,
      trigger,
      requestedBy,
      logger,
      signal: abort.signal,
    });
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
