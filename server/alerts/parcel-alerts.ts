/**
 * The satellite job's entry point into the alert engine. After it has stored a parcel's
 * observation, it builds a {@link ParcelObservationSummary} and calls
 * `evaluateParcelConditions(engine, parcelId, summary)`: the parcel's declared crop, area and
 * season are read here, each parcel rule runs with the parcel's settings, and the engine raises,
 * updates or clears the parcel's alerts (crop_mismatch, planted_area_short, vegetation_loss,
 * early_harvest, cannot_verify).
 */
import { NotFoundError } from '../errors.ts';
import type { AlertEngine, ApplyResult } from './engine.ts';
import { withContext } from './observe.ts';
import { evaluateCannotVerify, type CannotVerifyParams } from './rules/cannot-verify.ts';
import { evaluateCropMismatch, type CropMismatchParams } from './rules/crop-mismatch.ts';
import { evaluateEarlyHarvest, type EarlyHarvestParams } from './rules/early-harvest.ts';
import type { ParcelDeclaration, ParcelObservationSummary } from './rules/parcel-summary.ts';
import { evaluatePlantedArea, type PlantedAreaParams } from './rules/planted-area-short.ts';
import { evaluateVegetationLoss, type VegetationLossParams } from './rules/vegetation-loss.ts';
import { loadRuleSettings, RuleSettings, type ScopeChain } from './settings.ts';
import type { AlertContext, Condition, ObservedCondition } from './types.ts';

/**
 * Every parcel rule on one summary (pure): the conditions, with context and durations.
 *
 * @example parcelConditions(declaration, context, summary, new RuleSettings())
 */
export function parcelConditions(
  parcel: ParcelDeclaration,
  context: AlertContext,
  summary: ParcelObservationSummary,
  settings: RuleSettings,
): ObservedCondition[] {
  const chain: ScopeChain = { ...context, parcelId: parcel.parcelId };
  const out: ObservedCondition[] = [];
  const add = <P extends { raiseAfterMs: number; clearAfterMs: number }>(
    kind: string,
    run: (params: P) => Condition,
  ): void => {
    const params = settings.resolve<P>(kind, chain);
    out.push(withContext(run(params), context, params));
  };
  add<CropMismatchParams>('crop_mismatch', (p) => evaluateCropMismatch(parcel, summary, p));
  add<PlantedAreaParams>('planted_area_short', (p) => evaluatePlantedArea(parcel, summary, p));
  add<VegetationLossParams>('vegetation_loss', (p) => evaluateVegetationLoss(parcel, summary, p));
  add<EarlyHarvestParams>('early_harvest', (p) => evaluateEarlyHarvest(parcel, summary, p));
  add<CannotVerifyParams>('cannot_verify', (p) => evaluateCannotVerify(parcel, summary, p));
  return out;
}

/**
 * Reads the parcel and the settings, runs the parcel rules and applies their conditions. Throws
 * NotFoundError for an unknown parcel. Resolves with the alert events written (already published).
 */
export async function evaluateParcelConditions(
  engine: AlertEngine,
  parcelId: string,
  summary: ParcelObservationSummary,
  options: { readonly settings?: RuleSettings } = {},
): Promise<ApplyResult> {
  const db = engine.storage;
  const { rows } = await db.query<{
    id: string;
    code: string;
    farm_id: string;
    loan_id: string | null;
    branch_id: string;
    declared_crop_code: number | null;
    declared_area_m2: number | null;
    season_start: string | null;
    season_end: string | null;
  }>(
    `select p.id, p.code, p.farm_id, p.loan_id, b.branch_id, p.declared_crop_code,
            p.declared_area_m2, p.season_start, p.season_end
       from parcels p join farms f on f.id = p.farm_id join borrowers b on b.id = f.borrower_id
      where p.id = $1`,
    [parcelId],
  );
  const row = rows[0];
  if (row === undefined) throw new NotFoundError('parcel', parcelId);
  const settings = options.settings ?? new RuleSettings(await loadRuleSettings(db));
  const declaration: ParcelDeclaration = {
    parcelId: row.id,
    parcelCode: row.code,
    declaredCropCode: row.declared_crop_code === null ? null : Number(row.declared_crop_code),
    declaredAreaM2: row.declared_area_m2 === null ? null : Number(row.declared_area_m2),
    seasonStart: row.season_start === null ? null : new Date(`${row.season_start}T00:00:00Z`),
    seasonEnd: row.season_end === null ? null : new Date(`${row.season_end}T00:00:00Z`),
  };
  const context: AlertContext = {
    branchId: row.branch_id,
    loanId: row.loan_id,
    farmId: row.farm_id,
  };
  return engine.applyConditions(parcelConditions(declaration, context, summary, settings));
}
