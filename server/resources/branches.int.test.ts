import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

interface Problem {
  path: string;
  message: string;
}

describe.each(testBackends)('branches API on $name', (backend) => {
  let h: ApiHarness;
  let krtBranch: string;
  let aalBranch: string;
  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtBranch = await h.idOf('branches', 'code', 'KRT');
    aalBranch = await h.idOf('branches', 'code', 'AAL');
  });
  afterAll(async () => {
    await h.close();
  });

  const problems = (body: { error: { details: Problem[] } }): Problem[] => body.error.details;
  const codes = (body: { items: Array<{ code: string }> }) => body.items.map((b) => b.code);

  it('everyone reads their own branch only; an admin reads all', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/branches');
    expect(krt.status).toBe(200);
    expect(krt.body.items).toEqual([
      {
        id: krtBranch,
        code: 'KRT',
        name: 'Kortrijk',
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      },
    ]);
    expect(codes((await h.call('krtSupervisor', 'GET', '/api/branches')).body)).toEqual(['KRT']);
    expect(codes((await h.call('aalOfficer', 'GET', '/api/branches')).body)).toEqual(['AAL']);
    expect(codes((await h.call('admin', 'GET', '/api/branches')).body)).toEqual(['AAL', 'KRT']);
    expect((await h.call('krtOfficer', 'GET', `/api/branches/${krtBranch}`)).body.name).toBe(
      'Kortrijk',
    );
  });

  it('pages with a cursor and searches code and name', async () => {
    const first = await h.call('admin', 'GET', '/api/branches?limit=1');
    expect(codes(first.body)).toEqual(['AAL']);
    const second = await h.call(
      'admin',
      'GET',
      `/api/branches?limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(codes(second.body)).toEqual(['KRT']);
    expect(second.body.nextCursor).toBeNull();
    expect(codes((await h.call('admin', 'GET', '/api/branches?q=kortr')).body)).toEqual(['KRT']);
    expect(codes((await h.call('krtOfficer', 'GET', '/api/branches?q=aalst')).body)).toEqual([]);
  });

  it('answers 404 for another branch on read, change and delete', async () => {
    expect((await h.call('krtOfficer', 'GET', `/api/branches/${aalBranch}`)).status).toBe(404);
    const patch = await h.call('krtSupervisor', 'PATCH', `/api/branches/${aalBranch}`, {
      name: 'x',
    });
    expect(patch.status).toBe(404);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/branches/${aalBranch}`)).status).toBe(
      404,
    );
    expect((await h.call('aalSupervisor', 'GET', `/api/branches/${aalBranch}`)).body.name).toBe(
      'Aalst',
    );
  });

  it('only admins create, change or delete branches: 403 for officers and supervisors', async () => {
    for (const user of ['krtOfficer', 'krtSupervisor'] as const) {
      const create = await h.call(user, 'POST', '/api/branches', { code: 'GNT', name: 'Gent' });
      expect(create.status).toBe(403);
      expect(create.body.error).toMatchObject({
        code: 'forbidden',
        message: expect.stringContaining('needs admin'),
      });
      expect(
        (await h.call(user, 'PATCH', `/api/branches/${krtBranch}`, { name: 'Courtrai' })).status,
      ).toBe(403);
      expect((await h.call(user, 'DELETE', `/api/branches/${krtBranch}`)).status).toBe(403);
    }
    expect((await h.call('admin', 'GET', `/api/branches/${krtBranch}`)).body.name).toBe('Kortrijk');
  });

  it('an admin creates a branch, audited without a branch scope; a duplicate code is a 409', async () => {
    const created = await h.call('admin', 'POST', '/api/branches', { code: 'GNT', name: 'Gent' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      code: 'GNT',
      name: 'Gent',
      createdAt: expect.any(String),
    });
    const { rows } = await h.storage.query<{
      action: string;
      branch_id: string | null;
      after: unknown;
    }>(
      `select action, branch_id, after from audit_log where entity_type = 'branches' and entity_id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([{ action: 'create', branch_id: null, after: created.body }]);

    const again = await h.call('admin', 'POST', '/api/branches', { code: 'GNT', name: 'Gent 2' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('validates the body with field paths', async () => {
    const cases: Array<[Record<string, unknown>, string, string | RegExp]> = [
      [{ code: 'gnt', name: 'Gent' }, 'json.code', 'must be 2-16 characters of A-Z, 0-9, _ and -'],
      [{ code: 'G', name: 'Gent' }, 'json.code', /2-16 characters/],
      [{ code: 'GENT-CENTRUM-NOORD', name: 'Gent' }, 'json.code', /2-16 characters/],
      [
        { code: 'GNT2', name: '' },
        'json.name',
        /Too small: expected string to have >=1 characters/,
      ],
      [
        { code: 'GNT2', name: 'N'.repeat(201) },
        'json.name',
        /Too big: expected string to have <=200 characters/,
      ],
      [{ code: 'GNT2' }, 'json.name', /expected string, received undefined/],
      [{ code: 'GNT2', name: 'Gent', region: 'OVL' }, 'json', 'Unrecognized key: "region"'],
    ];
    for (const [body, path, message] of cases) {
      const response = await h.call('admin', 'POST', '/api/branches', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(problems(response.body), JSON.stringify(body)).toEqual([
        { path, message: typeof message === 'string' ? message : expect.stringMatching(message) },
      ]);
    }
  });

  it('an admin renames a branch with before and after in the audit log', async () => {
    const id = (await h.call('admin', 'POST', '/api/branches', { code: 'BRG', name: 'Brugge' }))
      .body.id;
    const changed = await h.call('admin', 'PATCH', `/api/branches/${id}`, {
      name: 'Brugge Centrum',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ code: 'BRG', name: 'Brugge Centrum' });
    const { rows } = await h.storage.query<{
      branch_id: string | null;
      before: unknown;
      after: unknown;
    }>(
      `select branch_id, before, after from audit_log where entity_id = $1 and action = 'update'`,
      [id],
    );
    expect(rows).toEqual([
      { branch_id: null, before: expect.objectContaining({ name: 'Brugge' }), after: changed.body },
    ]);
    const bad = await h.call('admin', 'PATCH', `/api/branches/${id}`, { code: 'brg' });
    expect(problems(bad.body).map((p) => p.path)).toEqual(['json.code']);
    const taken = await h.call('admin', 'PATCH', `/api/branches/${id}`, { code: 'KRT' });
    expect(taken.status).toBe(409);
  });

  it('an admin deletes an empty branch; a branch with borrowers or users is a 409', async () => {
    const id = (await h.call('admin', 'POST', '/api/branches', { code: 'OST', name: 'Oostende' }))
      .body.id;
    expect((await h.call('admin', 'DELETE', `/api/branches/${id}`)).status).toBe(204);
    expect((await h.call('admin', 'GET', `/api/branches/${id}`)).status).toBe(404);
    const { rows } = await h.storage.query<{
      branch_id: string | null;
      before: unknown;
      after: unknown;
    }>(
      `select branch_id, before, after from audit_log where entity_id = $1 and action = 'delete'`,
      [id],
    );
    expect(rows).toEqual([
      { branch_id: null, before: expect.objectContaining({ code: 'OST' }), after: null },
    ]);

    const conflict = await h.call('admin', 'DELETE', `/api/branches/${krtBranch}`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await h.call(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/branches', '/branches/{id}']),
    );
  });
});
