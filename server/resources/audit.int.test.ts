import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, demoUsers, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

describe.each(testBackends)('audit log API on $name', (backend) => {
  let h: ApiHarness;
  let krtBranch: string;
  let aalBranch: string;
  let krtBorrowerId: string;
  let aalBorrowerId: string;

  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtBranch = await h.idOf('branches', 'code', 'KRT');
    aalBranch = await h.idOf('branches', 'code', 'AAL');
    // Some history in each branch.
    krtBorrowerId = (
      await h.call('krtOfficer', 'POST', '/api/borrowers', { ref: 'B-K1', name: 'Eerst' })
    ).body.id;
    await h.call('krtOfficer', 'PATCH', `/api/borrowers/${krtBorrowerId}`, { name: 'Daarna' });
    aalBorrowerId = (
      await h.call('aalOfficer', 'POST', '/api/borrowers', { ref: 'B-A1', name: 'Aalst' })
    ).body.id;
  });
  afterAll(async () => {
    await h.close();
  });

  it('officers may not read it', async () => {
    const response = await h.call('krtOfficer', 'GET', '/api/audit');
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('forbidden');
    expect((await h.call(null, 'GET', '/api/audit')).status).toBe(401);
  });

  it('supervisors read their branch’s entries, newest first, with who did it', async () => {
    const krt = await h.call('krtSupervisor', 'GET', '/api/audit');
    expect(krt.status).toBe(200);
    expect(krt.body.items.length).toBeGreaterThanOrEqual(2);
    expect(krt.body.items.every((e: { branchId: string }) => e.branchId === krtBranch)).toBe(true);
    const [latest, previous] = krt.body.items;
    expect(latest).toMatchObject({
      action: 'update',
      entityType: 'borrowers',
      entityId: krtBorrowerId,
      actorKind: 'api_key',
      actorEmail: demoUsers.krtOfficer,
      before: expect.objectContaining({ name: 'Eerst' }),
      after: expect.objectContaining({ name: 'Daarna' }),
    });
    expect(previous).toMatchObject({ action: 'create', entityId: krtBorrowerId });
    expect(Number(latest.id)).toBeGreaterThan(Number(previous.id));

    const aal = await h.call('aalSupervisor', 'GET', '/api/audit');
    expect(aal.body.items.map((e: { entityId: string }) => e.entityId)).toContain(aalBorrowerId);
    expect(aal.body.items.map((e: { entityId: string }) => e.entityId)).not.toContain(
      krtBorrowerId,
    );
    // Asking for another branch's entity finds nothing rather than revealing it.
    const probe = await h.call('aalSupervisor', 'GET', `/api/audit?entityId=${krtBorrowerId}`);
    expect(probe.body.items).toEqual([]);
  });

  it('admins read everything, the seed included', async () => {
    const all = await h.call('admin', 'GET', '/api/audit?limit=500');
    const branches = new Set(all.body.items.map((e: { branchId: string | null }) => e.branchId));
    expect(branches).toEqual(new Set([krtBranch, aalBranch, null]));
    expect(all.body.items.at(-1)).toMatchObject({
      action: 'seed',
      actorKind: 'system',
      actorId: 'demo-seed',
      entityType: 'portfolio',
    });
  });

  it('filters by entity, action and time, and pages with a cursor', async () => {
    const byEntity = await h.call(
      'admin',
      'GET',
      `/api/audit?entityType=borrowers&entityId=${krtBorrowerId}`,
    );
    expect(byEntity.body.items.map((e: { action: string }) => e.action)).toEqual([
      'update',
      'create',
    ]);
    const byAction = await h.call('admin', 'GET', '/api/audit?action=create&entityType=borrowers');
    expect(byAction.body.items).toHaveLength(2);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await h.call('admin', 'GET', `/api/audit?from=${future}`)).body.items).toEqual([]);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect((await h.call('admin', 'GET', `/api/audit?to=${past}`)).body.items).toEqual([]);
    const recent = await h.call(
      'admin',
      'GET',
      `/api/audit?from=${past}&to=${future}&entityType=borrowers`,
    );
    expect(recent.body.items).toHaveLength(3);
    const badTime = await h.call('admin', 'GET', '/api/audit?from=yesterday');
    expect(badTime.status).toBe(400);
    expect(badTime.body.error.details[0].path).toBe('query.from');

    const first = await h.call('admin', 'GET', '/api/audit?entityType=borrowers&limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await h.call(
      'admin',
      'GET',
      `/api/audit?entityType=borrowers&limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    expect(second.body.items[0].entityId).toBe(krtBorrowerId);
    expect((await h.call('admin', 'GET', '/api/audit?cursor=garbage')).status).toBe(400);
  });
});
