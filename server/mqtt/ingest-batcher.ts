import type { CameraCount } from '../db/camera-counts.ts';
import { writeCameraCounts } from '../db/camera-counts.ts';
import { recordRejections, type Rejection } from '../db/rejected-messages.ts';
import type { Storage } from '../db/storage.ts';
import { writeTagReadings, type TagReading } from '../db/tag-readings.ts';
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
  /** Flush once this many rows are waiting. */
  readonly maxBatchRows?: number;
  /** Flush at the latest this long after the first waiting item. */
  readonly maxDelayMs?: number;
  /** Backoff after a failed write: first and longest wait. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  readonly logger?: Logger;
}

export interface IngestBatcherStats {
  readonly queuedItems: number;
  readonly queuedRows: number;
  readonly committedBatches: number;
  readonly committedRows: number;
  readonly failedAttempts: number;
}

interface Pending {
  readonly work: IngestWork;
  readonly rows: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Collects the work of many messages and commits it in few transactions (by size and by time).
 * `submit` resolves only once the work is committed: the broker acknowledges a QoS 1 message then,
 * and not before. When the database fails, the batch stays at the head of the queue and is tried
 * again with backoff; nothing is dropped. Callers wait meanwhile, and since an unacknowledged MQTT
 * client stops sending once its in-flight window is full, a slow database slows the publishers
 * instead of growing memory.
 */
export class IngestBatcher {
  readonly #storage: Storage;
  readonly #maxBatchRows: number;
  readonly #maxDelayMs: number;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  readonly #logger: Logger;
  readonly #queue: Pending[] = [];
  #queuedRows = 0;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #closed = false;
  #stats = { committedBatches: 0, committedRows: 0, failedAttempts: 0 };

  constructor(storage: Storage, options: IngestBatcherOptions = {}) {
    this.#storage = storage;
    this.#maxBatchRows = options.maxBatchRows ?? 5_000;
    this.#maxDelayMs = options.maxDelayMs ?? 20;
    this.#retryMinMs = options.retryMinMs ?? 100;
    this.#retryMaxMs = options.retryMaxMs ?? 5_000;
    this.#logger = options.logger ?? silentLogger;
  }

  submit(work: IngestWork): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new AppError('shutting_down', 'ingest is stopping: send again later'));
    }
    return new Promise<void>((resolve, reject) => {
      const rows = work.readings.length + work.cameraCounts.length + work.rejections.length || 1;
      this.#queue.push({ work, rows, resolve, reject });
      this.#queuedRows += rows;
      if (this.#queuedRows >= this.#maxBatchRows) this.#startFlush();
      else this.#timer ??= setTimeout(() => this.#startFlush(), this.#maxDelayMs);
    });
  }

  stats(): IngestBatcherStats {
    return { queuedItems: this.#queue.length, queuedRows: this.#queuedRows, ...this.#stats };
  }

  /**
   * Stops taking work and commits what is queued, for at most `timeoutMs`; what is still queued
   * then is refused (not acknowledged), so its senders deliver it again after a restart.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + timeoutMs;
    while (this.#queue.length > 0 && Date.now() < deadline) {
      this.#startFlush();
      await Promise.race([this.#flushing, sleep(Math.max(0, deadline - Date.now()))]);
    }
    if (this.#timer !== null) clearTimeout(this.#timer);
    const left = this.#queue.splice(0);
    this.#queuedRows = 0;
    for (const item of left) {
      item.reject(new AppError('shutting_down', 'ingest stopped before this was stored'));
    }
  }

  #startFlush(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#flushing ??= this.#flushLoop().finally(() => {
      this.#flushing = null;
      if (this.#queue.length > 0 && !this.#closed) {
        this.#timer ??= setTimeout(() => this.#startFlush(), 0);
      }
    });
  }

  async #flushLoop(): Promise<void> {
    let failures = 0;
    while (this.#queue.length > 0) {
      const batch = this.#takeBatch();
      try {
        await this.#write(batch);
        failures = 0;
        this.#queue.splice(0, batch.length);
        const rows = batch.reduce((n, item) => n + item.rows, 0);
        this.#queuedRows -= rows;
        this.#stats.committedBatches += 1;
        this.#stats.committedRows += rows;
        for (const item of batch) item.resolve();
      } catch (error) {
        failures += 1;
        this.#stats.failedAttempts += 1;
        const waitMs = Math.min(this.#retryMaxMs, this.#retryMinMs * 2 ** (failures - 1));
        this.#logger.warn('ingest write failed; retrying', {
          attempt: failures,
          retryInMs: waitMs,
          queuedRows: this.#queuedRows,
          reason: errorMessage(error),
        });
        if (this.#closed) return;
        await sleep(waitMs);
      }
    }
  }

  /** The head of the queue up to the batch size (at least one item). */
  #takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let rows = 0;
    for (const item of this.#queue) {
      if (batch.length > 0 && rows + item.rows > this.#maxBatchRows) break;
      batch.push(item);
      rows += item.rows;
    }
    return batch;
  }

  async #write(batch: readonly Pending[]): Promise<void> {
    const readings = batch.flatMap((item) => item.work.readings);
    const cameraCounts = batch.flatMap((item) => item.work.cameraCounts);
    const rejections = batch.flatMap((item) => item.work.rejections);
    const seen = new Map<string, Date>();
    for (const item of batch) {
      const s = item.work.gatewaySeen;
      if (s !== undefined && (seen.get(s.gatewayId)?.getTime() ?? 0) < s.at.getTime()) {
        seen.set(s.gatewayId, s.at);
      }
    }
    await this.#storage.transaction(async (tx) => {
      await writeTagReadings(tx, readings);
      await writeCameraCounts(tx, cameraCounts);
      await recordRejections(tx, rejections);
      if (seen.size > 0) {
        await tx.query(
          `update gateways g set last_seen_at = greatest(g.last_seen_at, s.at)
           from unnest($1::uuid[], $2::timestamptz[]) as s(id, at) where g.id = s.id`,
          [[...seen.keys()], [...seen.values()].map((d) => d.toISOString())],
        );
      }
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
