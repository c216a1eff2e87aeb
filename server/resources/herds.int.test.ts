import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

interface Problem {
  path: string;
  message: string;
}

describe.each(testBackends)('herds API on $name', (backend) => {
  let h: ApiHarness;
  let krtBranch: string;
  let krtFarm1: string;
  let krtFarm2: string;
  let aalFarm2: string;
  let loanB001: string;
  let loanB002: string;
  let loanB004: string;
  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtBranch = await h.idOf('branches', 'code', 'KRT');
    krtFarm1 = await h.idOf('farms', 'code', 'F-KRT-01');
    krtFarm2 = await h.idOf('farms', 'code', 'F-KRT-02');
    aalFarm2 = await h.idOf('farms', 'code', 'F-AAL-02');
    loanB001 = await h.idOf('loans', 'reference', 'L-2017-0001');
    loanB002 = await h.idOf('loans', 'reference', 'L-2024-0002');
    loanB004 = await h.idOf('loans', 'reference', 'L-2025-0004');
  });
  afterAll(async () => {
    await h.close();
  });

  const newHerd = (code: string, extra: Record<string, unknown> = {}) => ({
    farmId: krtFarm1,
    loanId: loanB001,
    code,
    name: 'Sheep on the dyke',
    species: 'sheep',
    pledgedHeadCount: 60,
    valuePerHead: '210.00',
    currency: 'EUR',
    ...extra,
  });
  const problems = (body: { error: { details: Problem[] } }): Problem[] => body.error.details;
  const codes = async (query: string, user: 'admin' | 'krtOfficer' = 'admin') =>
    (await h.call(user, 'GET', `/api/herds${query}`)).body.items.map(
      (x: { code: string }) => x.code,
    );

  it('lists only the caller’s branch; an admin sees all', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/herds');
    expect(krt.status).toBe(200);
    expect(krt.body.items).toEqual([
      {
        id: expect.any(String),
        branchId: krtBranch,
        farmId: krtFarm2,
        loanId: loanB002,
        code: 'H-KRT-02',
        name: 'Dairy herd Ter Biest',
        species: 'cattle',
        pledgedHeadCount: 110,
        valuePerHead: '1850.00',
        currency: 'EUR',
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      },
    ]);
    expect(
      (await h.call('aalOfficer', 'GET', '/api/herds')).body.items.map(
        (x: { code: string }) => x.code,
      ),
    ).toEqual(['H-AAL-02']);
    expect(await codes('')).toEqual(['H-AAL-02', 'H-KRT-02']);
  });

  it('pages with a cursor and filters by farm, loan, text and the farm’s bbox', async () => {
    const first = await h.call('admin', 'GET', '/api/herds?limit=1');
    expect(first.body.items.map((x: { code: string }) => x.code)).toEqual(['H-AAL-02']);
    const second = await h.call(
      'admin',
      'GET',
      `/api/herds?limit=1&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items.map((x: { code: string }) => x.code)).toEqual(['H-KRT-02']);
    expect(second.body.nextCursor).toBeNull();

    expect(await codes(`?farmId=${krtFarm2}`)).toEqual(['H-KRT-02']);
    expect(await codes(`?farmId=${krtFarm1}`)).toEqual([]);
    expect(await codes(`?loanId=${loanB004}`)).toEqual(['H-AAL-02']);
    expect(await codes('?q=suckler')).toEqual(['H-AAL-02']);
    expect(await codes('?bbox=3.08,50.83,3.09,50.84')).toEqual(['H-KRT-02']);
    expect(await codes('?bbox=5,51,6,52')).toEqual([]);
    // The filter does not widen the branch: a KRT officer asking for an AAL farm gets nothing.
    expect(await codes(`?farmId=${aalFarm2}`, 'krtOfficer')).toEqual([]);
    expect((await h.call('admin', 'GET', '/api/herds?farmId=F-KRT-02')).status).toBe(400);
  });

  it('answers 404 for another branch’s herd on read, change and delete', async () => {
    const aalHerd = await h.idOf('herds', 'code', 'H-AAL-02');
    expect((await h.call('krtOfficer', 'GET', `/api/herds/${aalHerd}`)).status).toBe(404);
    const patch = await h.call('krtOfficer', 'PATCH', `/api/herds/${aalHerd}`, {
      pledgedHeadCount: 1,
    });
    expect(patch.status).toBe(404);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/herds/${aalHerd}`)).status).toBe(404);
    expect(
      (await h.call('aalSupervisor', 'GET', `/api/herds/${aalHerd}`)).body.pledgedHeadCount,
    ).toBe(43);
  });

  it('answers 404 when creating on another branch’s farm', async () => {
    const response = await h.call(
      'krtOfficer',
      'POST',
      '/api/herds',
      newHerd('H-KRT-404', { farmId: aalFarm2, loanId: loanB004 }),
    );
    expect(response.status).toBe(404);
    expect(response.body.error.message).toContain('farm');
  });

  it('creates with an audit record; a duplicate code is a 409', async () => {
    const created = await h.call('krtOfficer', 'POST', '/api/herds', newHerd('H-KRT-10'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      branchId: krtBranch,
      farmId: krtFarm1,
      loanId: loanB001,
      species: 'sheep',
      pledgedHeadCount: 60,
      valuePerHead: '210.00',
      currency: 'EUR',
    });
    const { rows } = await h.storage.query<{ action: string; branch_id: string; after: unknown }>(
      `select action, branch_id, after from audit_log where entity_type = 'herds' and entity_id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([{ action: 'create', branch_id: krtBranch, after: created.body }]);

    const again = await h.call('krtOfficer', 'POST', '/api/herds', newHerd('H-KRT-10'));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');

    const unvalued = await h.call(
      'krtOfficer',
      'POST',
      '/api/herds',
      newHerd('H-KRT-11', {
        loanId: null,
        valuePerHead: null,
        currency: null,
        pledgedHeadCount: 0,
      }),
    );
    expect(unvalued.status).toBe(201);
    expect(unvalued.body).toMatchObject({ loanId: null, valuePerHead: null, currency: null });
  });

  it('refuses a loan that is not the farm’s borrower’s, naming loanId', async () => {
    // L-2024-0002 is B-002's loan and F-KRT-01 is B-001's farm; L-2025-0004 is another branch's.
    for (const loanId of [loanB002, loanB004, '00000000-0000-4000-8000-000000000000']) {
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/herds',
        newHerd('H-KRT-12', { loanId }),
      );
      expect(response.status).toBe(400);
      expect(problems(response.body)).toEqual([
        { path: 'json.loanId', message: `${loanId} is not a loan of the farm’s borrower` },
      ]);
    }
  });

  it('validates every field of the body with its path and rule', async () => {
    const cases: Array<[Record<string, unknown>, string, string | RegExp]> = [
      [
        { species: 'llama' },
        'json.species',
        /expected one of "cattle"\|"sheep"\|"goat"\|"pig"\|"horse"/,
      ],
      [{ pledgedHeadCount: -1 }, 'json.pledgedHeadCount', /Too small: expected number to be >=0/],
      [{ pledgedHeadCount: 1.5 }, 'json.pledgedHeadCount', /expected int/],
      [{ pledgedHeadCount: '60' }, 'json.pledgedHeadCount', /expected number/],
      [{ valuePerHead: '12.345' }, 'json.valuePerHead', /at most 2 decimals/],
      [{ valuePerHead: 210 }, 'json.valuePerHead', /expected string/],
      [{ currency: 'euro' }, 'json.currency', 'must be an ISO 4217 code such as EUR'],
      [{ currency: undefined }, 'json.currency', 'is required with valuePerHead 210.00'],
      [{ valuePerHead: undefined }, 'json.valuePerHead', 'is required with currency EUR'],
      [{ code: 'H KRT' }, 'json.code', /letters, digits and \. _ : -/],
      [{ name: '' }, 'json.name', /Too small/],
      [{ farmId: 'F-KRT-01' }, 'json.farmId', 'Invalid UUID'],
      [{ headCount: 3 }, 'json', 'Unrecognized key: "headCount"'],
    ];
    for (const [patch, path, message] of cases) {
      const response = await h.call('krtOfficer', 'POST', '/api/herds', newHerd('H-KRT-13', patch));
      expect(response.status, JSON.stringify(patch)).toBe(400);
      expect(problems(response.body), JSON.stringify(patch)).toEqual([
        { path, message: typeof message === 'string' ? message : expect.stringMatching(message) },
      ]);
    }
  });

  it('changes a herd with before and after in the audit log; its farm is fixed', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/herds', newHerd('H-KRT-14'))).body.id;
    const changed = await h.call('krtOfficer', 'PATCH', `/api/herds/${id}`, {
      pledgedHeadCount: 58,
      valuePerHead: '225.50',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      pledgedHeadCount: 58,
      valuePerHead: '225.50',
      currency: 'EUR',
      loanId: loanB001,
    });
    const { rows } = await h.storage.query<{ before: unknown; after: unknown }>(
      `select before, after from audit_log where entity_id = $1 and action = 'update'`,
      [id],
    );
    expect(rows).toEqual([
      {
        before: expect.objectContaining({ pledgedHeadCount: 60, valuePerHead: '210.00' }),
        after: changed.body,
      },
    ]);

    const moved = await h.call('krtOfficer', 'PATCH', `/api/herds/${id}`, { farmId: krtFarm2 });
    expect(moved.status).toBe(400);
    expect(problems(moved.body)).toEqual([{ path: 'json', message: 'farmId cannot be changed' }]);
    const otherLoan = await h.call('krtOfficer', 'PATCH', `/api/herds/${id}`, { loanId: loanB002 });
    expect(problems(otherLoan.body).map((p) => p.path)).toEqual(['json.loanId']);
    const halfValued = await h.call('krtOfficer', 'PATCH', `/api/herds/${id}`, {
      valuePerHead: null,
    });
    expect(problems(halfValued.body)).toEqual([
      { path: 'json.valuePerHead', message: 'is required with currency EUR' },
    ]);
    const unpledged = await h.call('krtOfficer', 'PATCH', `/api/herds/${id}`, {
      loanId: null,
      valuePerHead: null,
      currency: null,
    });
    expect(unpledged.body).toMatchObject({
      loanId: null,
      valuePerHead: null,
      currency: null,
      farmId: krtFarm1,
    });
  });

  it('deletion needs a supervisor; a herd that still has ear tags is a 409', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/herds', newHerd('H-KRT-15'))).body.id;
    const refused = await h.call('krtOfficer', 'DELETE', `/api/herds/${id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await h.call('krtSupervisor', 'DELETE', `/api/herds/${id}`)).status).toBe(204);
    expect((await h.call('krtSupervisor', 'GET', `/api/herds/${id}`)).status).toBe(404);
    const { rows } = await h.storage.query<{ before: unknown; after: unknown }>(
      `select before, after from audit_log where entity_id = $1 and action = 'delete'`,
      [id],
    );
    expect(rows).toEqual([{ before: expect.objectContaining({ code: 'H-KRT-15' }), after: null }]);

    const tagged = await h.idOf('herds', 'code', 'H-KRT-02');
    const conflict = await h.call('krtSupervisor', 'DELETE', `/api/herds/${tagged}`);
    expect(conflict.status).toBe(409);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await h.call(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/herds', '/herds/{id}']));
  });
});
