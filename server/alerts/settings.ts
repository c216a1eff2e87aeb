/**
 * Rule settings: the defaults of the registry overridden by `alert_rule_settings`, from the widest
 * scope to the narrowest (portfolio < branch < loan < farm < herd | parcel < ear_tag). Loaded once
 * into memory and reloaded when a setting changes, so resolving params per reading costs no query.
 */
import type { Queryable } from '../db/storage.ts';
import { getRule } from './rules/registry.ts';
import type { ScopeType } from './types.ts';

/** The subject's place in the portfolio: every scope a setting could name. */
export interface ScopeChain {
  readonly branchId?: string | null;
  readonly loanId?: string | null;
  readonly farmId?: string | null;
  readonly herdId?: string | null;
  readonly parcelId?: string | null;
  readonly earTagId?: string | null;
}

export interface RuleSettingRow {
  readonly rule: string;
  readonly scopeType: ScopeType;
  readonly scopeId: string | null;
  readonly params: Readonly<Record<string, unknown>>;
}

const order: ReadonlyArray<[ScopeType, keyof ScopeChain | null]> = [
  ['portfolio', null],
  ['branch', 'branchId'],
  ['loan', 'loanId'],
  ['farm', 'farmId'],
  ['herd', 'herdId'],
  ['parcel', 'parcelId'],
  ['ear_tag', 'earTagId'],
];

export class RuleSettings {
  #byKey = new Map<string, Readonly<Record<string, unknown>>>();

  constructor(rows: readonly RuleSettingRow[] = []) {
    this.replace(rows);
  }

  replace(rows: readonly RuleSettingRow[]): void {
    const next = new Map<string, Readonly<Record<string, unknown>>>();
    for (const row of rows)
      next.set(`${row.rule}|${row.scopeType}|${row.scopeId ?? ''}`, row.params);
    this.#byKey = next;
  }

  /**
   * The params of `kind` for a subject: the rule's defaults, then each setting on its chain from
   * the widest scope to the narrowest. Non-numeric values in stored params are ignored.
   *
   * @example settings.resolve('tag_silent', { herdId, earTagId }).silenceMs
   */
  resolve<P extends object>(kind: string, chain: ScopeChain): P {
    const params: Record<string, number> = { ...getRule(kind).defaults };
    for (const [scopeType, field] of order) {
      const id = field === null ? '' : chain[field];
      if (id === undefined || id === null) continue;
      const found = this.#byKey.get(`${kind}|${scopeType}|${id}`);
      if (found === undefined) continue;
      for (const [k, v] of Object.entries(found)) {
        if (k in params && typeof v === 'number' && Number.isFinite(v)) params[k] = v;
      }
    }
    return params as P;
  }
}

/** Reads every rule setting. */
export async function loadRuleSettings(db: Queryable): Promise<RuleSettingRow[]> {
  const { rows } = await db.query<{
    rule: string;
    scope_type: ScopeType;
    scope_id: string | null;
    params: Record<string, unknown>;
  }>('select rule, scope_type, scope_id, params from alert_rule_settings');
  return rows.map((r) => ({
    rule: r.rule,
    scopeType: r.scope_type,
    scopeId: r.scope_id,
    params: r.params,
  }));
}
