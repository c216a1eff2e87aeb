/**
 * The alert API on both backends: list and filter with cursor pages, read one with its evidence and
 * history, acknowledge (comment required), assign within the branch, comment, resolve; branch
 * isolation; escalation of an unacknowledged critical alert; rule settings per scope.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import { AlertBus } from './alert-bus.ts';
import { AlertEngine } from './engine.ts';
import { escalateDueAlerts } from './escalation.ts';
import type { ObservedCondition } from './types.ts';

describe.each(testBackends)('alert API on $name', (backend) => {
  let h: ApiHarness;
  let engine: AlertEngine;
  let now = new Date();
  let krt: { branchId: string; farmId: string; herdId: string; loanId: string };
  let aal: { branchId: string; farmId: string; herdId: string };
  let tagIds: string[];

  const condition = (
    subjectId: string,
    context: { branchId: string; farmId: string; loanId?: string | null },
    overrides: Partial<ObservedCondition> = {},
  ): ObservedCondition => ({
    kind: 'tag_silent',
    subjectType: 'ear_tag',
    subjectId,
    active: true,
    severity: 'warning',
    title: 'Tag silent',
    evidence: { tagCode: 'X', lastSeenAt: null },
    evidenceKey: 'never',
    context: { loanId: null, ...context },
    raiseAfterMs: 0,
    clearAfterMs: 0,
    ...overrides,
  });

  beforeAll(async () => {
    h = await createApiHarness(backend);
    engine = new AlertEngine({ storage: h.storage, bus: new AlertBus(), now: () => now });
    const herdOf = async (code: string) =>
      (
        await h.storage.query<{ id: string; farm_id: string; branch_id: string; loan_id: string }>(
          `select h.id, h.farm_id, b.branch_id, h.loan_id from herds h join farms f on f.id = h.farm_id
             join borrowers b on b.id = f.borrower_id where h.code = $1`,
          [code],
        )
      ).rows[0];
    const k = await herdOf('H-KRT-02');
    const a = await herdOf('H-AAL-02');
    krt = {
      branchId: k?.branch_id ?? '',
      farmId: k?.farm_id ?? '',
      herdId: k?.id ?? '',
      loanId: k?.loan_id ?? '',
    };
    aal = { branchId: a?.branch_id ?? '', farmId: a?.farm_id ?? '', herdId: a?.id ?? '' };
    tagIds = (
      await h.storage.query<{ id: string }>(
        `select id from ear_tags where herd_id = $1 order by tag_code limit 5`,
        [krt.herdId],
      )
    ).rows.map((r) => r.id);
    // Three KRT alerts (one critical) and one AAL alert.
    now = new Date(Date.now() - 10 * 60 * 60_000);
    await engine.applyConditions([
      condition(tagIds[0] ?? '', krt),
      condition(tagIds[1] ?? '', krt, { severity: 'critical', kind: 'tag_outside_geofence' }),
    ]);
    now = new Date(Date.now() - 60_000);
    await engine.applyConditions([
      condition(krt.herdId, { ...krt }, { subjectType: 'herd', kind: 'herd_count_below_pledge' }),
      condition(aal.herdId, aal, { subjectType: 'herd', kind: 'herd_count_below_pledge' }),
    ]);
    now = new Date();
  });

  afterAll(async () => {
    await h.close();
  });

  it('lists the caller’s branch only, newest first, with filters and cursor pages', async () => {
    const all = await h.call('krtOfficer', 'GET', '/api/alerts');
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(3);
    expect(all.body.items.every((a: { branchId: string }) => a.branchId === krt.branchId)).toBe(
      true,
    );
    expect(all.body.items[0].kind).toBe('herd_count_below_pledge');

    const critical = await h.call('krtOfficer', 'GET', '/api/alerts?minSeverity=critical');
    expect(critical.body.items.map((a: { kind: string }) => a.kind)).toEqual([
      'tag_outside_geofence',
    ]);
    const byKind = await h.call('krtOfficer', 'GET', '/api/alerts?kind=tag_silent&status=open');
    expect(byKind.body.items).toHaveLength(1);
    const byLoan = await h.call('krtOfficer', 'GET', `/api/alerts?loanId=${krt.loanId}`);
    expect(byLoan.body.items).toHaveLength(3);
    const since = await h.call(
      'krtOfficer',
      'GET',
      `/api/alerts?since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
    );
    expect(since.body.items).toHaveLength(1);

    const page1 = await h.call('krtOfficer', 'GET', '/api/alerts?limit=2');
    expect(page1.body.items).toHaveLength(2);
    const page2 = await h.call(
      'krtOfficer',
      'GET',
      `/api/alerts?limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.items).toHaveLength(1);
    expect(page2.body.nextCursor).toBeNull();

    const admin = await h.call('admin', 'GET', '/api/alerts');
    expect(admin.body.items).toHaveLength(4);
    const aalAlertId = admin.body.items.find(
      (a: { branchId: string }) => a.branchId === aal.branchId,
    ).id;
    expect((await h.call('krtOfficer', 'GET', `/api/alerts/${aalAlertId}`)).status).toBe(404);
    expect(
      (
        await h.call('krtOfficer', 'POST', `/api/alerts/${aalAlertId}/acknowledge`, {
          comment: 'x',
        })
      ).status,
    ).toBe(404);
  });

  it('walks the lifecycle: acknowledge with a comment, assign, comment, resolve; all in the history', async () => {
    const list = await h.call('krtOfficer', 'GET', '/api/alerts?kind=tag_silent');
    const id = list.body.items[0].id as string;

    const noComment = await h.call('krtOfficer', 'POST', `/api/alerts/${id}/acknowledge`, {});
    expect(noComment.status).toBe(400);
    const ack = await h.call('krtOfficer', 'POST', `/api/alerts/${id}/acknowledge`, {
      comment: 'calling the farmer',
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ status: 'acknowledged' });
    expect(
      (await h.call('krtOfficer', 'POST', `/api/alerts/${id}/acknowledge`, { comment: 'again' }))
        .status,
    ).toBe(409);

    const officer2 = await h.idOf('users', 'email', 'pieter.declercq@pledgewatch.example');
    const aalOfficer = await h.idOf('users', 'email', 'bram.devos@pledgewatch.example');
    expect(
      (await h.call('krtOfficer', 'POST', `/api/alerts/${id}/assign`, { assigneeId: aalOfficer }))
        .status,
    ).toBe(400);
    const assigned = await h.call('krtOfficer', 'POST', `/api/alerts/${id}/assign`, {
      assigneeId: officer2,
    });
    expect(assigned.body.assignedTo).toBe(officer2);
    await h.call('krtOfficer2', 'POST', `/api/alerts/${id}/comment`, { comment: 'tag replaced' });
    const resolved = await h.call('krtOfficer2', 'POST', `/api/alerts/${id}/resolve`, {
      comment: 'done',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      resolvedBySystem: false,
      resolvedBy: officer2,
    });
    expect(resolved.body.evidence).toMatchObject({ tagCode: 'X' });
    expect(
      resolved.body.events.map(
        (e: {
          type: string;
          actorKind: string;
          actorEmail: string | null;
          comment: string | null;
        }) => [e.type, e.actorKind, e.actorEmail, e.comment].join(' '),
      ),
    ).toEqual([
      'raised system  ',
      'acknowledged user lies.vermeulen@pledgewatch.example calling the farmer',
      'assigned user lies.vermeulen@pledgewatch.example ',
      'commented user pieter.declercq@pledgewatch.example tag replaced',
      'resolved user pieter.declercq@pledgewatch.example done',
    ]);
  });

  it('escalates a critical alert not acknowledged by its deadline to a supervisor, once', async () => {
    const list = await h.call('krtOfficer', 'GET', '/api/alerts?severity=critical');
    const id = list.body.items[0].id as string;
    expect(list.body.items[0].ackDeadlineAt).not.toBeNull();
    now = new Date(Date.parse(list.body.items[0].ackDeadlineAt) + 1000);
    const first = await escalateDueAlerts(engine);
    expect(first.events.map((e) => [e.alertId, e.type])).toContainEqual([id, 'escalated']);
    expect((await escalateDueAlerts(engine)).events).toHaveLength(0);
    const supervisor = await h.idOf('users', 'email', 'annelies.vanhoutte@pledgewatch.example');
    const read = await h.call('krtOfficer', 'GET', `/api/alerts/${id}`);
    expect(read.body).toMatchObject({ escalatedTo: supervisor });
    expect(read.body.events.at(-1)).toMatchObject({ type: 'escalated', actorKind: 'system' });
    now = new Date();
  });

  it('sets rule params per scope: supervisors for their branch, admins for the portfolio', async () => {
    expect((await h.call('krtOfficer', 'GET', '/api/alert-settings')).status).toBe(403);
    const put = await h.call('krtSupervisor', 'PUT', '/api/alert-settings', {
      rule: 'tag_silent',
      scopeType: 'herd',
      scopeId: krt.herdId,
      params: { silenceMs: 7_200_000 },
    });
    expect(put.status).toBe(200);
    expect(put.body.effective.silenceMs).toBe(7_200_000);
    const again = await h.call('krtSupervisor', 'PUT', '/api/alert-settings', {
      rule: 'tag_silent',
      scopeType: 'herd',
      scopeId: krt.herdId,
      params: { silenceMs: 7_200_000, criticalAfterMs: 86_400_000 },
    });
    expect(again.body.effective).toMatchObject({
      silenceMs: 7_200_000,
      criticalAfterMs: 86_400_000,
    });
    const perTag = await h.call('krtSupervisor', 'PUT', '/api/alert-settings', {
      rule: 'tag_silent',
      scopeType: 'ear_tag',
      scopeId: tagIds[2],
      params: { silenceMs: 1_800_000 },
    });
    expect(perTag.body.effective.silenceMs).toBe(1_800_000);
    const read = await h.call(
      'krtSupervisor',
      'GET',
      `/api/alert-settings?scopeType=herd&scopeId=${krt.herdId}`,
    );
    const silent = read.body.items.find((i: { rule: string }) => i.rule === 'tag_silent');
    expect(silent).toMatchObject({
      params: { silenceMs: 7_200_000 },
      effective: { silenceMs: 7_200_000 },
    });

    const bad = await h.call('krtSupervisor', 'PUT', '/api/alert-settings', {
      rule: 'tag_silent',
      scopeType: 'herd',
      scopeId: krt.herdId,
      params: { silenceMs: -1, bogus: 3 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/silenceMs -1 out of range/);
    expect(bad.body.error.message).toMatch(/bogus is not a param/);
    const otherBranch = await h.call('krtSupervisor', 'PUT', '/api/alert-settings', {
      rule: 'tag_silent',
      scopeType: 'herd',
      scopeId: aal.herdId,
      params: { silenceMs: 7_200_000 },
    });
    expect(otherBranch.status).toBe(404);
    const portfolio = { rule: 'mass_exit', scopeType: 'portfolio', params: { minAnimals: 5 } };
    expect((await h.call('krtSupervisor', 'PUT', '/api/alert-settings', portfolio)).status).toBe(
      403,
    );
    expect((await h.call('admin', 'PUT', '/api/alert-settings', portfolio)).status).toBe(200);
    // Empty params remove the setting.
    const cleared = await h.call('krtSupervisor', 'PUT', '/api/alert-settings', {
      rule: 'tag_silent',
      scopeType: 'herd',
      scopeId: krt.herdId,
      params: {},
    });
    expect(cleared.body).toMatchObject({ params: null, effective: { silenceMs: 6 * 3_600_000 } });
  });
});
