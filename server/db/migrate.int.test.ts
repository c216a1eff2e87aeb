import { mkdtemp, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testBackends } from '../testing/databases.ts';
import { defaultMigrationsDir, migrate, readMigrations } from './migrate.ts';
import type { Storage } from './storage.ts';

async function tableNames(storage: Storage): Promise<string[]> {
  const { rows } = await storage.query<{ table_name: string }>(
    `select table_name from information_schema.tables
     where table_schema = 'public' order by table_name`,
  );
  return rows.map((r) => r.table_name);
}

async function migrationsCopy(extra: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pw-migrations-'));
  await cp(defaultMigrationsDir, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) await writeFile(path.join(dir, name), sql);
  return dir;
}

describe.each(testBackends)('migrations on $name', (backend) => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  it('creates the whole domain schema once and is idempotent', async () => {
    storage = await backend.open();
    const first = await migrate(storage);
    const all = await readMigrations(defaultMigrationsDir);
    const expected = all.filter((m) => backend.name === 'timescaledb' || !m.timescaledbOnly);
    expect(first.applied).toEqual(expected.map((m) => m.file));

    const tables = await tableNames(storage);
    for (const table of [
      'branches',
      'users',
      'borrowers',
      'loans',
      'farms',
      'parcels',
      'herds',
      'gateways',
      'ear_tags',
      'cameras',
      'tag_readings',
      'camera_counts',
      'parcel_observations',
      'alerts',
      'alert_events',
      'subscriptions',
      'deliveries',
      'rejected_messages',
      'audit_log',
    ]) {
      expect(tables).toContain(table);
    }

    const second = await migrate(storage);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toBe(expected.length);
    expect(await tableNames(storage)).toEqual(tables);
  });

  it('a failing migration leaves the schema as it was', async () => {
    storage = await backend.open();
    await migrate(storage);
    const before = await tableNames(storage);
    const dir = await migrationsCopy({
      '0900_good_part.sql': 'create table should_not_survive (id int);',
      '0901_bad_part.sql': 'create table also_gone (id int);\nselect * from no_such_table;',
    });
    await expect(migrate(storage, { dir })).rejects.toThrow(
      /migration 0901_bad_part\.sql failed: .*no_such_table/,
    );
    expect(await tableNames(storage)).toEqual(before);
    const { rows } = await storage.query<{ n: number }>(
      `select count(*)::int as n from schema_migrations where version in ('0900', '0901')`,
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('a failing first start leaves an empty database', async () => {
    storage = await backend.open();
    const dir = await migrationsCopy({ '0900_broken.sql': 'select 1/0;' });
    await expect(migrate(storage, { dir })).rejects.toThrow(
      /0900_broken\.sql failed: division by zero/,
    );
    expect(await tableNames(storage)).toEqual([]);
  });

  it('refuses to start when an applied migration was edited', async () => {
    storage = await backend.open();
    const dir = await migrationsCopy({ '0900_extra.sql': 'create table extra (id int);' });
    await migrate(storage, { dir });
    await writeFile(path.join(dir, '0900_extra.sql'), 'create table extra (id bigint);');
    await expect(migrate(storage, { dir })).rejects.toThrow(
      /migration 0900_extra\.sql was changed after it was applied/,
    );
  });

  it('rejects a badly named migration file before touching the database', async () => {
    storage = await backend.open();
    const dir = await migrationsCopy({ 'add-things.sql': 'create table x (id int);' });
    await expect(migrate(storage, { dir })).rejects.toThrow(
      /migration file add-things\.sql: name must match NNNN_snake_name\.sql/,
    );
    expect(await tableNames(storage)).toEqual([]);
  });
});

describe('hypertables on timescaledb', () => {
  it('makes the three observation tables hypertables', async () => {
    const backend = testBackends.find((b) => b.name === 'timescaledb');
    if (backend === undefined) throw new Error('timescaledb backend missing');
    const storage = await backend.open();
    try {
      await migrate(storage);
      const { rows } = await storage.query<{ hypertable_name: string }>(
        `select hypertable_name from timescaledb_information.hypertables order by hypertable_name`,
      );
      expect(rows.map((r) => r.hypertable_name)).toEqual([
        'camera_counts',
        'parcel_observations',
        'tag_readings',
      ]);
      const info = await storage.info();
      expect(info.backend).toBe('timescaledb');
      expect(info.timescaledbVersion).toMatch(/^\d+\.\d+\.\d+/);
    } finally {
      await storage.close();
    }
  });
});
