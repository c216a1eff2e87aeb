import type { Config } from '../config.ts';
import { openPgStorage } from './pg-storage.ts';
import { openPgliteStorage } from './pglite-storage.ts';
import type { Storage } from './storage.ts';

/** PostgreSQL/TimescaleDB when DATABASE_URL is set, otherwise the embedded database. */
export function openStorage(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'dbPoolMax'>,
): Promise<Storage> {
  if (config.databaseUrl !== null) {
    return Promise.resolve(
      openPgStorage({ connectionString: config.databaseUrl, poolMax: config.dbPoolMax }),
    );
  }
  return openPgliteStorage({ dataDir: config.dataDir });
}
