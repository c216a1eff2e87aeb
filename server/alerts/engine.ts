/**
 * The alert engine: turns conditions into alerts, with a minimum duration before raising and
 * before clearing, one unresolved alert per subject and kind, an `updated` event only when the
 * evidence changes materially, and every transition in `alert_events`. The outbox rows
 * (enqueueDeliveries) are written in the same transaction; the events go to the AlertBus after
 * it commits. The most urgent change, one condition that raises as soon as it is seen (a tag out
 * of its fence), skips the transaction: state, alert, event and outbox rows go in one statement,
 * which commits on its own.
 *
 * State: `alert_conditions` holds, per subject and kind, the condition as last observed and since
 * when, so a restart neither forgets a pending raise nor a pending clear. `promoteDue()` (called
 * by the sweep) raises and clears what became due without a new observation.
 *
 * Concurrency: one engine serialises its own writes; between instances, the condition rows are
 * locked (`for update`) and the partial unique index on alerts is met with `on conflict do
 * nothing` (the loser updates the winner's alert).
 */
import type { Queryable, SqlParam, Storage } from '../db/storage.ts';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { AlertBus, AlertEventView } from './alert-bus.ts';
import {
  byEventId,
  insertAlertEvent,
  snapshotColumns,
  toEventView,
  toSnapshot,
  type AlertSnapshotRow,
} from './alert-events.ts';
import { enqueueDeliveries, insertDeliveriesSql } from './delivery/enqueue.ts';
import { KeyedQueue } from './keyed-queue.ts';
import type { ObservedCondition, Severity } from './types.ts';

export interface AlertEngineOptions {
  readonly storage: Storage;
  readonly bus: AlertBus;
  readonly logger?: Logger;
  /** The clock (tests move it). */
  readonly now?: () => Date;
  /** A critical alert must be acknowledged within this (ms) or it is escalated. Default 4 h. */
  readonly ackDeadlineMs?: number;
}

export interface ApplyResult {
  readonly events: readonly AlertEventView[];
}

interface StateRow {
  kind: string;
  subject_type: string;
  subject_id: string;
  active: boolean;
  since: Date;
  raise_after_ms: string | number;
  clear_after_ms: string | number;
  branch_id: string;
  loan_id: string | null;
  farm_id: string | null;
  severity: Severity;
  title: string;
  evidence: Record<string, unknown>;
  evidence_key: string;
}

interface OpenAlertRow extends AlertSnapshotRow {
  evidence_key: string;
  ack_deadline_at: Date | null;
}

/** The rows as `to_jsonb` gives them: timestamps are ISO strings. */
type JsonStateRow = Omit<StateRow, 'since'> & { since: string };
type JsonOpenAlertRow = Omit<OpenAlertRow, 'ack_deadline_at'> & { ack_deadline_at: string | null };

/**
 * Events whose deliveries the statement that wrote them already enqueued (a raise writes its
 * alert, event and outbox rows in one statement), so the commit does not look for them again.
 */
const deliveriesWritten = new WeakSet<AlertEventView>();

const keyOf = (c: { subjectType: string; subjectId: string; kind: string }): string =>
  `${c.subjectType}|${c.subjectId}|${c.kind}`;
const rowKey = (r: { subject_type: string; subject_id: string; kind: string }): string =>
  `${r.subject_type}|${r.subject_id}|${r.kind}`;

export class AlertEngine {
  readonly #storage: Storage;
  readonly #bus: AlertBus;
  readonly #logger: Logger;
  readonly #now: () => Date;
  readonly #ackDeadlineMs: number;
  readonly #queue = new KeyedQueue();

  constructor(options: AlertEngineOptions) {
    this.#storage = options.storage;
    this.#bus = options.bus;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? (() => new Date());
    this.#ackDeadlineMs = options.ackDeadlineMs ?? 4 * 60 * 60_000;
  }

  get storage(): Storage {
    return this.#storage;
  }

  now(): Date {
    return this.#now();
  }

  /**
   * Observes conditions (from rules) and raises, updates or clears alerts as their minimum
   * durations allow. Conditions for the same subject and kind: the last one wins. Resolves with
   * the events written (already published on the bus).
   */
  applyConditions(conditions: readonly ObservedCondition[]): Promise<ApplyResult> {
    if (conditions.length === 0) return Promise.resolve({ events: [] });
    const latest = new Map<string, ObservedCondition>();
    for (const c of conditions) latest.set(keyOf(c), c);
    const observed = [...latest.values()];
    return this.#queue.run(
      [...latest.keys()],
      async () =>
        (await this.#raiseAtOnce(observed)) ??
        (await this.#commit((tx, at) => this.#apply(tx, observed, at))),
    );
  }

  /**
   * The common alert, fast: one condition that raises as soon as it is seen (`raiseAfterMs` 0, a
   * tag out of its fence) is raised with its state, event and outbox rows in one statement, which
   * commits on its own: one round trip instead of a transaction's four. Resolves with null, having
   * only recorded the observation, when the subject already has an open alert (another instance
   * raised it, or this is new evidence on it): the transaction of `#apply` then takes over.
   */
  async #raiseAtOnce(conditions: readonly ObservedCondition[]): Promise<ApplyResult | null> {
    const c = conditions[0];
    if (conditions.length !== 1 || c === undefined || !c.active || c.raiseAfterMs > 0) return null;
    const at = this.#now();
    const events = await raiseAlert(this.#storage, c, null, at, this.#ackDeadlineMs, {
      updateOpen: false,
    });
    if (events.length === 0) return null;
    this.#publish(events);
    return { events };
  }

  /** Raises and clears what became due since the last observation (the sweep calls it). */
  promoteDue(): Promise<ApplyResult> {
    return this.#queue.runAlone(() =>
      this.#commit(async (tx, at) => {
        const { rows } = await tx.query<StateRow>(
          `select c.* from alert_conditions c
            where (c.active
                   and c.since + c.raise_after_ms::double precision * interval '1 millisecond' <= $1
                   and not exists (
                     select 1 from alerts a
                      where a.subject_type = c.subject_type and a.subject_id = c.subject_id
                        and a.kind = c.kind and a.status <> 'resolved'))
               or (not c.active
                   and c.since + c.clear_after_ms::double precision * interval '1 millisecond' <= $1)
            order by c.since
            limit 1000`,
          [at],
        );
        return this.#apply(tx, rows.map(stateToCondition), at);
      }),
    );
  }

  /**
   * Runs `work` inside a transaction with the engine's clock, enqueues the deliveries of the
   * events it wrote, and publishes them after commit. For lifecycle changes (acknowledge, ...).
   */
  runInTransaction(
    work: (tx: Queryable, at: Date) => Promise<AlertEventView[]>,
  ): Promise<ApplyResult> {
    return this.#queue.runAlone(() => this.#commit(work));
  }

  /** Waits for every change submitted so far. */
  async idle(): Promise<void> {
    await this.#queue.idle();
  }

  async #commit(
    work: (tx: Queryable, at: Date) => Promise<AlertEventView[]>,
  ): Promise<ApplyResult> {
    const at = this.#now();
    const events = await this.#storage.transaction(async (tx) => {
      const written = await work(tx, at);
      await enqueueDeliveries(
        tx,
        written.filter((e) => !deliveriesWritten.has(e)).map((e) => e.id),
      );
      return written;
    });
    this.#publish(events);
    return { events };
  }

  /** Hands committed events to the bus, in id order. */
  #publish(events: AlertEventView[]): void {
    events.sort(byEventId);
    try {
      this.#bus.publish(events);
    } catch (error) {
      this.#logger.error('alert bus listener failed', { reason: errorMessage(error) });
    }
  }

  async #apply(
    tx: Queryable,
    conditions: readonly ObservedCondition[],
    at: Date,
  ): Promise<AlertEventView[]> {
    if (conditions.length === 0) return [];
    const keys = {
      types: conditions.map((c) => c.subjectType),
      ids: conditions.map((c) => c.subjectId),
      kinds: conditions.map((c) => c.kind),
    };
    // The conditions' states and their open alerts, both locked, in one round trip.
    const locked = await tx.query<{ state: JsonStateRow | null; open: JsonOpenAlertRow | null }>(
      `with k as (
         select * from unnest($1::text[], $2::uuid[], $3::text[]) as k(subject_type, subject_id, kind)
       ), s as (
         select c.* from alert_conditions c
           join k on c.subject_type = k.subject_type and c.subject_id = k.subject_id
                 and c.kind = k.kind
          for update of c
       ), o as (
         select a.${snapshotColumns.split(', ').join(', a.')}, a.evidence_key, a.ack_deadline_at
           from alerts a
           join k on a.subject_type = k.subject_type and a.subject_id = k.subject_id
                 and a.kind = k.kind
          where a.status <> 'resolved'
          for update of a
       )
       select to_jsonb(s) as state, null::jsonb as open from s
       union all
       select null::jsonb, to_jsonb(o) from o`,
      [keys.types, keys.ids, keys.kinds],
    );
    const stateByKey = new Map<string, StateRow>();
    const openByKey = new Map<string, OpenAlertRow>();
    for (const row of locked.rows) {
      if (row.state !== null) {
        const state: StateRow = { ...row.state, since: new Date(row.state.since) };
        stateByKey.set(rowKey(state), state);
      }
      if (row.open !== null) {
        const { ack_deadline_at: deadline, ...rest } = row.open;
        const alert: OpenAlertRow = {
          ...rest,
          ack_deadline_at: deadline === null ? null : new Date(deadline),
        };
        openByKey.set(rowKey(alert), alert);
      }
    }
    const events: AlertEventView[] = [];

    for (const condition of conditions) {
      const key = keyOf(condition);
      const state = stateByKey.get(key);
      const alert = openByKey.get(key);
      if (condition.active) {
        const since = state?.active === true ? state.since : at;
        if (alert === undefined && at.getTime() - since.getTime() >= condition.raiseAfterMs) {
          // The common raise: state, alert and event in one round trip.
          events.push(
            ...(await raiseAlert(tx, condition, since, at, this.#ackDeadlineMs, {
              updateOpen: true,
            })),
          );
          continue;
        }
        await upsertState(tx, condition, since, at);
        if (alert !== undefined) {
          const event = await updateAlert(tx, alert, condition, at, this.#ackDeadlineMs);
          if (event !== null) events.push(event);
        }
      } else if (alert !== undefined) {
        const since = state !== undefined && !state.active ? state.since : at;
        if (at.getTime() - since.getTime() >= condition.clearAfterMs) {
          const resolved = await resolveBySystem(tx, alert, condition, at);
          if (resolved !== null) events.push(resolved);
          await deleteState(tx, condition);
        } else if (state === undefined || state.active) {
          await tx.query(
            `insert into alert_conditions (kind, subject_type, subject_id, active, since,
               raise_after_ms, clear_after_ms, branch_id, loan_id, farm_id, severity, title,
               evidence, evidence_key, observed_at)
             values ($1, $2, $3, false, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $4)
             on conflict (subject_type, subject_id, kind) do update
               set active = false, since = excluded.since, clear_after_ms = excluded.clear_after_ms,
                   raise_after_ms = excluded.raise_after_ms, observed_at = excluded.observed_at`,
            [
              condition.kind,
              condition.subjectType,
              condition.subjectId,
              at,
              condition.raiseAfterMs,
              condition.clearAfterMs,
              alert.branch_id,
              alert.loan_id,
              alert.farm_id,
              alert.severity,
              alert.title,
              JSON.stringify({}),
              alert.evidence_key,
            ],
          );
        }
      } else if (state !== undefined) {
        // Cleared before it was raised: nothing to remember.
        await deleteState(tx, condition);
      }
    }
    return events;
  }
}

function stateToCondition(row: StateRow): ObservedCondition {
  return {
    kind: row.kind,
    subjectType: row.subject_type as ObservedCondition['subjectType'],
    subjectId: row.subject_id,
    active: row.active,
    severity: row.severity,
    title: row.title,
    evidence: row.evidence,
    evidenceKey: row.evidence_key,
    context: { branchId: row.branch_id, loanId: row.loan_id, farmId: row.farm_id },
    raiseAfterMs: Number(row.raise_after_ms),
    clearAfterMs: Number(row.clear_after_ms),
  };
}

/**
 * Records a condition as active, since $4. With `keepActiveSince`, a stored state that is active
 * already keeps its own `since` (for a writer that has not read the state first).
 */
const upsertStateSqlFor = (options: { readonly keepActiveSince: boolean }): string =>
  `insert into alert_conditions (kind, subject_type, subject_id, active, since,
       raise_after_ms, clear_after_ms, branch_id, loan_id, farm_id, severity, title, evidence,
       evidence_key, observed_at)
     values ($1, $2, $3, true, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14)
     on conflict (subject_type, subject_id, kind) do update
       set active = true,
           since = ${
             options.keepActiveSince
               ? 'case when alert_conditions.active then alert_conditions.since else excluded.since end'
               : 'excluded.since'
           },
           raise_after_ms = excluded.raise_after_ms,
           clear_after_ms = excluded.clear_after_ms, branch_id = excluded.branch_id,
           loan_id = excluded.loan_id, farm_id = excluded.farm_id, severity = excluded.severity,
           title = excluded.title, evidence = excluded.evidence,
           evidence_key = excluded.evidence_key, observed_at = excluded.observed_at`;

const upsertStateSql = upsertStateSqlFor({ keepActiveSince: false });

/** The parameters of `upsertStateSql` ($1..$14). */
function upsertStateParams(c: ObservedCondition, since: Date, at: Date): SqlParam[] {
  return [
    c.kind,
    c.subjectType,
    c.subjectId,
    since,
    c.raiseAfterMs,
    c.clearAfterMs,
    c.context.branchId,
    c.context.loanId,
    c.context.farmId,
    c.severity,
    c.title,
    JSON.stringify(c.evidence),
    c.evidenceKey,
    at,
  ];
}

async function upsertState(
  tx: Queryable,
  c: ObservedCondition,
  since: Date,
  at: Date,
): Promise<void> {
  await tx.query(upsertStateSql, upsertStateParams(c, since, at));
}

async function deleteState(tx: Queryable, c: ObservedCondition): Promise<void> {
  await tx.query(
    'delete from alert_conditions where subject_type = $1 and subject_id = $2 and kind = $3',
    [c.subjectType, c.subjectId, c.kind],
  );
}

/** `column` (timestamptz) as JavaScript's `toISOString()` writes it. */
const isoSql = (column: string): string =>
  `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Raises in one statement: the condition's state, the alert (unless one is open), its `raised`
 * event and the outbox rows. Built once per variant: its text names the prepared statement.
 */
const raiseSqlFor = (options: { readonly keepActiveSince: boolean }): string =>
  `with st as (${upsertStateSqlFor(options)} returning since),
     al as (
       insert into alerts (kind, subject_type, subject_id, branch_id, loan_id, farm_id, severity,
         title, evidence, evidence_key, raised_at, updated_at, ack_deadline_at)
       values ($1, $2, $3, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $14, $15)
       on conflict (subject_type, subject_id, kind) where status <> 'resolved' do nothing
       returning ${snapshotColumns}, evidence, raised_at, updated_at
     ),
     ev as (
       insert into alert_events (alert_id, at, type, actor_kind, actor_user_id, comment, payload)
       select al.id, $14, 'raised', 'system', null::uuid, null::text,
              $16::jsonb || jsonb_build_object('conditionSince', ${isoSql('st.since')})
         from al, st
       returning id, alert_id, type, at, actor_kind, actor_user_id, comment, payload
     ),
     dl as (${insertDeliveriesSql({ events: 'ev', alerts: 'al', where: 'true' })})
     select ${snapshotColumns
       .split(', ')
       .map((column) => `al.${column}`)
       .join(', ')}, ev.id::text as event_id, ev.payload->>'conditionSince' as since
       from al join ev on ev.alert_id = al.id`;
const raiseSql = raiseSqlFor({ keepActiveSince: false });
const raiseSqlKeepingActiveSince = raiseSqlFor({ keepActiveSince: true });

/**
 * Records the active state and raises the alert with its `raised` event and the event's outbox
 * rows, in one statement (one round trip: the alert engine's latency is mostly round trips).
 *
 * `since`: when the condition became active; null lets the statement keep the stored state's time
 * if it is active, else take `at` (for a caller that has not read the state). If the subject and
 * kind have an open alert already (another instance raised it first), nothing is raised: with
 * `updateOpen` that alert is then updated instead (inside a transaction, for `#apply`), without it
 * the result is empty (the state is recorded all the same).
 */
async function raiseAlert(
  db: Queryable,
  c: ObservedCondition,
  since: Date | null,
  at: Date,
  ackDeadlineMs: number,
  options: { readonly updateOpen: boolean },
): Promise<AlertEventView[]> {
  const deadline = c.severity === 'critical' ? new Date(at.getTime() + ackDeadlineMs) : null;
  // The payload without conditionSince, which the statement adds as it stored it.
  const payload = { severity: c.severity, evidence: c.evidence };
  const { rows } = await db.query<AlertSnapshotRow & { event_id: string; since: string }>(
    since === null ? raiseSqlKeepingActiveSince : raiseSql,
    [...upsertStateParams(c, since ?? at, at), deadline, JSON.stringify(payload)],
    // Planning this statement cost the database more than running it (0.6 ms against 0.5 ms).
    { prepare: true },
  );
  const inserted = rows[0];
  if (inserted !== undefined) {
    const view = toEventView(inserted.event_id, toSnapshot(inserted), {
      type: 'raised',
      at,
      actorUserId: null,
      payload: { ...payload, conditionSince: inserted.since },
    });
    deliveriesWritten.add(view);
    return [view];
  }
  if (!options.updateOpen) return [];
  // Another instance raised it first: update that alert instead.
  const existing = await db.query<OpenAlertRow>(
    `select ${snapshotColumns}, evidence_key, ack_deadline_at from alerts
      where subject_type = $1 and subject_id = $2 and kind = $3 and status <> 'resolved'
      for update`,
    [c.subjectType, c.subjectId, c.kind],
  );
  const row = existing.rows[0];
  if (row === undefined) return [];
  const event = await updateAlert(db, row, c, at, ackDeadlineMs);
  return event === null ? [] : [event];
}

/** New evidence on an open alert; an `updated` event only when severity or the key changed. */
async function updateAlert(
  tx: Queryable,
  alert: OpenAlertRow,
  c: ObservedCondition,
  at: Date,
  ackDeadlineMs: number,
): Promise<AlertEventView | null> {
  const material = alert.severity !== c.severity || alert.evidence_key !== c.evidenceKey;
  if (!material) {
    await tx.query(
      `update alerts set evidence = $2::jsonb where id = $1 and status <> 'resolved'`,
      [alert.id, JSON.stringify(c.evidence)],
    );
    return null;
  }
  const deadline =
    c.severity === 'critical' && alert.ack_deadline_at === null && alert.status === 'open'
      ? new Date(at.getTime() + ackDeadlineMs)
      : alert.ack_deadline_at;
  const { rows } = await tx.query<AlertSnapshotRow>(
    `update alerts set severity = $2, title = $3, evidence = $4::jsonb, evidence_key = $5,
            updated_at = $6, ack_deadline_at = $7
      where id = $1 and status <> 'resolved' returning ${snapshotColumns}`,
    [alert.id, c.severity, c.title, JSON.stringify(c.evidence), c.evidenceKey, at, deadline],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return insertAlertEvent(tx, toSnapshot(row), {
    type: 'updated',
    at,
    actorUserId: null,
    payload: { previousSeverity: alert.severity, severity: c.severity, evidence: c.evidence },
  });
}

async function resolveBySystem(
  tx: Queryable,
  alert: OpenAlertRow,
  c: ObservedCondition,
  at: Date,
): Promise<AlertEventView | null> {
  const { rows } = await tx.query<AlertSnapshotRow>(
    `update alerts set status = 'resolved', resolved_at = $2, resolved_by_system = true,
            updated_at = $2
      where id = $1 and status <> 'resolved' returning ${snapshotColumns}`,
    [alert.id, at],
  );
  const row = rows[0];
  // Resolved meanwhile (by a user): nothing to record.
  if (row === undefined) return null;
  return insertAlertEvent(tx, toSnapshot(row), {
    type: 'resolved',
    at,
    actorUserId: null,
    payload: { reason: 'condition_cleared', clearAfterMs: c.clearAfterMs },
  });
}
