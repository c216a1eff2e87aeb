/**
 * Test and bench support: the least portfolio that readings can reference (one branch, borrower
 * and farm, a 0.01 degree square near 3E 50N), for storage tests that do not need the demo.
 */
import type { Queryable } from '../db/storage.ts';

export async function insertMinimalFarm(db: Queryable, code = 'TEST'): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `with b as (insert into branches (code, name) values ($1, 'Test branch') returning id),
          r as (insert into borrowers (branch_id, ref, name)
                select id, $1 || '-B1', 'Test borrower' from b returning id)
     insert into farms (borrower_id, code, name, boundary, area_m2, min_lng, min_lat, max_lng, max_lat)
     select id, $1 || '-F1', 'Test farm',
            '{"type":"Polygon","coordinates":[[[3,50],[3.01,50],[3.01,50.01],[3,50.01],[3,50]]]}',
            792000, 3, 50, 3.01, 50.01 from r
     returning id`,
    [code],
  );
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('test farm was not inserted');
  return id;
}
