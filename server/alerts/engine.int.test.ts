/**
 * The engine on both backends: minimum durations before raising and clearing, one alert per
 * subject and kind, `updated` only on material change, system resolution, the outbox, the bus,
 * state that survives a restart, and two engines racing on one condition.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { testBackends } from '../testing/databases.ts';
import { AlertBus, type AlertEventView } from './alert-bus.ts';
import { AlertEngine } from './engine.ts';
import type { ObservedCondition } from './types.ts';

const T0 = new Date('2026-03-02T08:00:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe.each(testBackends)('alert engine on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;
  let branchId: string;
  let farmId: string;
  let earTagIds: string[];
  let now: Date;
  let published: AlertEventView[];
  let bus: AlertBus;
  let next = 0;

  const engine = (): AlertEngine => new AlertEngine({ storage, bus, now: () => now });
  /** A fresh subject per test, so tests do not share alerts. */
  const subject = (): string => {
    const id = earTagIds[next];
    next += 1;
    if (id === undefined) throw new Error('out of ear tags');
    return id;
  };
  const condition = (
    subjectId: string,
    overrides: Partial<ObservedCondition> = {},
  ): ObservedCondition => ({
    kind: 'tag_outside_geofence',
    subjectType: 'ear_tag',
    subjectId,
    active: true,
    severity: 'warning',
    title: 'Tag outside',
    evidence: { distanceM: 12 },
    evidenceKey: 'near',
    context: { branchId, loanId: null, farmId },
    raiseAfterMs: 0,
    clearAfterMs: 10 * MINUTE,
    ...overrides,
  });
  const alertsOf = async (subjectId: string) =>
    (
      await storage.query<{
        id: string;
        status: string;
        severity: string;
        resolved_by_system: boolean | null;
      }>(
        `select id, status, severity, resolved_by_system from alerts where subject_id = $1 order by raised_at`,
        [subjectId],
      )
    ).rows;
  const eventsOf = async (subjectId: string) =>
    (
      await storage.query<{ type: string; actor_kind: string }>(
        `select e.type, e.actor_kind from alert_events e join alerts a on a.id = e.alert_id
          where a.subject_id = $1 order by e.id`,
        [subjectId],
      )
    ).rows.map((r) => `${r.type}:${r.actor_kind}`);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-alerts-'));
    storage = await backend.open();
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    const herd = await storage.query<{ farm_id: string; branch_id: string }>(
      `select h.farm_id, b.branch_id from herds h join farms f on f.id = h.farm_id
         join borrowers b on b.id = f.borrower_id where h.code = 'H-KRT-02'`,
    );
    farmId = herd.rows[0]?.farm_id ?? '';
    branchId = herd.rows[0]?.branch_id ?? '';
    earTagIds = (
      await storage.query<{ id: string }>(
        `select e.id from ear_tags e join herds h on h.id = e.herd_id where h.code = 'H-KRT-02'
          order by e.tag_code`,
      )
    ).rows.map((r) => r.id);
  });

  afterAll(async () => {
    await storage?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    now = new Date(T0);
    published = [];
    bus = new AlertBus();
    bus.subscribe((events) => published.push(...events));
  });

  it('raises only once the condition has held for raiseAfterMs, then publishes after commit', async () => {
    const id = subject();
    const e = engine();
    await e.applyConditions([condition(id, { raiseAfterMs: MINUTE })]);
    now = new Date(T0.getTime() + 59 * SECOND);
    await e.applyConditions([condition(id, { raiseAfterMs: MINUTE })]);
    expect(await alertsOf(id)).toHaveLength(0);
    now = new Date(T0.getTime() + MINUTE);
    const { events } = await e.applyConditions([condition(id, { raiseAfterMs: MINUTE })]);
    expect(events.map((x) => x.type)).toEqual(['raised']);
    expect(published.map((x) => x.type)).toEqual(['raised']);
    expect(published[0]?.alert).toMatchObject({
      kind: 'tag_outside_geofence',
      status: 'open',
      branchId,
    });
    expect(await alertsOf(id)).toHaveLength(1);
  });

  it('forgets a condition that clears before it was raised', async () => {
    const id = subject();
    const e = engine();
    await e.applyConditions([condition(id, { raiseAfterMs: MINUTE })]);
    now = new Date(T0.getTime() + 30 * SECOND);
    await e.applyConditions([condition(id, { active: false, raiseAfterMs: MINUTE })]);
    now = new Date(T0.getTime() + 5 * MINUTE);
    await e.promoteDue();
    expect(await alertsOf(id)).toHaveLength(0);
    const left = await storage.query('select 1 from alert_conditions where subject_id = $1', [id]);
    expect(left.rows).toHaveLength(0);
  });

  it('keeps a pending raise across a restart: a new engine promotes it when due', async () => {
    const id = subject();
    await engine().applyConditions([condition(id, { raiseAfterMs: 5 * MINUTE })]);
    // "Restart": a new engine and bus, nothing in memory.
    now = new Date(T0.getTime() + 4 * MINUTE);
    await engine().promoteDue();
    expect(await alertsOf(id)).toHaveLength(0);
    now = new Date(T0.getTime() + 5 * MINUTE);
    const { events } = await engine().promoteDue();
    expect(
      events.filter((x) => x.alertId !== undefined && x.type === 'raised').length,
    ).toBeGreaterThanOrEqual(1);
    expect(await alertsOf(id)).toHaveLength(1);
  });

  it('a condition flapping on and off gives one alert, no updates, then one system resolution', async () => {
    const id = subject();
    const e = engine();
    for (let i = 0; i < 40; i += 1) {
      now = new Date(T0.getTime() + i * 15 * SECOND);
      await e.applyConditions([
        condition(id, { active: i % 2 === 0, evidence: { distanceM: 10 + (i % 7) } }),
      ]);
      await e.promoteDue();
    }
    expect(await alertsOf(id)).toHaveLength(1);
    expect(await eventsOf(id)).toEqual(['raised:system']);
    // Gone for good: resolved once clearAfterMs has passed since it was last seen.
    now = new Date(now.getTime() + 10 * MINUTE);
    await e.promoteDue();
    expect(await alertsOf(id)).toMatchObject([{ status: 'resolved', resolved_by_system: true }]);
    expect(await eventsOf(id)).toEqual(['raised:system', 'resolved:system']);
    // A later condition is a new alert.
    now = new Date(now.getTime() + MINUTE);
    await e.applyConditions([condition(id)]);
    expect(await alertsOf(id)).toHaveLength(2);
  });

  it('updates on a material change only (severity or evidence key), with an updated event', async () => {
    const id = subject();
    const e = engine();
    await e.applyConditions([condition(id)]);
    now = new Date(T0.getTime() + SECOND);
    await e.applyConditions([condition(id, { evidence: { distanceM: 14 } })]);
    now = new Date(T0.getTime() + 2 * SECOND);
    await e.applyConditions([
      condition(id, { severity: 'critical', evidenceKey: 'far', evidence: { distanceM: 2400 } }),
    ]);
    expect(await eventsOf(id)).toEqual(['raised:system', 'updated:system']);
    const row = await storage.query<{
      severity: string;
      evidence: { distanceM: number };
      ack_deadline_at: Date | null;
    }>('select severity, evidence, ack_deadline_at from alerts where subject_id = $1', [id]);
    expect(row.rows[0]).toMatchObject({ severity: 'critical', evidence: { distanceM: 2400 } });
    expect(row.rows[0]?.ack_deadline_at).not.toBeNull();
  });

  /** A webhook subscription of an officer of the branch to every alert of it. */
  async function subscribeWebhook(target: string): Promise<void> {
    await storage.query(
      `insert into subscriptions (owner_user_id, branch_id, channel, target, signing_secret)
       select id, $1, 'webhook', $2, 'secret' from users
        where email = 'annelies.vanhoutte@pledgewatch.example'`,
      [branchId, target],
    );
  }

  it('writes deliveries for matching subscriptions in the same transaction (outbox)', async () => {
    const id = subject();
    await subscribeWebhook('http://127.0.0.1:9/hook');
    const { events } = await engine().applyConditions([condition(id)]);
    const deliveries = await storage.query<{ alert_event_id: string }>(
      'select alert_event_id from deliveries where alert_event_id = any ($1::bigint[])',
      [events.map((x) => x.id)],
    );
    expect(deliveries.rows.map((r) => String(r.alert_event_id))).toEqual(events.map((x) => x.id));
  });

  it('raises an immediate condition in one statement, outbox rows included, with no transaction', async () => {
    const id = subject();
    await subscribeWebhook('http://127.0.0.1:9/immediate');
    // Transactions fail: only the one-statement raise can succeed.
    const noTransactions: Storage = {
      ...storage,
      transaction: () => Promise.reject(new Error('a transaction was started')),
    };
    const fast = new AlertEngine({ storage: noTransactions, bus, now: () => now });
    const { events } = await fast.applyConditions([condition(id)]);
    expect(events).toMatchObject([
      { type: 'raised', payload: { severity: 'warning', conditionSince: now.toISOString() } },
    ]);
    expect(published.map((e) => e.id)).toContain(events[0]?.id);
    const deliveries = await storage.query<{ body: { event: { id: string; payload: unknown } } }>(
      `select d.body from deliveries d join subscriptions s on s.id = d.subscription_id
        where s.target = 'http://127.0.0.1:9/immediate' and d.alert_event_id = $1::bigint`,
      [events[0]?.id ?? '0'],
    );
    expect(deliveries.rows).toHaveLength(1);
    expect(deliveries.rows[0]?.body.event).toMatchObject({
      id: events[0]?.id,
      payload: { conditionSince: now.toISOString() },
    });
    // New evidence on the open alert is not a raise: it needs the transaction.
    await expect(
      fast.applyConditions([condition(id, { severity: 'critical', evidenceKey: 'far' })]),
    ).rejects.toThrow(/a transaction was started/);
    const updated = await engine().applyConditions([
      condition(id, { severity: 'critical', evidenceKey: 'far' }),
    ]);
    expect(updated.events.map((e) => e.type)).toEqual(['updated']);
    expect(await alertsOf(id)).toMatchObject([{ status: 'open', severity: 'critical' }]);
  });

  it('two engines racing on one condition raise one alert', async () => {
    const id = subject();
    const [a, b] = [engine(), engine()];
    const results = await Promise.allSettled([
      a.applyConditions([condition(id)]),
      b.applyConditions([condition(id)]),
    ]);
    // A serialization failure on the loser is allowed to surface; a duplicate alert is not.
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    expect(await alertsOf(id)).toHaveLength(1);
    expect((await eventsOf(id)).filter((t) => t.startsWith('raised'))).toHaveLength(1);
  });
});
