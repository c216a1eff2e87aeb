import { afterEach, describe, expect, it } from 'vitest';
import { testBackends } from '../testing/databases.ts';
import { StorageError } from '../errors.ts';
import type { Storage } from './storage.ts';

describe.each(testBackends)('storage on $name', (backend) => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  it('returns values the same way on every backend', async () => {
    storage = await backend.open();
    const { rows } = await storage.query(
      `select 1234567.89::numeric(18,2) as money, 9007199254740993::int8 as big, 42::int as small,
              '2026-03-01'::date as day, '2026-03-01T10:00:00Z'::timestamptz as at,
              '{"a":[1,2]}'::jsonb as doc, null::text as nothing, true as yes`,
    );
    expect(rows).toEqual([
      {
        money: '1234567.89',
        big: '9007199254740993',
        small: 42,
        day: '2026-03-01',
        at: new Date('2026-03-01T10:00:00Z'),
        doc: { a: [1, 2] },
        nothing: null,
        yes: true,
      },
    ]);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    storage = await backend.open();
    await storage.exec('create table t (id int primary key)');
    await storage.transaction((tx) => tx.query('insert into t values (1)'));
    await expect(
      storage.transaction(async (tx) => {
        await tx.query('insert into t values (2)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const { rows } = await storage.query<{ id: number }>('select id from t order by id');
    expect(rows).toEqual([{ id: 1 }]);
  });

  it('runs a prepared statement again and again, in and out of transactions, errors wrapped', async () => {
    storage = await backend.open();
    await storage.exec('create table p (id int primary key, label text not null)');
    const insert = 'insert into p (id, label) values ($1, $2) returning id, label';
    for (let id = 1; id <= 8; id++) {
      const { rows } = await storage.query(insert, [id, `n${id}`], { prepare: true });
      expect(rows).toEqual([{ id, label: `n${id}` }]);
    }
    const preparedHere = await storage.transaction(async (tx) => {
      await tx.query(insert, [9, 'n9'], { prepare: true });
      if (backend.name !== 'timescaledb') return null; // PGlite keeps no prepared statements
      const { rows } = await tx.query<{ statement: string }>(
        'select statement from pg_prepared_statements',
      );
      return rows.map((r) => r.statement);
    });
    // On PostgreSQL, the connection of that transaction now keeps the statement.
    if (preparedHere !== null) expect(preparedHere).toContain(insert);
    const duplicate = await storage
      .query(insert, [9, 'again'], { prepare: true })
      .catch((e: unknown) => e);
    expect((duplicate as StorageError).details).toMatchObject({ sqlstate: '23505' });
    const { rows } = await storage.query<{ n: number }>('select count(*)::int as n from p');
    expect(rows[0]?.n).toBe(9);
  });

  it('wraps driver errors with the SQLSTATE and the statement', async () => {
    storage = await backend.open();
    const error = await storage.query('select * from missing_table').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toMatch(
      /missing_table.*\(in: select \* from missing_table\)/,
    );
    expect((error as StorageError).details).toMatchObject({ sqlstate: '42P01' });
  });

  it('describes the server it runs on', async () => {
    storage = await backend.open();
    const info = await storage.info();
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    expect(info.backend).toBe(backend.name === 'pglite' ? 'pglite' : 'postgres');
    expect(await storage.hasTimescaledb()).toBe(backend.name === 'timescaledb');
  });
});
