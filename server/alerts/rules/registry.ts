/**
 * The one registry of alert rules: each kind with its subject, its default params (every param a
 * number, units in the name), the ranges a setting may take, and the scopes it may be set for.
 * Settings (alert_rule_settings) override defaults from the widest scope to the narrowest:
 * portfolio < branch < loan < farm < herd | parcel < ear_tag.
 */
import { InvalidInputError } from '../../errors.ts';
import type { ScopeType, SubjectType } from '../types.ts';
import { batteryDefaults } from './battery-low.ts';
import { cannotVerifyDefaults } from './cannot-verify.ts';
import { coverageDefaults } from './collateral-coverage.ts';
import { cropMismatchDefaults } from './crop-mismatch.ts';
import { earlyHarvestDefaults } from './early-harvest.ts';
import { herdCountDefaults } from './herd-count-below-pledge.ts';
import { massExitDefaults } from './mass-exit.ts';
import { plantedAreaDefaults } from './planted-area-short.ts';
import { doublePledgeDefaults } from './tag-double-pledged.ts';
import { tagOutsideDefaults } from './tag-outside-geofence.ts';
import { tagSilentDefaults } from './tag-silent.ts';
import { tagsCamerasDefaults } from './tags-cameras-disagree.ts';
import { temperatureDefaults } from './temperature-out-of-range.ts';
import { vegetationLossDefaults } from './vegetation-loss.ts';

export interface RuleDefinition {
  readonly kind: string;
  readonly subjectType: SubjectType;
  readonly description: string;
  readonly defaults: Readonly<Record<string, number>>;
  /** Inclusive range of each param. */
  readonly bounds: Readonly<Record<string, readonly [number, number]>>;
  /** Scopes a setting may name (portfolio and branch always). */
  readonly scopes: readonly ScopeType[];
}

const dayMs = 86_400_000;
const durations = {
  raiseAfterMs: [0, 30 * dayMs],
  clearAfterMs: [0, 30 * dayMs],
} as const;
const herdScopes: readonly ScopeType[] = ['portfolio', 'branch', 'loan', 'farm', 'herd'];
const tagScopes: readonly ScopeType[] = [...herdScopes, 'ear_tag'];
const parcelScopes: readonly ScopeType[] = ['portfolio', 'branch', 'loan', 'farm', 'parcel'];

function rule(
  kind: string,
  subjectType: SubjectType,
  description: string,
  defaults: object,
  bounds: Record<string, readonly [number, number]>,
  scopes: readonly ScopeType[],
): RuleDefinition {
  return {
    kind,
    subjectType,
    description,
    defaults: defaults as Record<string, number>,
    bounds: { ...durations, ...bounds },
    scopes,
  };
}

export const rules: readonly RuleDefinition[] = [
  rule(
    'herd_count_below_pledge',
    'herd',
    'Fewer pledged animals counted inside the farm than pledged.',
    herdCountDefaults,
    { toleranceHeads: [0, 100_000], criticalShortfallPct: [0, 100] },
    herdScopes,
  ),
  rule(
    'tag_outside_geofence',
    'ear_tag',
    "A pledged tag's latest fix lies outside its farm's geofence.",
    tagOutsideDefaults,
    { criticalDistanceM: [0, 1_000_000] },
    tagScopes,
  ),
  rule(
    'tag_silent',
    'ear_tag',
    'A pledged tag has sent no fix for longer than its silence timeout.',
    tagSilentDefaults,
    { silenceMs: [60_000, 365 * dayMs], criticalAfterMs: [60_000, 365 * dayMs] },
    tagScopes,
  ),
  rule(
    'tags_cameras_disagree',
    'herd',
    "The farm's cameras count a different number of animals than the tags.",
    tagsCamerasDefaults,
    { toleranceHeads: [0, 100_000], tolerancePct: [0, 100] },
    herdScopes,
  ),
  rule(
    'mass_exit',
    'herd',
    'At least minAnimals animals left the farm within windowMs (theft).',
    massExitDefaults,
    { minAnimals: [2, 100_000], windowMs: [60_000, dayMs] },
    herdScopes,
  ),
  rule(
    'battery_low',
    'ear_tag',
    "A tag's battery is low.",
    batteryDefaults,
    { batteryLowPct: [0, 100], batteryCriticalPct: [0, 100] },
    tagScopes,
  ),
  rule(
    'temperature_out_of_range',
    'ear_tag',
    "An animal's temperature is outside the normal range.",
    temperatureDefaults,
    { minC: [-50, 60], maxC: [-50, 60], criticalDeltaC: [0, 50] },
    tagScopes,
  ),
  rule(
    'tag_double_pledged',
    'ear_tag',
    'A tag is pledged in two herds (on two farms, or two loans).',
    doublePledgeDefaults,
    {},
    tagScopes,
  ),
  rule(
    'crop_mismatch',
    'parcel',
    'The crop seen from the satellite is not the declared crop.',
    cropMismatchDefaults,
    { minConfidence: [0, 1], criticalConfidence: [0, 1] },
    parcelScopes,
  ),
  rule(
    'planted_area_short',
    'parcel',
    'The planted area is short of the declared area.',
    plantedAreaDefaults,
    { shortfallPct: [0, 100], criticalShortfallPct: [0, 100] },
    parcelScopes,
  ),
  rule(
    'vegetation_loss',
    'parcel',
    "The parcel's NDVI dropped from its season peak.",
    vegetationLossDefaults,
    { dropFraction: [0, 1], criticalDropFraction: [0, 1] },
    parcelScopes,
  ),
  rule(
    'early_harvest',
    'parcel',
    'The parcel was harvested well before the declared season end.',
    earlyHarvestDefaults,
    { earlyDays: [0, 365], criticalEarlyDays: [0, 365] },
    parcelScopes,
  ),
  rule(
    'cannot_verify',
    'parcel',
    'No clear satellite view of the parcel for too long.',
    cannotVerifyDefaults,
    { maxDaysWithoutClear: [1, 365], warningDaysWithoutClear: [1, 365] },
    parcelScopes,
  ),
  rule(
    'collateral_coverage_below_threshold',
    'loan',
    "The collateral's value (crops and herds) covers too little of the loan balance.",
    coverageDefaults,
    { minCoverageRatio: [0, 100], criticalCoverageRatio: [0, 100] },
    ['portfolio', 'branch', 'loan'],
  ),
];

const byKind = new Map(rules.map((r) => [r.kind, r]));

/** The rule of `kind`; throws InvalidInputError naming the known kinds. */
export function getRule(kind: string): RuleDefinition {
  const found = byKind.get(kind);
  if (found === undefined) {
    throw new InvalidInputError(
      `rule ${JSON.stringify(kind)} is not a known rule: expected one of ${[...byKind.keys()].join(', ')}`,
    );
  }
  return found;
}

/**
 * Checks a partial params object for `kind`: every key known, every value a finite number in its
 * range. Returns the params; throws InvalidInputError listing every problem.
 */
export function checkRuleParams(kind: string, params: unknown): Record<string, number> {
  const definition = getRule(kind);
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new InvalidInputError(`params of ${kind} must be an object`);
  }
  const problems: string[] = [];
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(params)) {
    const range = definition.bounds[key];
    if (range === undefined) {
      problems.push(
        `params.${key} is not a param of ${kind}: expected ${Object.keys(definition.defaults).join(', ')}`,
      );
    } else if (typeof value !== 'number' || !Number.isFinite(value)) {
      problems.push(`params.${key} ${JSON.stringify(value)} must be a number`);
    } else if (value < range[0] || value > range[1]) {
      problems.push(`params.${key} ${value} out of range [${range[0]}, ${range[1]}]`);
    } else {
      out[key] = value;
    }
  }
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '), { details: problems });
  return out;
}
