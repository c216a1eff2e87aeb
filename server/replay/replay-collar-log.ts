import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { topicFor } from '../../iot/index.ts';
import type { CollarFix, CollarLog } from './collar-log.ts';

export interface ReplayOptions {
  /** `mqtt://host:port` (or mqtts, ws, wss) of the broker the service listens on. */
  readonly brokerUrl: string;
  /** The gateway to connect as (its code) and its secret. */
  readonly gatewayCode: string;
  readonly secret: string;
  readonly farmCode: string;
  readonly tagId: string;
  /**
   * Time scale: 1 replays in real time, 60 a minute per second; 0 sends as fast as the broker
   * acknowledges (up to `maxInFlight` unacknowledged messages).
   */
  readonly speed?: number;
  /**
   * Shift every fix by one offset so the log's last readable fix is "now" (default true). The
   * service rejects readings older than 30 days (clock skew), so an unshifted 2017 log would be
   * rejected whole; a log spanning more than 30 days still loses its oldest fixes.
   */
  readonly shiftToNow?: boolean;
  readonly now?: () => Date;
  /** Most QoS 1 messages awaiting their PUBACK at once when `speed` is 0 (default 100). */
  readonly maxInFlight?: number;
  /** Called after each acknowledged message. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly signal?: AbortSignal;
}

export interface ReplayProgress {
  readonly total: number;
  readonly sent: number;
  readonly acked: number;
}

export interface ReplaySummary extends ReplayProgress {
  /** Messages the broker refused or that failed to send. */
  readonly failed: number;
  /** Log lines that are not fixes (blank lines, repeated headers). */
  readonly skippedLines: number;
  /** What was added to each log time, ms. */
  readonly shiftMs: number;
}

/** The ear-tag payload for one fix: ISO 8601 UTC, or the raw text when the time is unreadable. */
export function collarFixPayload(fix: CollarFix, shiftMs: number): Record<string, unknown> {
  return {
    observedAt:
      fix.observedAt === null
        ? fix.rawTime
        : new Date(fix.observedAt.getTime() + shiftMs).toISOString(),
    lat: fix.lat,
    lon: fix.lon,
  };
}

/** The offset that moves the log's latest readable fix to `now` (0 when none is readable). */
export function shiftToNowMs(log: CollarLog, now: Date): number {
  let latest = -Infinity;
  for (const fix of log.fixes) {
    if (fix.observedAt !== null) latest = Math.max(latest, fix.observedAt.getTime());
  }
  return Number.isFinite(latest) ? now.getTime() - latest : 0;
}

function connect(options: ReplayOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(options.brokerUrl, {
      username: options.gatewayCode,
      password: options.secret,
      clientId: `${options.gatewayCode}-replay-${process.pid}-${Date.now().toString(36)}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(
        new Error(`cannot connect to ${options.brokerUrl} as ${options.gatewayCode}`, {
          cause: error,
        }),
      );
    });
  });
}

/**
 * Replays a collar log as a gateway would: each fix, in file order, as one QoS 1 ear-tag message
 * on `farms/{farm}/tags/{tag}/reading`. Every fix is sent, glitches included ((0,0), unreadable
 * dates, jumps): judging them is the service's job, and each refused one lands in
 * `rejected_messages` with its reason. Resolves when every message is acknowledged.
 *
 * @example
 * await replayCollarLog(parseCollarLog(text), { brokerUrl: 'mqtt://127.0.0.1:1883',
 *   gatewayCode: 'GW-KRT-01', secret, farmCode: 'F-KRT-01', tagId: 'BANNOCK-1149', speed: 0 })
 */
export async function replayCollarLog(
  log: CollarLog,
  options: ReplayOptions,
): Promise<ReplaySummary> {
  const speed = options.speed ?? 0;
  const maxInFlight = speed === 0 ? (options.maxInFlight ?? 100) : 1;
  const shiftMs =
    (options.shiftToNow ?? true) ? shiftToNowMs(log, (options.now ?? (() => new Date()))()) : 0;
  const topic = topicFor.tagReading(options.farmCode, options.tagId);
  const total = log.fixes.length;
  let sent = 0;
  let acked = 0;
  let failed = 0;
  const client = await connect(options);
  try {
    const inFlight = new Set<Promise<void>>();
    let previous: Date | null = null;
    for (const fix of log.fixes) {
      options.signal?.throwIfAborted();
      if (speed > 0 && previous !== null && fix.observedAt !== null) {
        const waitMs = (fix.observedAt.getTime() - previous.getTime()) / speed;
        if (waitMs > 0) await sleep(waitMs, undefined, { signal: options.signal });
      }
      if (fix.observedAt !== null) previous = fix.observedAt;
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      const publishing = client
        .publishAsync(topic, JSON.stringify(collarFixPayload(fix, shiftMs)), { qos: 1 })
        .then(
          () => {
            acked++;
            options.onProgress?.({ total, sent, acked });
          },
          () => {
            failed++;
          },
        )
        .finally(() => inFlight.delete(publishing));
      inFlight.add(publishing);
      sent++;
    }
    await Promise.all(inFlight);
  } finally {
    await client.endAsync();
  }
  return { total, sent, acked, failed, skippedLines: log.skippedLines, shiftMs };
}
