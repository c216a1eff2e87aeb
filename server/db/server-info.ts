import type { Queryable, StorageInfo } from './storage.ts';

/** Reads the server and extension versions the service runs on (logged at start, in /healthz). */
export async function describeServer(
  db: Queryable & { hasTimescaledb(): Promise<boolean>; kind: 'pg' | 'pglite' },
): Promise<StorageInfo> {
  const { rows } = await db.query<{
    server_version: string;
    timescaledb: string | null;
    postgis: string | null;
  }>(
    `select current_setting('server_version') as server_version,
            (select extversion from pg_extension where extname = 'timescaledb') as timescaledb,
            (select extversion from pg_extension where extname = 'postgis') as postgis`,
  );
  const row = rows[0];
  const timescaledbVersion = row?.timescaledb ?? null;
  return {
    backend:
      db.kind === 'pglite' ? 'pglite' : timescaledbVersion !== null ? 'timescaledb' : 'postgres',
    serverVersion: row?.server_version ?? 'unknown',
    timescaledbVersion,
    postgisVersion: row?.postgis ?? null,
  };
}
