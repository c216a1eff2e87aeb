import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

describe.each(testBackends)('borrowers API on $name', (backend) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await createApiHarness(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  it('needs a signed-in caller', async () => {
    const response = await h.call(null, 'GET', '/api/borrowers');
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
  });

  it('lists only the caller’s branch; an admin sees all', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/borrowers');
    expect(krt.status).toBe(200);
    expect(krt.body.items.map((b: { ref: string }) => b.ref)).toEqual(['B-001', 'B-002']);
    const aal = await h.call('aalOfficer', 'GET', '/api/borrowers');
    expect(aal.body.items.map((b: { ref: string }) => b.ref)).toEqual(['B-003', 'B-004']);
    const admin = await h.call('admin', 'GET', '/api/borrowers');
    expect(admin.body.items).toHaveLength(4);
  });

  it('pages with a cursor and filters by text', async () => {
    const first = await h.call('admin', 'GET', '/api/borrowers?limit=3');
    expect(first.body.items).toHaveLength(3);
    const second = await h.call(
      'admin',
      'GET',
      `/api/borrowers?limit=3&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items.map((b: { ref: string }) => b.ref)).toEqual(['B-004']);
    expect(second.body.nextCursor).toBeNull();
    const bad = await h.call('admin', 'GET', '/api/borrowers?cursor=nonsense');
    expect(bad.status).toBe(400);
    const found = await h.call('admin', 'GET', '/api/borrowers?q=b-00');
    expect(found.body.items).toHaveLength(4);
  });

  it('answers 404 for another branch’s borrower, on read, change and delete', async () => {
    const aalBorrower = await h.idOf('borrowers', 'ref', 'B-003');
    expect((await h.call('krtOfficer', 'GET', `/api/borrowers/${aalBorrower}`)).status).toBe(404);
    expect(
      (await h.call('krtOfficer', 'PATCH', `/api/borrowers/${aalBorrower}`, { name: 'x' })).status,
    ).toBe(404);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/borrowers/${aalBorrower}`)).status).toBe(
      404,
    );
    expect((await h.call('aalOfficer', 'GET', `/api/borrowers/${aalBorrower}`)).status).toBe(200);
  });

  it('creates in the caller’s branch, audits, refuses duplicates with 409', async () => {
    const created = await h.call('krtOfficer', 'POST', '/api/borrowers', {
      ref: 'B-100',
      name: 'Nieuwe Hoeve BV',
      registrationNo: 'BE0999999999',
    });
    expect(created.status).toBe(201);
    const krtBranch = await h.idOf('branches', 'code', 'KRT');
    expect(created.body).toMatchObject({ ref: 'B-100', branchId: krtBranch });
    const again = await h.call('krtOfficer', 'POST', '/api/borrowers', {
      ref: 'B-100',
      name: 'Dup',
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');

    const { rows } = await h.storage.query<{
      action: string;
      branch_id: string;
      after: { ref: string };
    }>(
      `select action, branch_id, after from audit_log where entity_type = 'borrowers' and entity_id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([
      { action: 'create', branch_id: krtBranch, after: expect.objectContaining({ ref: 'B-100' }) },
    ]);
  });

  it('an officer may not create in another branch', async () => {
    const aalBranch = await h.idOf('branches', 'code', 'AAL');
    const response = await h.call('krtOfficer', 'POST', '/api/borrowers', {
      branchId: aalBranch,
      ref: 'B-101',
      name: 'Elders',
    });
    expect(response.status).toBe(404);
  });

  it('validates the body with field paths', async () => {
    const response = await h.call('krtOfficer', 'POST', '/api/borrowers', {
      ref: '',
      name: 7,
      extra: 1,
    });
    expect(response.status).toBe(400);
    const paths = response.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['json.ref', 'json.name']));
  });

  it('changes with an audit record holding before and after; deletion needs a supervisor', async () => {
    const id = (
      await h.call('krtOfficer', 'POST', '/api/borrowers', { ref: 'B-102', name: 'Before' })
    ).body.id;
    const changed = await h.call('krtOfficer', 'PATCH', `/api/borrowers/${id}`, { name: 'After' });
    expect(changed.status).toBe(200);
    expect(changed.body.name).toBe('After');
    const { rows } = await h.storage.query<{ before: { name: string }; after: { name: string } }>(
      `select before, after from audit_log where entity_id = $1 and action = 'update'`,
      [id],
    );
    expect(rows[0]?.before.name).toBe('Before');
    expect(rows[0]?.after.name).toBe('After');

    expect((await h.call('krtOfficer', 'DELETE', `/api/borrowers/${id}`)).status).toBe(403);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/borrowers/${id}`)).status).toBe(204);
    expect((await h.call('krtSupervisor', 'GET', `/api/borrowers/${id}`)).status).toBe(404);
  });

  it('refuses to delete a borrower that still has loans, with 409', async () => {
    const id = await h.idOf('borrowers', 'ref', 'B-001');
    const response = await h.call('krtSupervisor', 'DELETE', `/api/borrowers/${id}`);
    expect(response.status).toBe(409);
  });
});
