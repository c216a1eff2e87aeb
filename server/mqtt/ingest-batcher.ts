import type { CameraCount } from '../db/camera-counts.ts';
import { writeCameraCounts } from '../db/camera-counts.ts';
import { recordRejections, type Rejection } from '../db/rejected-messages.ts';
import type { Queryable, Storage } from '../db/storage.ts';
import { copyMinRows, writeTagReadings, type TagReading } from '../db/tag-readings.ts';
import { AppError, errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';

/** What one accepted message asks to store. */
export interface IngestWork {
  readonly readings: readonly TagReading[];
  readonly cameraCounts: readonly CameraCount[];
  readonly rejections: readonly Rejection[];
  /** Gateways to mark as seen, with when. */
  readonly gatewaySeen?: { readonly gatewayId: string; readonly at: Date };
}

export interface IngestBatcherOptions {
  /** At most this many rows in one write (transaction or statement). */
  readonly maxBatchRows?: number;
  /**
   * Transactions in flight at once. One commit's round trip is mostly waiting on the database,
   * so a second one in flight keeps the pipe full; more adds little on two cores.
   */
  readonly maxConcurrentFlushes?: number;
  /**
   * A batch starts at most this often (ms) while it is below `maxBatchRows`: what arrives
   * meanwhile joins it. At 10 000 readings/s, demand alone started about 700 batches a second of
   * 15 rows, each a statement with its round trip; with 10 ms, 100 batches of 100 rows took this
   * process from 0.60 to 0.50 cores. A batch after a quiet spell, and the express lane, never wait.
   * 0 turns it off. Default 10.
   */
  readonly lingerMs?: number;
  /** Backoff after a failed write: first and longest wait. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** A gateway's last_seen_at is written at most this often (it is shown, not counted). */
  readonly gatewaySeenIntervalMs?: number;
  readonly logger?: Logger;
  /**
   * Called once per committed batch with everything it stored (the alert engine's low-latency
   * path). Synchronous and must not throw; a thrown error is logged and the batch stays committed.
   */
  readonly onCommitted?: (work: CommittedWork) => void;
  /**
   * Whether a message's work should skip the queue (the alert engine's express lane: a reading
   * that may raise or clear an alert). Urgent work is committed at once in its own small write
   * (started at the end of the turn it arrived in), one such write at a time, instead of waiting
   * behind the big batches in flight. Synchronous, cheap and must not throw (a thrown error counts as not urgent).
   */
  readonly isUrgent?: (work: IngestWork) => boolean;
}

/** What one batch committed: the readings and camera counts now in the database. */
export interface CommittedWork {
  readonly readings: readonly TagReading[];
  readonly cameraCounts: readonly CameraCount[];
}

export interface IngestBatcherStats {
  readonly queuedItems: number;
  readonly queuedRows: number;
  readonly inFlightFlushes: number;
  readonly committedBatches: number;
  readonly committedRows: number;
  /** Of the committed batches, those of the express lane. */
  readonly urgentBatches: number;
  readonly failedAttempts: number;
}

interface Pending {
  /** Arrival order: a failed batch goes back where it was. */
  readonly seq: number;
  readonly work: IngestWork;
  readonly rows: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Collects the work of many messages and commits it in few transactions. `submit` resolves only
 * once the work is committed: the broker acknowledges a QoS 1 message then, and not before.
 *
 * Batching is by demand, with a short linger: what arrives during one event-loop turn is flushed
 * at its end if a flush slot is free and no batch started within `lingerMs`; while every slot
 * waits on the database, work piles up and goes out as one bigger batch when a slot frees. Light
 * load thus commits at once, a steady stream in batches of `lingerMs` worth, heavy load in large
 * transactions; no reading waits longer than `lingerMs` for a free slot.
 *
 * When the database fails, the batch goes back to the head of the queue and every slot pauses
 * with backoff; nothing is dropped. Callers wait meanwhile, and since an unacknowledged MQTT
 * client stops sending once its in-flight window is full, a slow database slows the publishers
 * instead of growing memory.
 */
export class IngestBatcher {
  readonly #storage: Storage;
  readonly #maxBatchRows: number;
  readonly #maxConcurrentFlushes: number;
  readonly #lingerMs: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #gatewaySeenIntervalMs: number;
  readonly #logger: Logger;
  readonly #onCommitted: ((work: CommittedWork) => void) | undefined;
  readonly #isUrgent: ((work: IngestWork) => boolean) | undefined;
  #queue: Pending[] = [];
  /** The express lane: urgent work, committed one small write at a time. */
  #urgent: Pending[] = [];
  /**
   * A pump of the express lane is due at the end of this turn (a microtask, not an immediate: the
   * check phase of a busy event loop comes only after every socket read of the turn).
   */
  #urgentScheduled = false;
  #urgentInFlight: Promise<void> | null = null;
  #queuedRows = 0;
  #nextSeq = 0;
  #scheduled: NodeJS.Immediate | null = null;
  /** When the last batch started, and the timer of the next one while it lingers. */
  #lastBatchStartedAt = 0;
  #lingerTimer: NodeJS.Timeout | null = null;
  readonly #inFlight = new Set<Promise<void>>();
  /** No flush starts before this time (backoff after a failure). */
  #pausedUntil = 0;
  #pauseTimer: NodeJS.Timeout | null = null;
  #consecutiveFailures = 0;
  #closed = false;
  readonly #gatewaySeenWritten = new Map<string, number>();
  #stats = { committedBatches: 0, committedRows: 0, failedAttempts: 0, urgentBatches: 0 };

  constructor(storage: Storage, options: IngestBatcherOptions = {}) {
    this.#storage = storage;
    this.#maxBatchRows = options.maxBatchRows ?? 5_000;
    this.#maxConcurrentFlushes = options.maxConcurrentFlushes ?? 2;
    this.#lingerMs = options.lingerMs ?? 10;
    this.#retryMinMs = options.retryMinMs ?? 100;
    this.#retryMaxMs = options.retryMaxMs ?? 5_000;
    this.#gatewaySeenIntervalMs = options.gatewaySeenIntervalMs ?? 5_000;
    this.#logger = options.logger ?? silentLogger;
    this.#onCommitted = options.onCommitted;
    this.#isUrgent = options.isUrgent;
  }

  submit(work: IngestWork): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new AppError('shutting_down', 'ingest is stopping: send again later'));
    }
    return new Promise<void>((resolve, reject) => {
      const rows = work.readings.length + work.cameraCounts.length + work.rejections.length || 1;
      const item: Pending = { seq: this.#nextSeq++, work, rows, resolve, reject };
      if (this.#isUrgentWork(work)) {
        this.#urgent.push(item);
        if (!this.#urgentScheduled) {
          this.#urgentScheduled = true;
          queueMicrotask(() => this.#pumpUrgent());
        }
        return;
      }
      this.#queue.push(item);
      this.#queuedRows += rows;
      if (this.#queuedRows >= this.#maxBatchRows) this.#pump();
      else this.#scheduled ??= setImmediate(() => this.#pump());
    });
  }

  stats(): IngestBatcherStats {
    return {
      queuedItems: this.#queue.length,
      queuedRows: this.#queuedRows,
      inFlightFlushes: this.#inFlight.size,
      ...this.#stats,
    };
  }

  /**
   * Stops taking work and commits what is queued, for at most `timeoutMs`; what is still queued
   * then is refused (not acknowledged), so its senders deliver it again after a restart.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + timeoutMs;
    // Urgent work left is committed with the rest, in arrival order.
    this.#requeueUrgent(this.#urgent.splice(0));
    while (
      (this.#queue.length > 0 || this.#inFlight.size > 0 || this.#urgentInFlight !== null) &&
      Date.now() < deadline
    ) {
      this.#pump();
      const waitMs = Math.max(0, deadline - Date.now());
      await Promise.race([
        ...this.#inFlight,
        ...(this.#urgentInFlight === null ? [] : [this.#urgentInFlight]),
        sleep(Math.min(waitMs, 50)),
      ]);
      this.#requeueUrgent(this.#urgent.splice(0));
    }
    this.#clearTimers();
    const left = this.#queue.splice(0);
    this.#queuedRows = 0;
    for (const item of left) {
      item.reject(new AppError('shutting_down', 'ingest stopped before this was stored'));
    }
  }

  #clearTimers(): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    this.#urgentScheduled = false;
    if (this.#pauseTimer !== null) clearTimeout(this.#pauseTimer);
    this.#pauseTimer = null;
    if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
  }

  #isUrgentWork(work: IngestWork): boolean {
    if (this.#isUrgent === undefined || work.readings.length === 0) return false;
    try {
      return this.#isUrgent(work);
    } catch (error) {
      this.#logger.error('isUrgent hook failed', { reason: errorMessage(error) });
      return false;
    }
  }

  /**
   * The express lane: commits every urgent item queued so far in one write, unless one is
   * in flight (then the next starts when it ends). It ignores the flush slots but not a backoff:
   * while the database fails, urgent work joins the normal queue, which retries it in order.
   */
  #pumpUrgent(): void {
    this.#urgentScheduled = false;
    if (this.#urgentInFlight !== null || this.#urgent.length === 0) return;
    if (this.#closed || this.#pausedUntil > Date.now()) {
      this.#requeueUrgent(this.#urgent.splice(0));
      this.#pump();
      return;
    }
    let rows = 0;
    let count = 0;
    for (const item of this.#urgent) {
      if (count > 0 && rows + item.rows > this.#maxBatchRows) break;
      rows += item.rows;
      count += 1;
    }
    const batch = this.#urgent.splice(0, count);
    const flush: Promise<void> = this.#flushUrgent(batch, rows).finally(() => {
      this.#urgentInFlight = null;
      if (this.#urgent.length > 0) this.#pumpUrgent();
    });
    this.#urgentInFlight = flush;
  }

  async #flushUrgent(batch: Pending[], rows: number): Promise<void> {
    try {
      await this.#write(batch);
      this.#stats.committedBatches += 1;
      this.#stats.urgentBatches += 1;
      this.#stats.committedRows += rows;
      for (const item of batch) item.resolve();
      this.#notifyCommitted(batch);
    } catch (error) {
      // The normal queue retries it, in arrival order, with its backoff.
      this.#logger.warn('urgent ingest write failed; retrying in the normal queue', {
        rows,
        reason: errorMessage(error),
      });
      this.#requeueUrgent(batch);
      this.#pump();
    }
  }

  /** Puts urgent items back into the normal queue where their arrival order places them. */
  #requeueUrgent(items: readonly Pending[]): void {
    if (items.length === 0) return;
    for (const item of items) this.#queuedRows += item.rows;
    this.#queue = [...this.#queue, ...items].sort((a, b) => a.seq - b.seq);
  }

  /** Starts flushes while there is work and a free slot. */
  #pump(): void {
    if (this.#scheduled !== null) {
      clearImmediate(this.#scheduled);
      this.#scheduled = null;
    }
    const waitMs = this.#pausedUntil - Date.now();
    if (waitMs > 0) {
      this.#pauseTimer ??= setTimeout(() => {
        this.#pauseTimer = null;
        this.#pump();
      }, waitMs);
      return;
    }
    const lingerLeftMs = this.#lastBatchStartedAt + this.#lingerMs - Date.now();
    if (
      lingerLeftMs > 0 &&
      !this.#closed &&
      this.#queue.length > 0 &&
      this.#queuedRows < this.#maxBatchRows &&
      this.#inFlight.size < this.#maxConcurrentFlushes
    ) {
      this.#lingerTimer ??= setTimeout(() => {
        this.#lingerTimer = null;
        this.#pump();
      }, lingerLeftMs);
      return;
    }
    while (this.#queue.length > 0 && this.#inFlight.size < this.#maxConcurrentFlushes) {
      this.#lastBatchStartedAt = Date.now();
      const batch = this.#takeBatch();
      const flush: Promise<void> = this.#flush(batch).finally(() => {
        this.#inFlight.delete(flush);
        if (this.#queue.length > 0) this.#pump();
      });
      this.#inFlight.add(flush);
    }
  }

  async #flush(batch: Pending[]): Promise<void> {
    const rows = batch.reduce((n, item) => n + item.rows, 0);
    try {
      await this.#write(batch);
      this.#consecutiveFailures = 0;
      this.#stats.committedBatches += 1;
      this.#stats.committedRows += rows;
      for (const item of batch) item.resolve();
      this.#notifyCommitted(batch);
    } catch (error) {
      // Back into the queue where it was (ahead of everything that came later), and every slot
      // waits out the backoff.
      const first = batch[0]?.seq ?? 0;
      const at = this.#queue.findIndex((item) => item.seq > first);
      this.#queue.splice(at === -1 ? this.#queue.length : at, 0, ...batch);
      this.#queuedRows += rows;
      this.#consecutiveFailures += 1;
      this.#stats.failedAttempts += 1;
      const waitMs = Math.min(
        this.#retryMaxMs,
        this.#retryMinMs * 2 ** Math.min(this.#consecutiveFailures - 1, 20),
      );
      this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + waitMs);
      this.#logger.warn('ingest write failed; retrying', {
        attempt: this.#consecutiveFailures,
        retryInMs: waitMs,
        queuedRows: this.#queuedRows,
        reason: errorMessage(error),
      });
    }
  }

  #notifyCommitted(batch: readonly Pending[]): void {
    if (this.#onCommitted === undefined) return;
    try {
      this.#onCommitted({
        readings: batch.flatMap((item) => item.work.readings),
        cameraCounts: batch.flatMap((item) => item.work.cameraCounts),
      });
    } catch (error) {
      this.#logger.error('onCommitted hook failed', { reason: errorMessage(error) });
    }
  }

  /** Takes the head of the queue up to the batch size (at least one item). */
  #takeBatch(): Pending[] {
    let rows = 0;
    let count = 0;
    for (const item of this.#queue) {
      if (count > 0 && rows + item.rows > this.#maxBatchRows) break;
      rows += item.rows;
      count += 1;
    }
    this.#queuedRows -= rows;
    return this.#queue.splice(0, count);
  }

  /**
   * The gateways of this batch whose last_seen_at is due, with their latest time, in id order:
   * concurrent writes then lock the rows in the same order and cannot deadlock.
   */
  #gatewaysToMarkSeen(batch: readonly Pending[]): Map<string, Date> {
    const latest = new Map<string, Date>();
    for (const item of batch) {
      const s = item.work.gatewaySeen;
      if (s !== undefined && (latest.get(s.gatewayId)?.getTime() ?? 0) < s.at.getTime()) {
        latest.set(s.gatewayId, s.at);
      }
    }
    const now = Date.now();
    const due = [...latest].filter(
      ([id]) => now - (this.#gatewaySeenWritten.get(id) ?? 0) >= this.#gatewaySeenIntervalMs,
    );
    return new Map(due.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /**
   * Stores a batch and marks its gateways as seen. Readings alone (nearly every message) below the
   * COPY threshold go in one statement outside an explicit transaction: a single statement commits
   * atomically on its own, and leaving out BEGIN and COMMIT saves two of three round trips, which
   * is most of a small batch's latency and much of its client CPU. The gateways' `last_seen_at`
   * then goes alongside on another connection: it is shown, not counted, so it need not commit
   * with the rows, and if it fails it is only written again with a later batch.
   */
  async #write(batch: readonly Pending[]): Promise<void> {
    const seen = this.#gatewaysToMarkSeen(batch);
    const readings = batch.flatMap((item) => item.work.readings);
    const cameraCounts = batch.flatMap((item) => item.work.cameraCounts);
    const rejections = batch.flatMap((item) => item.work.rejections);
    if (cameraCounts.length === 0 && rejections.length === 0 && readings.length < copyMinRows) {
      const [stored, marked] = await Promise.allSettled([
        writeTagReadings(this.#storage, readings),
        markGatewaysSeen(this.#storage, seen),
      ]);
      if (stored.status === 'rejected') throw stored.reason;
      if (marked.status === 'fulfilled') this.#noteSeenWritten(seen);
      else {
        this.#logger.warn('marking gateways as seen failed; again with a later batch', {
          reason: errorMessage(marked.reason),
        });
      }
      return;
    }
    await this.#storage.transaction(async (tx) => {
      await writeTagReadings(tx, readings);
      await writeCameraCounts(tx, cameraCounts);
      await recordRejections(tx, rejections);
      await markGatewaysSeen(tx, seen);
    });
    this.#noteSeenWritten(seen);
  }

  #noteSeenWritten(seen: ReadonlyMap<string, Date>): void {
    const now = Date.now();
    for (const gatewayId of seen.keys()) this.#gatewaySeenWritten.set(gatewayId, now);
  }
}

/** Moves each gateway's `last_seen_at` forward to its time (never back). */
async function markGatewaysSeen(db: Queryable, seen: ReadonlyMap<string, Date>): Promise<void> {
  if (seen.size === 0) return;
  await db.query(
    `update gateways g set last_seen_at = greatest(g.last_seen_at, s.at)
     from unnest($1::uuid[], $2::timestamptz[]) as s(id, at) where g.id = s.id`,
    [[...seen.keys()], [...seen.values()].map((d) => d.toISOString())],
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
