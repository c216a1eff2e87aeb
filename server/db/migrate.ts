import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { Storage } from './storage.ts';

export const defaultMigrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

/** `0003_hypertables.timescaledb.sql` runs only where the TimescaleDB extension can be used. */
const migrationFile = /^(\d{4})_([a-z0-9_]+)(\.timescaledb)?\.sql$/;

export interface Migration {
  readonly version: string;
  readonly name: string;
  readonly file: string;
  readonly timescaledbOnly: boolean;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationReport {
  readonly applied: readonly string[];
  /** TimescaleDB-only migrations not run because the backend lacks the extension. */
  readonly skipped: readonly string[];
  readonly alreadyApplied: number;
}

export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const match = migrationFile.exec(file);
    if (match === null) {
      throw new AppError(
        'invalid_migration',
        `migration file ${file}: name must match NNNN_snake_name.sql or NNNN_snake_name.timescaledb.sql`,
      );
    }
    const [, version = '', name = '', tsOnly] = match;
    const clash = seen.get(version);
    if (clash !== undefined) {
      throw new AppError(
        'invalid_migration',
        `migration files ${clash} and ${file} share version ${version}`,
      );
    }
    seen.set(version, file);
    const sql = await readFile(path.join(dir, file), 'utf8');
    const checksum = createHash('sha256').update(sql).digest('hex');
    migrations.push({ version, name, file, timescaledbOnly: tsOnly !== undefined, sql, checksum });
  }
  return migrations;
}

/**
 * Applies pending migrations in order, all in one transaction under an advisory lock: either every
 * pending migration is applied, or none is and the schema stays as it was. An applied migration
 * whose file has since changed stops the start, since the schema would no longer match the code.
 */
export async function migrate(
  storage: Storage,
  options: { dir?: string; logger?: Logger } = {},
): Promise<MigrationReport> {
  const logger = options.logger ?? silentLogger;
  const migrations = await readMigrations(options.dir ?? defaultMigrationsDir);
  const withTimescaledb = await storage.hasTimescaledb();

  return storage.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext('pledgewatch.migrate'))`);
    await tx.exec(`create table if not exists schema_migrations (
      version text primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const { rows } = await tx.query<{ version: string; name: string; checksum: string }>(
      'select version, name, checksum from schema_migrations order by version',
    );
    const applied = new Map(rows.map((row) => [row.version, row]));

    const report = { applied: [] as string[], skipped: [] as string[], alreadyApplied: 0 };
    for (const migration of migrations) {
      const previous = applied.get(migration.version);
      if (previous !== undefined) {
        if (previous.checksum !== migration.checksum) {
          throw new AppError(
            'migration_changed',
            `migration ${migration.file} was changed after it was applied (checksum ${previous.checksum.slice(0, 12)} in the database, ${migration.checksum.slice(0, 12)} on disk); add a new migration instead`,
          );
        }
        report.alreadyApplied += 1;
        continue;
      }
      if (migration.timescaledbOnly && !withTimescaledb) {
        report.skipped.push(migration.file);
        continue;
      }
      try {
        await tx.exec(migration.sql);
      } catch (error) {
        throw new AppError(
          'migration_failed',
          `migration ${migration.file} failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      await tx.query(
        'insert into schema_migrations (version, name, checksum) values ($1, $2, $3)',
        [migration.version, migration.name, migration.checksum],
      );
      report.applied.push(migration.file);
      logger.info('migration applied', { migration: migration.file });
    }
    if (report.skipped.length > 0) {
      logger.info('timescaledb-only migrations skipped: the backend has no timescaledb', {
        skipped: report.skipped,
      });
    }
    return report;
  });
}
