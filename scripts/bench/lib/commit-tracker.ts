import type { Queryable, Storage } from '../../../server/db/storage.ts';
import { createArrivalCounter, epochMs } from './counter.ts';

export interface CommitTracker {
  /** Storage to hand to the service: the same, but every committed reading batch is recorded. */
  readonly storage: Storage;
  /** Forgets what was recorded (between measurements). */
  reset(): void;
  /** Readings committed since the last reset. */
  committedRows(): number;
  /** Epoch ms of the last commit since the last reset (0 if none). */
  lastCommitAtMs(): number;
  /** Resolves once `rows` readings are committed, or at `timeoutMs` (then false). */
  waitForRows(rows: number, timeoutMs: number): Promise<boolean>;
  /** observedAt -> first commit lag of each reading committed since the reset, ms (parsed lazily). */
  lagsMs(): Float64Array;
}

interface CommittedBatch {
  readonly atMs: number;
  /** COPY text of the batch (big batches), one reading per line. */
  readonly chunks: readonly string[];
  /** Or the observedAt and tag columns of its `insert ... unnest` (small batches). */
  readonly columns: readonly UnnestColumns[];
}

interface UnnestColumns {
  readonly observedAt: readonly string[];
  readonly tags: readonly string[];
}

/**
 * Hooks the service side of ingest without touching its code: wraps the Storage the service is
 * given, so the readings of each batch (the COPY into the `tag_readings_stage` table, or the
 * observedAt and tag arrays of the `insert into tag_readings ... unnest` that small batches use)
 * are captured and, once its transaction commits, stamped with the commit time. An `insert ...
 * unnest` run outside a transaction (the service writes small batches of readings alone so)
 * commits on its own, and is stamped when it returns. The COPY text is
 * parsed only on `lagsMs()` (after the measurement), so the hook costs the service little more
 * than a newline count.
 */
export function trackCommits(inner: Storage): CommitTracker {
  let batches: CommittedBatch[] = [];
  const committed = createArrivalCounter();
  const innerCopyFrom = inner.copyFrom?.bind(inner);

  const storage: Storage = {
    kind: inner.kind,
    query: async <Row>(
      sql: string,
      params?: Parameters<Storage['query']>[1],
      options?: Parameters<Storage['query']>[2],
    ) => {
      const columns = unnestColumnsOf(sql, params);
      const result = await inner.query<Row>(sql, params, options);
      // A statement outside a transaction commits on its own (small batches of readings alone).
      if (columns !== null) {
        batches.push({ atMs: epochMs(), chunks: [], columns: [columns] });
        committed.add(columns.tags.length);
      }
      return result;
    },
    exec: (sql) => inner.exec(sql),
    ...(innerCopyFrom === undefined ? {} : { copyFrom: innerCopyFrom }),
    hasTimescaledb: () => inner.hasTimescaledb(),
    info: () => inner.info(),
    close: () => inner.close(),
    transaction: async (work) => {
      const chunks: string[] = [];
      const columns: UnnestColumns[] = [];
      const result = await inner.transaction((tx) => work(capturing(tx, chunks, columns)));
      if (chunks.length > 0 || columns.length > 0) {
        batches.push({ atMs: epochMs(), chunks, columns });
        committed.add(
          chunks.reduce((n, chunk) => n + countLines(chunk), 0) +
            columns.reduce((n, c) => n + c.tags.length, 0),
        );
      }
      return result;
    },
  };

  return {
    storage,
    reset: () => {
      batches = [];
      committed.reset();
    },
    committedRows: () => committed.value(),
    lastCommitAtMs: () => committed.lastAtMs(),
    waitForRows: (wanted, timeoutMs) => committed.waitFor(wanted, timeoutMs),
    lagsMs: () => {
      const lags: number[] = [];
      // A redelivered reading is committed twice (stored once): count its first commit only.
      const seen = new Set<string>();
      for (const batch of batches) {
        for (const chunk of batch.chunks) {
          let start = 0;
          while (start < chunk.length) {
            let end = chunk.indexOf('\n', start);
            if (end < 0) end = chunk.length;
            const tab = chunk.indexOf('\t', start);
            const tab2 = tab < 0 ? -1 : chunk.indexOf('\t', tab + 1);
            if (tab > start && tab2 > tab && tab2 < end) {
              const tag = chunk.slice(tab + 1, tab2);
              if (!seen.has(tag)) {
                seen.add(tag);
                lags.push(batch.atMs - Date.parse(chunk.slice(start, tab)));
              }
            }
            start = end + 1;
          }
        }
        for (const { observedAt, tags } of batch.columns) {
          tags.forEach((tag, i) => {
            if (seen.has(tag)) return;
            seen.add(tag);
            lags.push(batch.atMs - Date.parse(observedAt[i] ?? ''));
          });
        }
      }
      return Float64Array.from(lags);
    },
  };
}

/** A transaction handle that keeps what the batch writes of tag readings (see `trackCommits`). */
function capturing(tx: Queryable, chunks: string[], columns: UnnestColumns[]): Queryable {
  const copyFrom = tx.copyFrom;
  return {
    query: (sql, params, options) => {
      const written = unnestColumnsOf(sql, params);
      if (written !== null) columns.push(written);
      return tx.query(sql, params, options);
    },
    exec: (sql) => tx.exec(sql),
    ...(copyFrom === undefined
      ? {}
      : {
          copyFrom: (sql: string, lines: Iterable<string>) => {
            if (!sql.includes('tag_readings_stage')) return copyFrom(sql, lines);
            const kept = [...lines];
            chunks.push(...kept);
            return copyFrom(sql, kept);
          },
        }),
  };
}

/** The observedAt and tag columns of an `insert into tag_readings ... unnest(...)`, else null. */
function unnestColumnsOf(
  sql: string,
  params: readonly unknown[] | undefined,
): UnnestColumns | null {
  if (params === undefined || !/^\s*insert into tag_readings\b[\s\S]*\bunnest\(/.test(sql)) {
    return null;
  }
  // $1 observed_at as ISO text, $2 tag_code: see writeByUnnest in server/db/tag-readings.ts.
  return { observedAt: params[0] as string[], tags: params[1] as string[] };
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n += 1;
  return n;
}
