/**
 * The herd side of the alert engine.
 *
 * Event-driven, for low latency: `onCommitted(work)` (the ingest batcher's hook) takes each batch
 * of committed readings and, per pledged tag, moves the geofence tracker (hysteresis in space,
 * `geo/geofence-tracker.ts`) and checks battery and temperature against the tag's own settings.
 * Only changes go to the engine (a condition whose state, severity and material evidence are the
 * same as last time is not sent again), one engine call per batch: per reading the work is a map
 * lookup and a point-in-polygon test, never a query.
 *
 * Periodic, for what time alone changes: `sweep()` reloads the pledges, farms and settings, counts
 * each herd with `computeHerdState` (count below pledge, tags and cameras disagree, double
 * pledges), checks every pledged tag's silence against its own timeout (per device, else per herd,
 * else the default), values each loan's collateral, and lets the engine promote what became due.
 */
import {
  createGeofenceIndex,
  createGeofenceTracker,
  type GeofenceIndex,
  type GeofenceTracker,
  type MultiPolygon,
  type Polygon,
} from '../../geo/index.ts';
import type { CameraCount } from '../db/camera-counts.ts';
import type { TagReading } from '../db/tag-readings.ts';
import { errorMessage } from '../errors.ts';
import { computeHerdState, DEFAULT_FRESHNESS_MS, DEFAULT_MARGIN_M } from '../herds/index.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { evaluateLoanCoverage } from './coverage.ts';
import type { AlertEngine } from './engine.ts';
import { evaluateBattery, type BatteryParams } from './rules/battery-low.ts';
import { evaluateHerdCount, type HerdCountParams } from './rules/herd-count-below-pledge.ts';
import { evaluateMassExit, type MassExitParams } from './rules/mass-exit.ts';
import { evaluateDoublePledge, type DoublePledgeParams } from './rules/tag-double-pledged.ts';
import { evaluateTagOutside, type TagOutsideParams } from './rules/tag-outside-geofence.ts';
import { evaluateTagSilent, type TagSilentParams } from './rules/tag-silent.ts';
import { evaluateTagsCameras, type TagsCamerasParams } from './rules/tags-cameras-disagree.ts';
import { evaluateTemperature, type TemperatureParams } from './rules/temperature-out-of-range.ts';
import { ConditionLane } from './condition-lane.ts';
import { withContext } from './observe.ts';
import { loadRuleSettings, RuleSettings, type ScopeChain } from './settings.ts';
import type { Condition, DurationParams, ObservedCondition } from './types.ts';

/** One pledge of a tag: the ear_tags row and where it belongs. */
export interface Pledge {
  readonly earTagId: string;
  readonly tagCode: string;
  readonly boundAt: Date;
  readonly herdId: string;
  readonly herdCode: string;
  readonly farmId: string;
  readonly farmCode: string;
  readonly branchId: string;
  readonly loanId: string | null;
}

export interface HerdMonitorOptions {
  readonly engine: AlertEngine;
  readonly logger?: Logger;
  /** Geofence hysteresis in metres (the tracker's margin). Default 10. */
  readonly marginM?: number;
  /** Freshness window of the herd counts. Default 1 h. */
  readonly freshnessMs?: number;
}

interface Exit {
  readonly tagCode: string;
  readonly exitedAt: string;
}

export class HerdMonitor {
  readonly #engine: AlertEngine;
  readonly #logger: Logger;
  readonly #marginM: number;
  readonly #freshnessMs: number;
  readonly #settings = new RuleSettings();
  #pledgesByTag = new Map<string, Pledge[]>();
  #pledgesByHerd = new Map<string, Pledge[]>();
  #index: GeofenceIndex = createGeofenceIndex([]);
  #farmsVersion = '';
  #tracker: GeofenceTracker;
  /** What was last sent per condition key: `active|severity|evidenceKey`, or `inactive`. */
  readonly #sent = new Map<string, string>();
  /** Recent exits per herd, for mass exit (in memory: a restart forgets them). */
  readonly #exits = new Map<string, Exit[]>();
  readonly #outsideSince = new Map<string, string>();
  #pending: Promise<void> = Promise.resolve();
  /**
   * The evaluated batches' conditions on their way to the engine, in two lanes: tag-level ones
   * (a tag out of its fence, ...) never wait behind a herd-level transaction (a mass exit, whose
   * evidence lists every tag that left), and each herd-level list waits for the tag-level lists
   * before it: a herd's alert is derived from its tags'.
   */
  readonly #tagLane: ConditionLane;
  readonly #herdLane: ConditionLane;
  #loaded = false;
  /** Per pledge, what every reading of its tag needs again: emptied when settings reload. */
  #perPledge = new WeakMap<Pledge, PledgeRules>();

  constructor(options: HerdMonitorOptions) {
    this.#engine = options.engine;
    this.#logger = options.logger ?? silentLogger;
    this.#marginM = options.marginM ?? DEFAULT_MARGIN_M;
    this.#freshnessMs = options.freshnessMs ?? DEFAULT_FRESHNESS_MS;
    this.#tracker = createGeofenceTracker(this.#index, { marginM: this.#marginM });
    const apply = (conditions: ObservedCondition[]) => this.#engine.applyConditions(conditions);
    const failed = (error: unknown, conditions: readonly ObservedCondition[]) => {
      // Not applied: forget what was "sent", so the next reading offers it again.
      for (const c of conditions) this.#sent.delete(`${c.subjectType}|${c.subjectId}|${c.kind}`);
      this.#logger.error('herd monitor failed on a batch', { reason: errorMessage(error) });
    };
    this.#tagLane = new ConditionLane(apply, failed);
    this.#herdLane = new ConditionLane(apply, failed);
  }

  get settings(): RuleSettings {
    return this.#settings;
  }

  /** Loads pledges, farm boundaries and settings (again). */
  async reload(): Promise<void> {
    const db = this.#engine.storage;
    this.#settings.replace(await loadRuleSettings(db));
    this.#perPledge = new WeakMap();
    const { rows } = await db.query<{
      ear_tag_id: string;
      tag_code: string;
      bound_at: Date;
      herd_id: string;
      herd_code: string;
      farm_id: string;
      farm_code: string;
      branch_id: string;
      loan_id: string | null;
    }>(
      `select e.id as ear_tag_id, e.tag_code, e.bound_at, h.id as herd_id, h.code as herd_code,
              f.id as farm_id, f.code as farm_code, b.branch_id, h.loan_id
         from ear_tags e
         join herds h on h.id = e.herd_id
         join farms f on f.id = h.farm_id
         join borrowers b on b.id = f.borrower_id
        where e.bound_at <= now() and (e.unbound_at is null or e.unbound_at > now())`,
    );
    const byTag = new Map<string, Pledge[]>();
    for (const r of rows) {
      const list = byTag.get(r.tag_code) ?? [];
      list.push({
        earTagId: r.ear_tag_id,
        tagCode: r.tag_code,
        boundAt: r.bound_at,
        herdId: r.herd_id,
        herdCode: r.herd_code,
        farmId: r.farm_id,
        farmCode: r.farm_code,
        branchId: r.branch_id,
        loanId: r.loan_id,
      });
      byTag.set(r.tag_code, list);
    }
    this.#pledgesByTag = byTag;
    const byHerd = new Map<string, Pledge[]>();
    for (const list of byTag.values()) {
      for (const pledge of list) {
        const herdList = byHerd.get(pledge.herdId) ?? [];
        herdList.push(pledge);
        byHerd.set(pledge.herdId, herdList);
      }
    }
    this.#pledgesByHerd = byHerd;

    const version = await db.query<{ v: string | null }>(
      `select count(*)::text || '|' || coalesce(max(updated_at)::text, '') as v
         from farms where id in (select farm_id from herds)`,
    );
    const v = version.rows[0]?.v ?? '';
    if (v !== this.#farmsVersion || !this.#loaded) {
      const farms = await db.query<{ id: string; boundary: Polygon | MultiPolygon }>(
        'select id, boundary from farms where id in (select farm_id from herds)',
      );
      this.#index = createGeofenceIndex(
        farms.rows.map((f) => ({ id: f.id, boundary: f.boundary })),
      );
      // A changed fence starts every tag afresh (a first fix takes the plain answer).
      this.#tracker = createGeofenceTracker(this.#index, { marginM: this.#marginM });
      this.#farmsVersion = v;
    }
    this.#loaded = true;
  }

  /**
   * The ingest batcher's hook: evaluates the committed readings. Never throws; the work runs in
   * order, one batch after another. `drain()` waits for it (tests, bench).
   */
  onCommitted(work: {
    readonly readings: readonly TagReading[];
    readonly cameraCounts: readonly CameraCount[];
  }): void {
    if (work.readings.length === 0) return;
    this.#pending = this.#pending
      .then(() => this.#evaluateReadings(work.readings))
      .catch((error: unknown) =>
        this.#logger.error('herd monitor failed on a batch', { reason: errorMessage(error) }),
      );
  }

  /**
   * Whether any of these (not yet committed) readings may move a pledged tag across its farm's
   * geofence: a first fix outside, or a fix on the other side of the fence from the tag's state.
   * The ingest batcher's express lane asks it before queueing, so the readings that raise or clear
   * a geofence alert do not wait behind big batches. Cheap (a map lookup and a point-in-polygon
   * test per reading, no hysteresis: a fix inside the margin band is urgent too) and read-only.
   */
  isUrgent(readings: readonly TagReading[]): boolean {
    if (!this.#loaded) return false;
    for (const reading of readings) {
      const pledges = this.#pledgesByTag.get(reading.tagCode);
      if (pledges === undefined || (reading.lat === 0 && reading.lon === 0)) continue;
      for (const pledge of pledges) {
        if (!this.#index.hasFarm(pledge.farmId)) continue;
        const inside = this.#index.isInsideFarm(pledge.farmId, [reading.lon, reading.lat]);
        const state = this.#tracker.stateOf(pledge.earTagId);
        if (
          state === undefined || state.farmId !== pledge.farmId ? !inside : inside !== state.inside
        ) {
          return true;
        }
      }
    }
    return false;
  }

  /** Waits until every batch handed over so far is evaluated. */
  async drain(): Promise<void> {
    await this.#pending;
    await this.#tagLane.applied;
    await this.#herdLane.applied;
    await this.#engine.idle();
  }

  async #evaluateReadings(readings: readonly TagReading[]): Promise<void> {
    if (!this.#loaded) await this.reload();
    const conditions: ObservedCondition[] = [];
    const herdsWithExits = new Map<string, Pledge>();
    // Readings in time order per tag, so the tracker sees the path as walked.
    const sorted = [...readings].sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime());
    for (const reading of sorted) {
      const pledges = this.#pledgesByTag.get(reading.tagCode);
      if (pledges === undefined) continue;
      if (reading.lat === 0 && reading.lon === 0) continue;
      const observedAt = reading.observedAt.toISOString();
      for (const pledge of pledges) {
        const rules = this.#rulesOf(pledge);
        if (this.#index.hasFarm(pledge.farmId)) {
          const update = this.#tracker.update(pledge.earTagId, pledge.farmId, [
            reading.lon,
            reading.lat,
          ]);
          if (update.changed && !update.inside) {
            this.#outsideSince.set(pledge.earTagId, observedAt);
            const exits = this.#exits.get(pledge.herdId) ?? [];
            exits.push({
              tagCode: pledge.tagCode,
              exitedAt: observedAt,
            });
            this.#exits.set(pledge.herdId, exits);
            herdsWithExits.set(pledge.herdId, pledge);
          } else if (update.changed && update.inside) {
            this.#outsideSince.delete(pledge.earTagId);
            if (this.#exits.has(pledge.herdId)) herdsWithExits.set(pledge.herdId, pledge);
          } else if (update.firstFix && !update.inside) {
            this.#outsideSince.set(pledge.earTagId, observedAt);
          }
          // The common case, a tag inside and already known inside, says nothing new: skip it.
          const quiet =
            update.inside && !update.changed && this.#sent.get(rules.outsideKey) === 'inactive';
          if (!quiet) {
            const params = rules.tagOutside();
            this.#offer(
              conditions,
              evaluateTagOutside(
                {
                  earTagId: pledge.earTagId,
                  tagCode: pledge.tagCode,
                  herdCode: pledge.herdCode,
                  farmCode: pledge.farmCode,
                  inside: update.inside,
                  distanceM: update.distanceToFenceM,
                  lng: reading.lon,
                  lat: reading.lat,
                  observedAt,
                  outsideSince: this.#outsideSince.get(pledge.earTagId) ?? null,
                },
                params,
              ),
              pledge,
              params,
            );
          }
        }
        const batteryPct = reading.batteryPct;
        if (batteryPct !== null && batteryPct !== undefined) {
          const params = rules.battery();
          // A good battery whose alert is known inactive says nothing new (as `#offer` would find).
          const quietBattery =
            batteryPct >= params.batteryLowPct && this.#sent.get(rules.batteryKey) === 'inactive';
          if (!quietBattery) {
            this.#offer(
              conditions,
              evaluateBattery(
                {
                  earTagId: pledge.earTagId,
                  tagCode: pledge.tagCode,
                  batteryPct,
                  observedAt,
                },
                params,
              ),
              pledge,
              params,
            );
          }
        }
        const temperatureC = reading.temperatureC;
        if (temperatureC !== null && temperatureC !== undefined) {
          const params = rules.temperature();
          const quietTemperature =
            temperatureC >= params.minC &&
            temperatureC <= params.maxC &&
            this.#sent.get(rules.temperatureKey) === 'inactive';
          if (!quietTemperature) {
            this.#offer(
              conditions,
              evaluateTemperature(
                {
                  earTagId: pledge.earTagId,
                  tagCode: pledge.tagCode,
                  temperatureC,
                  observedAt,
                },
                params,
              ),
              pledge,
              params,
            );
          }
        }
      }
    }
    const herdConditions: ObservedCondition[] = [];
    for (const [herdId, pledge] of herdsWithExits) {
      const params = this.#settings.resolve<MassExitParams>('mass_exit', {
        ...chainOf(pledge),
        earTagId: null,
      });
      this.#offer(herdConditions, this.#massExit(herdId, pledge.herdCode, params), pledge, params);
    }
    this.#tagLane.push(conditions);
    this.#herdLane.push(herdConditions, this.#tagLane.applied);
  }

  /** The pledge's condition keys and rule params, resolved once per settings load. */
  #rulesOf(pledge: Pledge): PledgeRules {
    let rules = this.#perPledge.get(pledge);
    if (rules === undefined) {
      rules = pledgeRules(pledge, this.#settings);
      this.#perPledge.set(pledge, rules);
    }
    return rules;
  }

  #massExit(herdId: string, herdCode: string, params: MassExitParams): Condition {
    const exits = this.#exits.get(herdId) ?? [];
    const newest = Math.max(...exits.map((e) => Date.parse(e.exitedAt)));
    const keepMs = Math.max(params.windowMs, 24 * 60 * 60_000);
    const kept = exits.filter((e) => newest - Date.parse(e.exitedAt) <= keepMs);
    this.#exits.set(herdId, kept);
    const outsideTags = new Set<string>();
    for (const p of this.#pledgesByHerd.get(herdId) ?? []) {
      if (this.#tracker.stateOf(p.earTagId)?.inside === false) outsideTags.add(p.tagCode);
    }
    return evaluateMassExit(
      {
        herdId,
        herdCode,
        exits: kept.map((e) => ({ ...e, stillOutside: outsideTags.has(e.tagCode) })),
      },
      params,
    );
  }

  /** Adds the condition unless it says nothing new since the last one sent for its key. */
  #offer(
    out: ObservedCondition[],
    condition: Condition,
    pledge: Pledge,
    params: DurationParams,
  ): void {
    const key = `${condition.subjectType}|${condition.subjectId}|${condition.kind}`;
    // Inactive is inactive, whatever its evidence says.
    const signature = condition.active
      ? `active|${condition.severity}|${condition.evidenceKey}`
      : 'inactive';
    if (this.#sent.get(key) === signature) return;
    this.#sent.set(key, signature);
    out.push(observe(condition, pledge, params));
  }

  /**
   * The periodic pass: reload, herd counts, silence per tag, loan coverage, then promote what is
   * due. Errors of one herd are logged and the others go on.
   */
  async sweep(): Promise<void> {
    await this.reload();
    const db = this.#engine.storage;
    const now = this.#engine.now();
    const conditions: ObservedCondition[] = [];
    const herds = await db.query<{
      id: string;
      farm_id: string;
      loan_id: string | null;
      branch_id: string;
    }>(
      `select h.id, h.farm_id, h.loan_id, b.branch_id from herds h
         join farms f on f.id = h.farm_id join borrowers b on b.id = f.borrower_id
        order by h.code`,
    );
    for (const herd of herds.rows) {
      try {
        const state = await computeHerdState(db, herd.id, {
          at: now,
          freshnessMs: this.#freshnessMs,
          marginM: this.#marginM,
        });
        const context = { branchId: herd.branch_id, loanId: herd.loan_id, farmId: herd.farm_id };
        const chain: ScopeChain = { ...context, herdId: herd.id };
        const countParams = this.#settings.resolve<HerdCountParams>(
          'herd_count_below_pledge',
          chain,
        );
        conditions.push(
          withContext(
            evaluateHerdCount(
              {
                herdId: herd.id,
                herdCode: state.herdCode,
                at: state.at,
                pledgedHeadCount: state.pledgedHeadCount,
                headCount: state.headCount,
                missingTags: state.reconciliation.missing.map((m) => m.tagCode),
                outsideTags: state.reconciliation.outside.map((o) => o.tagCode),
                freshnessMs: state.freshnessMs,
              },
              countParams,
            ),
            context,
            countParams,
          ),
        );
        const cameraParams = this.#settings.resolve<TagsCamerasParams>(
          'tags_cameras_disagree',
          chain,
        );
        conditions.push(
          withContext(
            evaluateTagsCameras(
              {
                herdId: herd.id,
                herdCode: state.herdCode,
                at: state.at,
                tagHeadCount: state.headCount,
                cameras: state.cameras,
              },
              cameraParams,
            ),
            context,
            cameraParams,
          ),
        );
        const doubles = new Map(state.reconciliation.doublePledged.map((d) => [d.tagCode, d]));
        for (const pledge of this.#pledgesByHerd.get(herd.id) ?? []) {
          const d = doubles.get(pledge.tagCode);
          const params = this.#settings.resolve<DoublePledgeParams>(
            'tag_double_pledged',
            chainOf(pledge),
          );
          this.#offer(
            conditions,
            evaluateDoublePledge(
              {
                earTagId: pledge.earTagId,
                tagCode: pledge.tagCode,
                herdCode: pledge.herdCode,
                branchId: pledge.branchId,
                otherPledges: d?.otherPledges ?? [],
                reportingFarmIds: d?.reportingFarmIds ?? [],
              },
              params,
            ),
            pledge,
            params,
          );
        }
      } catch (error) {
        this.#logger.error('herd sweep failed', { herdId: herd.id, reason: errorMessage(error) });
      }
    }

    // Silence per tag: the latest valid fix of every pledged tag, against its own timeout.
    const lastSeen = await db.query<{ tag_code: string; last_at: Date | null }>(
      `select t.tag_code,
              (select max(r.observed_at) from tag_readings r
                where r.tag_code = t.tag_code and r.observed_at <= $1
                  and not (r.lat = 0 and r.lon = 0)) as last_at
         from (select distinct tag_code from ear_tags
                where bound_at <= $1 and (unbound_at is null or unbound_at > $1)) t`,
      [now],
    );
    for (const row of lastSeen.rows) {
      for (const pledge of this.#pledgesByTag.get(row.tag_code) ?? []) {
        const params = this.#settings.resolve<TagSilentParams>('tag_silent', chainOf(pledge));
        this.#offer(
          conditions,
          evaluateTagSilent(
            {
              earTagId: pledge.earTagId,
              tagCode: pledge.tagCode,
              herdCode: pledge.herdCode,
              now,
              lastSeenAt: row.last_at,
              boundAt: pledge.boundAt,
            },
            params,
          ),
          pledge,
          params,
        );
      }
    }

    try {
      // Counted by the collateral module itself, so the alert and the collateral API agree.
      conditions.push(
        ...(await evaluateLoanCoverage(db, this.#settings, now, {
          freshnessMs: this.#freshnessMs,
          marginM: this.#marginM,
        })),
      );
    } catch (error) {
      this.#logger.error('coverage sweep failed', { reason: errorMessage(error) });
    }
    await this.#engine.applyConditions(conditions);
    await this.#engine.promoteDue();
  }
}

/**
 * What the readings of one pledged tag need for its per-reading rules: the condition keys as
 * `#offer` builds them, and each rule's params, resolved on first use (a tag that never reports a
 * temperature never resolves its temperature params).
 */
interface PledgeRules {
  readonly outsideKey: string;
  readonly batteryKey: string;
  readonly temperatureKey: string;
  tagOutside(): TagOutsideParams;
  battery(): BatteryParams;
  temperature(): TemperatureParams;
}

function pledgeRules(pledge: Pledge, settings: RuleSettings): PledgeRules {
  const chain = chainOf(pledge);
  const key = (kind: string): string => `ear_tag|${pledge.earTagId}|${kind}`;
  let tagOutside: TagOutsideParams | undefined;
  let battery: BatteryParams | undefined;
  let temperature: TemperatureParams | undefined;
  return {
    outsideKey: key('tag_outside_geofence'),
    batteryKey: key('battery_low'),
    temperatureKey: key('temperature_out_of_range'),
    tagOutside: () =>
      (tagOutside ??= settings.resolve<TagOutsideParams>('tag_outside_geofence', chain)),
    battery: () => (battery ??= settings.resolve<BatteryParams>('battery_low', chain)),
    temperature: () =>
      (temperature ??= settings.resolve<TemperatureParams>('temperature_out_of_range', chain)),
  };
}

function chainOf(pledge: Pledge): ScopeChain {
  return {
    branchId: pledge.branchId,
    loanId: pledge.loanId,
    farmId: pledge.farmId,
    herdId: pledge.herdId,
    earTagId: pledge.earTagId,
  };
}

function observe(condition: Condition, pledge: Pledge, params: DurationParams): ObservedCondition {
  return withContext(
    condition,
    { branchId: pledge.branchId, loanId: pledge.loanId, farmId: pledge.farmId },
    params,
  );
}
