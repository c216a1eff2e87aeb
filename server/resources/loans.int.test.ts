import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

interface Problem {
  path: string;
  message: string;
}

describe.each(testBackends)('loans API on $name', (backend) => {
  let h: ApiHarness;
  let krtBranch: string;
  let aalBranch: string;
  let b001: string;
  let b003: string;
  let lies: string;
  let pieter: string;
  let bram: string;
  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtBranch = await h.idOf('branches', 'code', 'KRT');
    aalBranch = await h.idOf('branches', 'code', 'AAL');
    b001 = await h.idOf('borrowers', 'ref', 'B-001');
    b003 = await h.idOf('borrowers', 'ref', 'B-003');
    lies = await h.idOf('users', 'email', 'lies.vermeulen@pledgewatch.example');
    pieter = await h.idOf('users', 'email', 'pieter.declercq@pledgewatch.example');
    bram = await h.idOf('users', 'email', 'bram.devos@pledgewatch.example');
  });
  afterAll(async () => {
    await h.close();
  });

  const newLoan = (reference: string, extra: Record<string, unknown> = {}) => ({
    borrowerId: b001,
    reference,
    amount: '250000.00',
    balance: '250000.00',
    currency: 'EUR',
    disbursedOn: '2026-03-01',
    maturesOn: '2036-03-01',
    ...extra,
  });
  const problems = (body: { error: { details: Problem[] } }): Problem[] => body.error.details;

  it('lists only the caller’s branch with money as strings and dates as YYYY-MM-DD', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/loans');
    expect(krt.status).toBe(200);
    expect(krt.body.items.map((l: { reference: string }) => l.reference)).toEqual([
      'L-2017-0001',
      'L-2024-0002',
    ]);
    expect(krt.body.items[0]).toEqual({
      id: expect.any(String),
      branchId: krtBranch,
      borrowerId: b001,
      officerId: lies,
      reference: 'L-2017-0001',
      amount: '70000.00',
      balance: '18958.33',
      currency: 'EUR',
      status: 'active',
      disbursedOn: '2017-09-15',
      maturesOn: '2029-09-15',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    const aal = await h.call('aalOfficer', 'GET', '/api/loans');
    expect(aal.body.items.map((l: { reference: string }) => l.reference)).toEqual([
      'L-2018-0003',
      'L-2025-0004',
    ]);
    const admin = await h.call('admin', 'GET', '/api/loans');
    expect(admin.body.items).toHaveLength(4);
  });

  it('pages with a cursor and filters by borrower, officer, status and reference text', async () => {
    const first = await h.call('admin', 'GET', '/api/loans?limit=3');
    expect(first.body.items).toHaveLength(3);
    const second = await h.call(
      'admin',
      'GET',
      `/api/loans?limit=3&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items.map((l: { reference: string }) => l.reference)).toEqual([
      'L-2025-0004',
    ]);
    expect(second.body.nextCursor).toBeNull();

    const refs = async (query: string) =>
      (await h.call('admin', 'GET', `/api/loans?${query}`)).body.items.map(
        (l: { reference: string }) => l.reference,
      );
    expect(await refs(`borrowerId=${b003}`)).toEqual(['L-2018-0003']);
    expect(await refs(`officerId=${pieter}`)).toEqual(['L-2024-0002']);
    expect(await refs('status=active')).toHaveLength(4);
    expect(await refs('status=defaulted')).toEqual([]);
    expect(await refs('q=2025')).toEqual(['L-2025-0004']);

    const badStatus = await h.call('admin', 'GET', '/api/loans?status=overdue');
    expect(badStatus.status).toBe(400);
    expect(problems(badStatus.body).map((p) => p.path)).toEqual(['query.status']);
    expect((await h.call('admin', 'GET', '/api/loans?borrowerId=B-001')).status).toBe(400);
  });

  it('answers 404 for another branch’s loan on read, change and delete', async () => {
    const aalLoan = await h.idOf('loans', 'reference', 'L-2018-0003');
    expect((await h.call('krtOfficer', 'GET', `/api/loans/${aalLoan}`)).status).toBe(404);
    const patch = await h.call('krtOfficer', 'PATCH', `/api/loans/${aalLoan}`, { balance: '0.00' });
    expect(patch.status).toBe(404);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/loans/${aalLoan}`)).status).toBe(404);
    const read = await h.call('aalOfficer', 'GET', `/api/loans/${aalLoan}`);
    expect(read.status).toBe(200);
    expect(read.body.balance).toBe('9750.00');
  });

  it('answers 404 when creating under another branch’s borrower, whatever branchId says', async () => {
    for (const extra of [{}, { branchId: krtBranch }, { branchId: aalBranch }]) {
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/loans',
        newLoan('L-2026-0404', { borrowerId: b003, ...extra }),
      );
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe('not_found');
    }
    const missing = await h.call(
      'krtOfficer',
      'POST',
      '/api/loans',
      newLoan('L-2026-0405', { borrowerId: '00000000-0000-4000-8000-000000000000' }),
    );
    expect(missing.status).toBe(404);
  });

  it('creates in the borrower’s branch with an audit record; a duplicate reference is a 409', async () => {
    const created = await h.call('krtOfficer', 'POST', '/api/loans', newLoan('L-2026-0100'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      branchId: krtBranch,
      borrowerId: b001,
      officerId: null,
      amount: '250000.00',
      status: 'active',
      disbursedOn: '2026-03-01',
      maturesOn: '2036-03-01',
    });
    const { rows } = await h.storage.query<{
      action: string;
      branch_id: string;
      before: unknown;
      after: unknown;
    }>(
      `select action, branch_id, before, after from audit_log where entity_type = 'loans' and entity_id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([
      { action: 'create', branch_id: krtBranch, before: null, after: created.body },
    ]);

    const again = await h.call('krtOfficer', 'POST', '/api/loans', newLoan('L-2026-0100'));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');

    const withOfficer = await h.call(
      'admin',
      'POST',
      '/api/loans',
      newLoan('L-2026-0101', {
        branchId: krtBranch,
        officerId: pieter,
        amount: '0.01',
        balance: '0',
      }),
    );
    expect(withOfficer.status).toBe(201);
    expect(withOfficer.body).toMatchObject({ officerId: pieter, amount: '0.01', balance: '0.00' });
  });

  it('refuses a branchId other than the borrower’s branch, naming the field', async () => {
    const response = await h.call(
      'admin',
      'POST',
      '/api/loans',
      newLoan('L-2026-0102', { branchId: aalBranch }),
    );
    expect(response.status).toBe(400);
    expect(problems(response.body)).toEqual([
      { path: 'json.branchId', message: expect.stringContaining('is not the borrower’s branch') },
    ]);
  });

  it('refuses an officer who is not an active user of the loan’s branch', async () => {
    const admin = await h.idOf('users', 'email', 'joke.claes@pledgewatch.example');
    const { rows } = await h.storage.query<{ id: string }>(
      `insert into users (branch_id, email, display_name, role, disabled_at)
       values ($1, 'gone@pledgewatch.example', 'Gone', 'officer', now()) returning id`,
      [krtBranch],
    );
    const disabled = String(rows[0]?.id);
    for (const officerId of [bram, admin, disabled, '00000000-0000-4000-8000-000000000000']) {
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/loans',
        newLoan('L-2026-0103', { officerId }),
      );
      expect(response.status).toBe(400);
      expect(problems(response.body)).toEqual([
        {
          path: 'json.officerId',
          message: `${officerId} is not an active user of the loan’s branch`,
        },
      ]);
    }
  });

  it('validates every field of the body with its path and rule', async () => {
    const cases: Array<[Record<string, unknown>, string, string | RegExp]> = [
      [{ amount: '0.00' }, 'json.amount', 'must be greater than 0'],
      [{ amount: '-5.00' }, 'json.amount', /decimal amount with at most 2 decimals/],
      [{ amount: 250000 }, 'json.amount', /expected string/],
      [{ balance: '12.345' }, 'json.balance', /at most 2 decimals/],
      [{ currency: 'eur' }, 'json.currency', 'must be an ISO 4217 code such as EUR'],
      [{ status: 'overdue' }, 'json.status', /expected one of "active"\|"closed"\|"defaulted"/],
      [{ reference: 'L 2026' }, 'json.reference', /letters, digits and \. _ : -/],
      [{ disbursedOn: '01/03/2026' }, 'json.disbursedOn', 'must be a date YYYY-MM-DD'],
      [{ maturesOn: '2026-02-31' }, 'json.maturesOn', 'is not a calendar date'],
      [
        { disbursedOn: '2036-03-01', maturesOn: '2026-03-01' },
        'json.maturesOn',
        'maturesOn 2026-03-01 must be after disbursedOn 2036-03-01',
      ],
      [{ maturesOn: '2026-03-01' }, 'json.maturesOn', /must be after disbursedOn 2026-03-01/],
      [{ borrowerId: 'B-001' }, 'json.borrowerId', 'Invalid UUID'],
      [{ officerId: 7 }, 'json.officerId', /expected string/],
      [{ interest: '4.5' }, 'json', 'Unrecognized key: "interest"'],
    ];
    for (const [patch, path, message] of cases) {
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/loans',
        newLoan('L-2026-0104', patch),
      );
      expect(response.status, JSON.stringify(patch)).toBe(400);
      expect(problems(response.body), JSON.stringify(patch)).toEqual([
        { path, message: typeof message === 'string' ? message : expect.stringMatching(message) },
      ]);
    }
    const empty = await h.call('krtOfficer', 'POST', '/api/loans', {});
    expect(problems(empty.body).map((p) => p.path)).toEqual(
      expect.arrayContaining([
        'json.borrowerId',
        'json.reference',
        'json.amount',
        'json.balance',
        'json.currency',
      ]),
    );
  });

  it('changes a loan with before and after in the audit log; the borrower and branch are fixed', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/loans', newLoan('L-2026-0105'))).body.id;
    const changed = await h.call('krtOfficer2', 'PATCH', `/api/loans/${id}`, {
      balance: '240000.00',
      status: 'defaulted',
      officerId: pieter,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      balance: '240000.00',
      status: 'defaulted',
      officerId: pieter,
      amount: '250000.00',
    });
    const { rows } = await h.storage.query<{
      before: { balance: string; status: string };
      after: { balance: string; status: string };
    }>(`select before, after from audit_log where entity_id = $1 and action = 'update'`, [id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.before).toMatchObject({ balance: '250000.00', status: 'active' });
    expect(rows[0]?.after).toMatchObject({ balance: '240000.00', status: 'defaulted' });

    const cleared = await h.call('krtOfficer', 'PATCH', `/api/loans/${id}`, { officerId: null });
    expect(cleared.body.officerId).toBeNull();

    const moved = await h.call('krtOfficer', 'PATCH', `/api/loans/${id}`, {
      borrowerId: b003,
      branchId: aalBranch,
    });
    expect(moved.status).toBe(400);
    expect(problems(moved.body)).toEqual([
      { path: 'json', message: 'borrowerId cannot be changed; branchId cannot be changed' },
    ]);
    const early = await h.call('krtOfficer', 'PATCH', `/api/loans/${id}`, {
      maturesOn: '2025-01-01',
    });
    expect(early.status).toBe(400);
    expect(problems(early.body)).toEqual([
      {
        path: 'json.maturesOn',
        message: 'maturesOn 2025-01-01 must be after disbursedOn 2026-03-01',
      },
    ]);
    const late = await h.call('krtOfficer', 'PATCH', `/api/loans/${id}`, {
      disbursedOn: '2040-01-01',
    });
    expect(problems(late.body).map((p) => p.path)).toEqual(['json.disbursedOn']);
    const elsewhere = await h.call('krtOfficer', 'PATCH', `/api/loans/${id}`, { officerId: bram });
    expect(problems(elsewhere.body).map((p) => p.path)).toEqual(['json.officerId']);
    const zero = await h.call('krtOfficer', 'PATCH', `/api/loans/${id}`, { amount: '0' });
    expect(problems(zero.body)).toEqual([
      { path: 'json.amount', message: 'must be greater than 0' },
    ]);

    const after = await h.call('krtOfficer', 'GET', `/api/loans/${id}`);
    expect(after.body).toMatchObject({
      borrowerId: b001,
      branchId: krtBranch,
      maturesOn: '2036-03-01',
    });
  });

  it('deletion needs a supervisor; a loan that still secures herds or parcels is a 409', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/loans', newLoan('L-2026-0106'))).body.id;
    const refused = await h.call('krtOfficer', 'DELETE', `/api/loans/${id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await h.call('krtSupervisor', 'DELETE', `/api/loans/${id}`)).status).toBe(204);
    expect((await h.call('krtSupervisor', 'GET', `/api/loans/${id}`)).status).toBe(404);
    const { rows } = await h.storage.query<{ before: { reference: string }; after: unknown }>(
      `select before, after from audit_log where entity_id = $1 and action = 'delete'`,
      [id],
    );
    expect(rows).toEqual([
      { before: expect.objectContaining({ reference: 'L-2026-0106' }), after: null },
    ]);

    const pledged = await h.idOf('loans', 'reference', 'L-2024-0002');
    const conflict = await h.call('krtSupervisor', 'DELETE', `/api/loans/${pledged}`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await h.call(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/loans', '/loans/{id}']));
    expect(doc.body.components.schemas.LoanCreate.required).toEqual(
      expect.arrayContaining(['borrowerId', 'reference', 'amount', 'balance', 'currency']),
    );
  });
});
