import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Queryable, QueryResult, SqlParam, Storage, StorageInfo } from './storage.ts';
import { TEXT_KEPT_TYPE_IDS } from './storage.ts';
import { describeServer } from './server-info.ts';
import { toStorageError } from './pg-storage.ts';
import { acquireDirLock, type DirLock } from './dir-lock.ts';

const asText = (value: string): string => value;
const parsers = Object.fromEntries(
  Object.values(TEXT_KEPT_TYPE_IDS).map((oid) => [oid, asText]),
) as Record<number, (value: string) => string>;

export interface PgliteStorageOptions {
  /** Folder that holds the database; null keeps it in memory (tests). */
  readonly dataDir: string | null;
}

/**
 * The embedded database: PostgreSQL compiled to WASM, in this process. One process may own a data
 * folder at a time, so opening takes a lock file beside the database.
 */
export async function openPgliteStorage(options: PgliteStorageOptions): Promise<Storage> {
  let lock: DirLock | null = null;
  let db: PGlite;
  if (options.dataDir === null) {
    db = new PGlite({ parsers });
  } else {
    const dir = path.join(options.dataDir, 'pglite');
    await mkdir(dir, { recursive: true });
    lock = await acquireDirLock(options.dataDir, 'pglite.lock');
    db = new PGlite(dir, { parsers });
  }
  try {
    await db.waitReady;
  } catch (error) {
    await lock?.release();
    throw toStorageError(error, 'open embedded database');
  }

  const storage: Storage = {
    kind: 'pglite',
    query: (sql, params) => runQuery(db, sql, params),
    exec: (sql) => runExec(db, sql),
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: (sql, params) => runQuery(tx, sql, params),
          exec: (sql) => runExec(tx, sql),
        }),
      ),
    // PGlite has no TimescaleDB; hypertable migrations are skipped and plain tables serve.
    hasTimescaledb: () => Promise.resolve(false),
    info: (): Promise<StorageInfo> => describeServer(storage),
    close: async () => {
      try {
        await db.close();
      } finally {
        await lock?.release();
      }
    },
  };
  return storage;
}

async function runQuery<Row>(
  target: PGlite | Transaction,
  sql: string,
  params?: readonly SqlParam[],
): Promise<QueryResult<Row>> {
  try {
    const result = await target.query<Row>(sql, params as unknown[] | undefined);
    return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
  } catch (error) {
    throw toStorageError(error, sql);
  }
}

async function runExec(target: PGlite | Transaction, sql: string): Promise<void> {
  try {
    await target.exec(sql);
  } catch (error) {
    throw toStorageError(error, sql);
  }
}

export type { Queryable };
export { types as pgliteTypes };
