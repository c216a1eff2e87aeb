/**
 * Test support: a fresh, empty database on each backend. The real server comes from DATABASE_URL,
 * which `npm test` sets to a throwaway TimescaleDB cluster (or the one the caller provides); a
 * missing DATABASE_URL fails the test instead of quietly skipping the real database.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPgStorage } from '../db/pg-storage.ts';
import { openPgliteStorage } from '../db/pglite-storage.ts';
import type { Storage } from '../db/storage.ts';

export const HOW_TO_GET_A_DATABASE =
  'DATABASE_URL is not set. Run the tests with `npm test` (it installs TimescaleDB if needed and ' +
  'starts a throwaway cluster), or set DATABASE_URL to a TimescaleDB database this test may create ' +
  'databases on.';

export function adminDatabaseUrl(): string {
  const url = process.env['DATABASE_URL'];
  if (url === undefined || url === '') throw new Error(HOW_TO_GET_A_DATABASE);
  return url;
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates an empty database on the real server; `drop()` removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = adminDatabaseUrl();
  const name = `pw_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withAdmin(adminUrl, (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      );
    },
  };
}

async function withAdmin<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export interface TestBackend {
  readonly name: 'pglite' | 'timescaledb';
  /** Opens storage on a new empty database; `close` also removes the database. */
  open(): Promise<Storage>;
}

export const testBackends: readonly TestBackend[] = [
  {
    name: 'pglite',
    open: () => openPgliteStorage({ dataDir: null }),
  },
  {
    name: 'timescaledb',
    open: async () => {
      const database = await createTestDatabase();
      const storage = openPgStorage({ connectionString: database.url, poolMax: 4 });
      return {
        ...storage,
        close: async () => {
          await storage.close();
          await database.drop();
        },
      };
    },
  },
];
