import type { WriteContext } from '../api/crud.ts';
import { findVisible } from '../api/crud.ts';
import type { FieldProblem } from '../api/geometry-input.ts';
import { recordAudit } from '../db/audit.ts';
import type { Queryable } from '../db/storage.ts';
import { farmsSpec } from './farms.ts';
import { mapParcelFeature } from './import-mapping.ts';
import { rejected, reportOf, type ImportReport, type ImportResult } from './import-report.ts';
import { parcelFeature, parcelSelectSql } from './parcels.ts';
import {
  checkParcel,
  insertParcel,
  loadParcelFarm,
  loadParcelLookups,
  type CheckedParcel,
} from './parcels-check.ts';

/**
 * Imports a land register's parcels into one farm. Every feature is checked on its own (geometry,
 * properties, loan, crop code, duplicates in the file and on the farm); rejected features are
 * reported with their problems and nothing of them is written; accepted ones are inserted in the
 * caller's transaction, each with an audit record (action `import`). A dry run only checks.
 *
 * The farm row is locked for the transaction, so two imports into one farm run one after the other.
 * Throws NotFoundError when the caller may not see the farm.
 */
export async function importParcels(
  tx: Queryable,
  options: {
    farmId: string;
    features: readonly unknown[];
    context: Pick<WriteContext, 'principal' | 'requestId'>;
    dryRun: boolean;
  },
): Promise<ImportReport> {
  const { principal, requestId } = options.context;
  await findVisible(tx, farmsSpec, principal, options.farmId, { forUpdate: true });
  const farm = await loadParcelFarm(tx, options.farmId);
  if (farm === null) throw new Error(`farm ${options.farmId} vanished inside the transaction`);
  const lookups = await loadParcelLookups(tx, farm);
  const { rows: stored } = await tx.query<{ code: string; season: string }>(
    'select code, season from parcels where farm_id = $1',
    [farm.id],
  );
  // code + season → who holds it: the farm already, or an earlier feature of this file.
  const holders = new Map(stored.map((p) => [keyOf(p.code, p.season), null as number | null]));

  const results: ImportResult[] = [];
  const accepted: Array<{ result: ImportResult; parcel: CheckedParcel }> = [];
  options.features.forEach((feature, index) => {
    const mapped = mapParcelFeature(feature, index);
    if (!mapped.ok) {
      results.push(rejected(index, mapped.code, mapped.problems));
      return;
    }
    const checked = checkParcel(mapped.value, mapped.geometry, farm, lookups, mapped.naming);
    const problems: FieldProblem[] = checked.ok ? [] : [...checked.problems];
    const key = keyOf(mapped.code, mapped.value.season);
    if (holders.has(key)) {
      const holder = holders.get(key);
      problems.push({
        path: mapped.naming.path('code'),
        rule: 'duplicate_parcel',
        message:
          `${mapped.naming.label}: parcel ${JSON.stringify(mapped.code)} of season ${mapped.value.season} ` +
          (holder == null
            ? `already exists on farm ${JSON.stringify(farm.code)}`
            : `is also features[${holder}] of this file`),
      });
    }
    if (!checked.ok || problems.length > 0) {
      results.push(rejected(index, mapped.code, problems));
      return;
    }
    holders.set(key, index);
    const result: ImportResult = {
      index,
      code: mapped.code,
      status: 'accepted',
      problems: [],
      warnings: checked.warnings,
      fixes: [...checked.value.geometry.fixes],
    };
    results.push(result);
    accepted.push({ result, parcel: checked.value });
  });

  if (!options.dryRun && accepted.length > 0) {
    for (const { result, parcel } of accepted) {
      result.id = await insertParcel(tx, farm.id, parcel);
    }
    const { rows } = await tx.query(`${parcelSelectSql} where t.id = any($1::uuid[])`, [
      accepted.map((a) => a.result.id ?? ''),
    ]);
    for (const row of rows) {
      await recordAudit(tx, {
        principal,
        action: 'import',
        entityType: 'parcels',
        entityId: String(row['id']),
        branchId: farm.branchId,
        before: null,
        after: parcelFeature(row),
        requestId,
      });
    }
  }
  return reportOf(results, options.dryRun);
}

function keyOf(code: string, season: string): string {
  return `${code}\u0000${season}`;
}
