/**
 * One storage interface over two backends: PostgreSQL/TimescaleDB through `pg`, and the embedded
 * PGlite. Both run the same SQL; values come back the same way on both (timestamptz as Date;
 * int8, numeric and date as strings, so money and ids never lose precision).
 */
export type SqlParam = string | number | boolean | null | Date | readonly unknown[] | object;

export interface QueryResult<Row> {
  readonly rows: Row[];
  /** Rows inserted, updated or deleted by the statement (0 for a select). */
  readonly rowCount: number;
}

export interface QueryOptions {
  /**
   * A hot statement: the backend keeps it parsed and planned per connection (a named prepared
   * statement on PostgreSQL), which saves the database about a millisecond of CPU per call on the
   * alert engine's raise. Only for SQL whose text is one of a few: each distinct text is kept.
   * PGlite, in the process, ignores it.
   */
  readonly prepare?: boolean;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(
    sql: string,
    params?: readonly SqlParam[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Streams rows in PostgreSQL's COPY text format into `COPY ... FROM STDIN`. Present only on
   * backends that speak the COPY sub-protocol; callers fall back to a set-based insert otherwise.
   */
  readonly copyFrom?: (copySql: string, lines: Iterable<string>) => Promise<void>;
}

export type Backend = 'timescaledb' | 'postgres' | 'pglite';

export interface StorageInfo {
  readonly backend: Backend;
  /** `server_version` of the database, e.g. "15.20 (Debian 15.20-0+deb12u1)". */
  readonly serverVersion: string;
  readonly timescaledbVersion: string | null;
  readonly postgisVersion: string | null;
}

export interface Storage extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Whether the TimescaleDB extension can be used (installed and preloaded). */
  hasTimescaledb(): Promise<boolean>;
  info(): Promise<StorageInfo>;
  close(): Promise<void>;
}

/** Type ids whose text form we keep as strings on both backends. */
export const TEXT_KEPT_TYPE_IDS = {
  int8: 20,
  numeric: 1700,
  date: 1082,
} as const;
