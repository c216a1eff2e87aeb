import { createHash } from 'node:crypto';
import pg from 'pg';
import pgCopyStreams from 'pg-copy-streams';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageError } from '../errors.ts';
import type {
  Queryable,
  QueryOptions,
  QueryResult,
  SqlParam,
  Storage,
  StorageInfo,
} from './storage.ts';
import { TEXT_KEPT_TYPE_IDS } from './storage.ts';
import { describeServer } from './server-info.ts';

const keptAsText = new Set<number>(Object.values(TEXT_KEPT_TYPE_IDS));

/** Per-pool type parsing, so we never touch pg's global parser table. */
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    keptAsText.has(oid)
      ? (value: string) => value
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export interface PgStorageOptions {
  readonly connectionString: string;
  readonly poolMax?: number;
  readonly applicationName?: string;
}

/** Storage on a PostgreSQL server (TimescaleDB when the extension is present). */
export function openPgStorage(options: PgStorageOptions): Storage {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolMax ?? 10,
    application_name: options.applicationName ?? 'pledgewatch',
    types: typeParsers,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its server emits here; without a listener the process would crash.
  pool.on('error', () => undefined);

  const storage: Storage = {
    kind: 'pg',
    query: (sql, params, options) => runQuery(pool, sql, params, options),
    exec: async (sql) => {
      await wrap(() => pool.query(sql), sql);
    },
    transaction: async (work) => {
      const client = await wrap(() => pool.connect(), 'connect');
      let broken = false;
      // pg-pool listens for 'error' only on idle clients. If the server ends this connection while
      // it is checked out (restart, `pg_ctl stop -m fast`), pg emits 'error' on the client, and
      // without a listener that is an uncaught exception that kills the process. The query in
      // flight fails on its own (and the caller retries); here we only discard the client.
      const onConnectionLost = (): void => {
        broken = true;
      };
      client.on('error', onConnectionLost);
      try {
        await client.query('begin');
        const result = await work(clientQueryable(client));
        await client.query('commit');
        return result;
      } catch (error) {
        try {
          await client.query('rollback');
        } catch (rollbackError) {
          broken = true;
          throw new StorageError('rollback failed after a failed transaction', {
            cause: new AggregateError([error, rollbackError]),
          });
        }
        throw error;
      } finally {
        client.off('error', onConnectionLost);
        client.release(broken);
      }
    },
    hasTimescaledb: async () => {
      const { rows } = await runQuery<{ available: boolean }>(
        pool,
        `select exists (select 1 from pg_available_extensions where name = 'timescaledb')
                and current_setting('shared_preload_libraries') ~ 'timescaledb' as available`,
      );
      return rows[0]?.available === true;
    },
    info: (): Promise<StorageInfo> => describeServer(storage),
    close: () => pool.end(),
  };
  return storage;
}

function clientQueryable(client: pg.PoolClient): Queryable {
  return {
    query: (sql, params, options) => runQuery(client, sql, params, options),
    exec: async (sql) => {
      await wrap(() => client.query(sql), sql);
    },
    copyFrom: async (copySql, lines) => {
      const copyStream = client.query(pgCopyStreams.from(copySql));
      await wrap(() => pipeline(Readable.from(lines), copyStream), copySql);
    },
  };
}

async function runQuery<Row>(
  target: pg.Pool | pg.PoolClient,
  sql: string,
  params?: readonly SqlParam[],
  options?: QueryOptions,
): Promise<QueryResult<Row>> {
  const values = params as unknown[] | undefined;
  const result = await wrap(
    () =>
      options?.prepare === true
        ? target.query({ name: statementName(sql), text: sql, values })
        : target.query(sql, values),
    sql,
  );
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
}

const statementNames = new Map<string, string>();

/**
 * The name of a prepared statement, derived from its text: the driver prepares a name once per
 * connection and refuses one name for two texts, so the text decides the name.
 */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `pw_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

/** Keeps the driver's error (with its SQLSTATE `code`) as the cause. */
async function wrap<T>(run: () => Promise<T>, sql: string): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStorageError(error, sql);
  }
}

export function toStorageError(error: unknown, sql: string): StorageError {
  if (error instanceof StorageError) return error;
  const driver = error as { message?: string; code?: string; detail?: string };
  const statement = sql.trim().split('\n')[0]?.slice(0, 120) ?? '';
  return new StorageError(`${driver.message ?? String(error)} (in: ${statement})`, {
    cause: error,
    details: { sqlstate: driver.code ?? null, detail: driver.detail ?? null },
  });
}
