/**
 * The alert engine as the service runs it: the engine, the herd monitor fed by the ingest
 * batcher's `onCommitted` hook, a sweep every `evaluationIntervalMs`, and every
 * `escalationIntervalMs` an escalation pass that also raises and clears the conditions whose
 * minimum duration has passed. Timers are owned and cleared by `stop()`; a failed pass is logged
 * and the next one runs as planned.
 */
import type { Storage } from '../db/storage.ts';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { AlertBus } from './alert-bus.ts';
import { AlertEngine } from './engine.ts';
import { escalateDueAlerts } from './escalation.ts';
import { HerdMonitor } from './herd-monitor.ts';

export interface AlertsOptions {
  readonly storage: Storage;
  readonly bus: AlertBus;
  readonly logger?: Logger;
  readonly evaluationIntervalMs: number;
  readonly escalationIntervalMs: number;
}

export interface RunningAlerts {
  readonly engine: AlertEngine;
  readonly herdMonitor: HerdMonitor;
  /** Hand to the ingest batcher (`onCommitted`). */
  readonly onCommitted: HerdMonitor['onCommitted'];
  /** Hand to the ingest batcher (`isUrgent`): readings that may raise or clear a geofence alert. */
  readonly isUrgent: (work: {
    readonly readings: Parameters<HerdMonitor['isUrgent']>[0];
  }) => boolean;
  /** One sweep now (also run by the timer). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAlerts(options: AlertsOptions): Promise<RunningAlerts> {
  const logger = options.logger ?? silentLogger;
  const engine = new AlertEngine({ storage: options.storage, bus: options.bus, logger });
  const herdMonitor = new HerdMonitor({ engine, logger });
  await herdMonitor.reload();

  let sweeping: Promise<void> | null = null;
  const sweep = (): Promise<void> => {
    sweeping ??= herdMonitor
      .sweep()
      .catch((error: unknown) =>
        logger.error('alert sweep failed', { reason: errorMessage(error) }),
      )
      .finally(() => {
        sweeping = null;
      });
    return sweeping;
  };
  let escalating: Promise<unknown> | null = null;
  const escalate = (): void => {
    // Also raises and clears what became due, so minimum durations are kept to this interval
    // rather than to the (longer) sweep's.
    escalating ??= Promise.all([escalateDueAlerts(engine), engine.promoteDue()])
      .catch((error: unknown) =>
        logger.error('alert escalation failed', { reason: errorMessage(error) }),
      )
      .finally(() => {
        escalating = null;
      });
  };
  const sweepTimer = setInterval(() => void sweep(), options.evaluationIntervalMs);
  const escalationTimer = setInterval(escalate, options.escalationIntervalMs);
  sweepTimer.unref();
  escalationTimer.unref();

  return {
    engine,
    herdMonitor,
    onCommitted: (work) => herdMonitor.onCommitted(work),
    isUrgent: (work) => herdMonitor.isUrgent(work.readings),
    sweep,
    stop: async () => {
      clearInterval(sweepTimer);
      clearInterval(escalationTimer);
      await Promise.allSettled([sweeping, escalating, herdMonitor.drain()]);
    },
  };
}
