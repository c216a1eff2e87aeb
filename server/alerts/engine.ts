/**
 * The alert engine: turns conditions into alerts, with a minimum duration before raising and
 * before clearing, one unresolved alert per subject and kind, an `updated` event only when the
 * evidence changes materially, and every transition in `alert_events`. The outbox rows
 * (enqueueDeliveries) are written in the same transaction; the events go to the AlertBus after
 * it commits.
 *
 * State: `alert_conditions` holds, per subject and kind, the condition as last observed and since
 * when, so a restart neither forgets a pending raise nor a pending clear. `promoteDue()` (called
 * by the sweep) raises and clears what became due without a new observation.
 *
 * Concurrency: one engine serialises its own writes; between instances, the condition rows are
 * locked (`for update`) and the partial unique index on alerts is met with `on conflict do
 * nothing` (the loser updates the winner's alert).
 */
import type { Queryable, Storage } from '../db/storage.ts';
import { errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { AlertBus, AlertEventView } from './alert-bus.ts';
import {
  byEventId,
  insertAlertEvent,
  snapshotColumns,
  toSnapshot,
  type AlertSnapshotRow,
} from './alert-events.ts';
import { enqueueDeliveries } from './delivery/enqueue.ts';
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
  #tail: Promise<unknown> = Promise.resolve();

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
    return this.#serial(() => this.#commit((tx, at) => this.#apply(tx, [...latest.values()], at)));
  }

  /** Raises and clears what became due since the last observation (the sweep calls it). */
  promoteDue(): Promise<ApplyResult> {
    return this.#serial(() =>
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
    return this.#serial(() => this.#commit(work));
  }

  /** Waits for every change submitted so far. */
  async idle(): Promise<void> {
    await this.#tail.catch(() => undefined);
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(work, work);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #commit(
    work: (tx: Queryable, at: Date) => Promise<AlertEventView[]>,
  ): Promise<ApplyResult> {
    const at = this.#now();
    const events = await this.#storage.transaction(async (tx) => {
      const written = await work(tx, at);
      await enqueueDeliveries(
        tx,
        written.map((e) => e.id),
      );
      return written;
    });
    events.sort(byEventId);
    try {
      this.#bus.publish(events);
    } catch (error) {
      this.#logger.error('alert bus listener failed', { reason: errorMessage(error) });
    }
    return { events };
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
    const states = await tx.query<StateRow>(
      `select c.* from alert_conditions c
         join unnest($1::text[], $2::uuid[], $3::text[]) as k(subject_type, subject_id, kind)
           on c.subject_type = k.subject_type and c.subject_id = k.subject_id and c.kind = k.kind
        for update of c`,
      [keys.types, keys.ids, keys.kinds],
    );
    const open = await tx.query<OpenAlertRow>(
      `select a.${snapshotColumns.split(', ').join(', a.')}, a.evidence_key, a.ack_deadline_at
         from alerts a
         join unnest($1::text[], $2::uuid[], $3::text[]) as k(subject_type, subject_id, kind)
           on a.subject_type = k.subject_type and a.subject_id = k.subject_id and a.kind = k.kind
        where a.status <> 'resolved'
        for update of a`,
      [keys.types, keys.ids, keys.kinds],
    );
    const stateByKey = new Map(states.rows.map((r) => [rowKey(r), r]));
    const openByKey = new Map(open.rows.map((r) => [rowKey(r), r]));
    const events: AlertEventView[] = [];

    for (const condition of conditions) {
      const key = keyOf(condition);
      const state = stateByKey.get(key);
      const alert = openByKey.get(key);
      if (condition.active) {
        const since = state?.active === true ? state.since : at;
        await upsertState(tx, condition, since, at);
        if (alert !== undefined) {
          const event = await updateAlert(tx, alert, condition, at, this.#ackDeadlineMs);
          if (event !== null) events.push(event);
        } else if (at.getTime() - since.getTime() >= condition.raiseAfterMs) {
          events.push(...(await raiseAlert(tx, condition, since, at, this.#ackDeadlineMs)));
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

async function upsertState(
  tx: Queryable,
  c: ObservedCondition,
  since: Date,
  at: Date,
): Promise<void> {
  await tx.query(
    `insert into alert_conditions (kind, subject_type, subject_id, active, since, raise_after_ms,
       clear_after_ms, branch_id, loan_id, farm_id, severity, title, evidence, evidence_key,
       observed_at)
     values ($1, $2, $3, true, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14)
     on conflict (subject_type, subject_id, kind) do update
       set active = true, since = excluded.since, raise_after_ms = excluded.raise_after_ms,
           clear_after_ms = excluded.clear_after_ms, branch_id = excluded.branch_id,
           loan_id = excluded.loan_id, farm_id = excluded.farm_id, severity = excluded.severity,
           title = excluded.title, evidence = excluded.evidence,
           evidence_key = excluded.evidence_key, observed_at = excluded.observed_at`,
    [
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
    ],
  );
}

async function deleteState(tx: Queryable, c: ObservedCondition): Promise<void> {
  await tx.query(
    'delete from alert_conditions where subject_type = $1 and subject_id = $2 and kind = $3',
    [c.subjectType, c.subjectId, c.kind],
  );
}

async function raiseAlert(
  tx: Queryable,
  c: ObservedCondition,
  since: Date,
  at: Date,
  ackDeadlineMs: number,
): Promise<AlertEventView[]> {
  const deadline = c.severity === 'critical' ? new Date(at.getTime() + ackDeadlineMs) : null;
  const { rows } = await tx.query<AlertSnapshotRow>(
    `insert into alerts (kind, subject_type, subject_id, branch_id, loan_id, farm_id, severity,
       title, evidence, evidence_key, raised_at, updated_at, ack_deadline_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $11, $12)
     on conflict (subject_type, subject_id, kind) where status <> 'resolved' do nothing
     returning ${snapshotColumns}`,
    [
      c.kind,
      c.subjectType,
      c.subjectId,
      c.context.branchId,
      c.context.loanId,
      c.context.farmId,
      c.severity,
      c.title,
      JSON.stringify(c.evidence),
      c.evidenceKey,
      at,
      deadline,
    ],
  );
  const inserted = rows[0];
  if (inserted !== undefined) {
    return [
      await insertAlertEvent(tx, toSnapshot(inserted), {
        type: 'raised',
        at,
        actorUserId: null,
        payload: {
          severity: c.severity,
          evidence: c.evidence,
          conditionSince: since.toISOString(),
        },
      }),
    ];
  }
  // Another instance raised it first: update that alert instead.
  const existing = await tx.query<OpenAlertRow>(
    `select ${snapshotColumns}, evidence_key, ack_deadline_at from alerts
      where subject_type = $1 and subject_id = $2 and kind = $3 and status <> 'resolved'
      for update`,
    [c.subjectType, c.subjectId, c.kind],
  );
  const row = existing.rows[0];
  if (row === undefined) return [];
  const event = await updateAlert(tx, row, c, at, ackDeadlineMs);
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
