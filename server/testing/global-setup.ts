/**
 * Runs once before the suite: proves the real database is there and says which one, so the test
 * output shows that the integration tests ran against TimescaleDB (server and extension versions).
 */
import pg from 'pg';
import { HOW_TO_GET_A_DATABASE } from './databases.ts';

export default async function setup(): Promise<void> {
  const url = process.env['DATABASE_URL'];
  if (url === undefined || url === '') {
    // Unit tests still run; every integration test fails with this same explanation.
    process.stdout.write(`\nno integration database: ${HOW_TO_GET_A_DATABASE}\n\n`);
    return;
  }
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `cannot connect to DATABASE_URL (${redact(url)}): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    const { rows } = await client.query<{ server: string; timescaledb: string | null }>(
      `select version() as server,
              (select default_version from pg_available_extensions where name = 'timescaledb') as timescaledb`,
    );
    const row = rows[0];
    if (row?.timescaledb === null || row?.timescaledb === undefined) {
      throw new Error(
        `the database at ${redact(url)} has no TimescaleDB extension; install it (scripts/install-timescaledb.sh) or point DATABASE_URL at a TimescaleDB server`,
      );
    }
    process.stdout.write(
      `\nintegration database: ${row.server}\n  timescaledb extension available: ${row.timescaledb}\n\n`,
    );
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
