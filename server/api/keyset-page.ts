import type { Queryable, SqlParam } from '../db/storage.ts';
import { decodeCursor, encodeCursor } from './pagination.ts';

/** Collects `where` conditions with numbered parameters, in order. */
export class Conditions {
  readonly params: SqlParam[] = [];
  readonly clauses: string[] = [];

  /** Adds a condition; `sql` receives the placeholder (`$3`) of `value`. */
  add(sql: (placeholder: string) => string, value: SqlParam): this {
    this.params.push(value);
    this.clauses.push(sql(`$${this.params.length}`));
    return this;
  }
}

export interface KeysetRow {
  readonly id: unknown;
  readonly sort_key: unknown;
}

/**
 * One page of `selectSql` (which must output `id` and a text `sort_key`) in (sort_key, id) order,
 * after the cursor of the previous page. Keyset paging, not offsets: a page stays right while rows
 * are added before it, and costs the same on page 1 and page 1 000.
 */
export async function fetchKeysetPage<Row extends KeysetRow>(
  db: Queryable,
  options: {
    readonly selectSql: string;
    readonly conditions: Conditions;
    readonly limit: number;
    readonly cursor: string | undefined;
  },
): Promise<{ rows: Row[]; nextCursor: string | null }> {
  const { conditions, limit } = options;
  if (options.cursor !== undefined) {
    const cursor = decodeCursor(options.cursor);
    conditions.params.push(cursor.sortValue, cursor.id);
    const n = conditions.params.length;
    conditions.clauses.push(`(sort_key, id) > ($${n - 1}::text, $${n}::uuid)`);
  }
  const params = [...conditions.params, limit + 1];
  // Wrapped, so conditions name the select's output columns (branch_id, sort_key, ...).
  const { rows } = await db.query<Row>(
    `select * from (${options.selectSql}) as listed
     ${conditions.clauses.length > 0 ? `where ${conditions.clauses.join(' and ')}` : ''}
     order by sort_key, id
     limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    rows: page,
    nextCursor:
      rows.length > limit && last !== undefined
        ? encodeCursor(String(last.sort_key), String(last.id))
        : null,
  };
}
