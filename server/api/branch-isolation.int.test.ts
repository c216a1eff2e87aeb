/**
 * Branch isolation on every route: the OpenAPI document lists the routes, and for each one an
 * officer of branch KRT asks for, changes or deletes something of branch AAL. Every answer must be a
 * 404 (never a 200, 204 or 403 that would confirm the thing exists), and no list may contain any of
 * AAL's items. A new route with an `{id}` the test does not know fails the test, so it stays complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

interface OpenApiDoc {
  paths: Record<string, Record<string, unknown>>;
}

/** For each resource path prefix: SQL giving the ids of branch AAL's items of that kind. */
const aalItems: Record<string, string> = {
  '/branches': `select id from branches where code = 'AAL'`,
  '/users': `select u.id from users u join branches b on b.id = u.branch_id where b.code = 'AAL'`,
  '/borrowers': `select t.id from borrowers t join branches b on b.id = t.branch_id where b.code = 'AAL'`,
  '/loans': `select t.id from loans t join branches b on b.id = t.branch_id where b.code = 'AAL'`,
  '/farms': `select f.id from farms f join borrowers r on r.id = f.borrower_id
               join branches b on b.id = r.branch_id where b.code = 'AAL'`,
  '/parcels': `select p.id from parcels p join farms f on f.id = p.farm_id join borrowers r on r.id = f.borrower_id
                 join branches b on b.id = r.branch_id where b.code = 'AAL'`,
  '/herds': `select h.id from herds h join farms f on f.id = h.farm_id join borrowers r on r.id = f.borrower_id
               join branches b on b.id = r.branch_id where b.code = 'AAL'`,
  '/ear-tags': `select e.id from ear_tags e join herds h on h.id = e.herd_id join farms f on f.id = h.farm_id
                  join borrowers r on r.id = f.borrower_id join branches b on b.id = r.branch_id where b.code = 'AAL'`,
  '/cameras': `select c.id from cameras c join farms f on f.id = c.farm_id join borrowers r on r.id = f.borrower_id
                 join branches b on b.id = r.branch_id where b.code = 'AAL'`,
  '/gateways': `select g.id from gateways g join farms f on f.id = g.farm_id join borrowers r on r.id = f.borrower_id
                  join branches b on b.id = r.branch_id where b.code = 'AAL'`,
  '/api-keys': `select k.id from api_keys k join users u on u.id = k.user_id join branches b on b.id = u.branch_id
                  where b.code = 'AAL'`,
  '/alerts': `select a.id from alerts a join branches b on b.id = a.branch_id where b.code = 'AAL'`,
  '/subscriptions': `select s.id from subscriptions s join branches b on b.id = s.branch_id where b.code = 'AAL'`,
  '/reports': `select r.content_hash as id from loan_reports r join branches b on b.id = r.branch_id where b.code = 'AAL'`,
};

/** Routes that are about the caller only, or are public, so there is nothing of AAL to reach. */
const notBranchScoped = new Set(['/auth/login', '/auth/logout', '/auth/me', '/openapi.json']);
/** Portfolio-wide settings keyed by crop or species and date: they belong to no branch. */
const portfolioWide = new Set(['/valuation']);
/** Never-ending answers, not lists: their branch isolation is tested where they live. */
const streams = new Set(['/alerts/stream']);

function prefixOf(path: string): string {
  return '/' + (path.split('/')[1] ?? '');
}

describe.each(testBackends)('branch isolation on every route ($name)', (backend) => {
  let h: ApiHarness;
  let doc: OpenApiDoc;
  const aalIds = new Map<string, string[]>();

  beforeAll(async () => {
    h = await createApiHarness(backend);
    doc = (await h.call(null, 'GET', '/api/openapi.json')).body as OpenApiDoc;
    // The demo has no alerts: one open alert on an AAL farm to reach for.
    await h.storage.query(
      `insert into alerts (kind, subject_type, subject_id, branch_id, farm_id, severity, title)
       select 'herd_count_below_pledge', 'farm', f.id, r.branch_id, f.id, 'warning', 'probe'
         from farms f join borrowers r on r.id = f.borrower_id join branches b on b.id = r.branch_id
        where b.code = 'AAL' limit 1`,
    );
    // Nor subscriptions: one of an AAL officer.
    await h.storage.query(
      `insert into subscriptions (owner_user_id, branch_id, channel)
       select u.id, u.branch_id, 'sse' from users u join branches b on b.id = u.branch_id
        where b.code = 'AAL' limit 1`,
    );
    // Nor issued reports: one of an AAL loan, issued by its officer.
    const { rows: aalLoans } = await h.storage.query<{ id: string }>(
      `select l.id from loans l join branches b on b.id = l.branch_id where b.code = 'AAL' limit 1`,
    );
    const issued = await h.call(
      'aalOfficer',
      'GET',
      `/api/loans/${aalLoans[0]!.id}/report?format=json`,
    );
    expect(issued.status).toBe(200);
    for (const [prefix, sql] of Object.entries(aalItems)) {
      const { rows } = await h.storage.query<{ id: string }>(sql);
      aalIds.set(
        prefix,
        rows.map((r) => r.id),
      );
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it('knows an item of branch AAL for every route with an {id}', () => {
    const unknown = Object.keys(doc.paths).filter(
      (path) =>
        path.includes('{') && !(prefixOf(path) in aalItems) && !portfolioWide.has(prefixOf(path)),
    );
    expect(unknown).toEqual([]);
    for (const [prefix, ids] of aalIds) {
      if (Object.keys(doc.paths).some((p) => prefixOf(p) === prefix && p.includes('{'))) {
        expect(ids.length, `demo data has an AAL item for ${prefix}`).toBeGreaterThan(0);
      }
    }
  });

  it('answers 404 to a KRT officer and a KRT supervisor for every route on an AAL item', async () => {
    const answers: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.includes('{')) continue;
      const id = aalIds.get(prefixOf(path))?.[0];
      if (id === undefined) continue;
      const url = '/api' + path.replace(/\{[^}]+\}/, id);
      for (const method of Object.keys(operations)) {
        for (const user of ['krtOfficer', 'krtSupervisor'] as const) {
          const body = method === 'get' || method === 'delete' ? undefined : {};
          const response = await h.call(user, method.toUpperCase(), url, body);
          answers.push(`${user} ${method.toUpperCase()} ${path} -> ${response.status}`);
          expect(response.status, `${user} ${method.toUpperCase()} ${url}`).toBe(404);
        }
      }
    }
    expect(answers.length).toBeGreaterThan(10);
  });

  it('shows no AAL item in any list a KRT officer can read', async () => {
    const allAal = new Set([...aalIds.values()].flat());
    let listsRead = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (path.includes('{') || !('get' in operations) || notBranchScoped.has(path)) continue;
      if (streams.has(path)) continue;
      const response = await h.call('krtOfficer', 'GET', '/api' + path);
      if (response.status === 403) continue;
      expect(response.status, `GET ${path}`).toBe(200);
      listsRead += 1;
      const text = JSON.stringify(response.body);
      for (const id of allAal) expect(text.includes(id), `GET ${path} leaks ${id}`).toBe(false);
    }
    expect(listsRead).toBeGreaterThan(3);
  });
});
