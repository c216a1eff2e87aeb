import type { WriteContext } from '../api/crud.ts';
import { checkGeometry, type FieldProblem } from '../api/geometry-input.ts';
import { canSeeBranch } from '../auth/principal.ts';
import { recordAudit } from '../db/audit.ts';
import type { Queryable } from '../db/storage.ts';
import { farmFeature, farmSelectSql, insertFarm, type FarmDraft } from './farms.ts';
import { mapFarmFeature, type FarmImportField } from './import-mapping.ts';
import { rejected, reportOf, type ImportReport, type ImportResult } from './import-report.ts';

interface Borrower {
  readonly id: string;
  readonly ref: string;
  readonly branchId: string;
}

/**
 * Imports farms from a FeatureCollection (`code`, `name`, `borrower_id` or `borrower_ref`, the
 * boundary as geometry). The borrower must be one the caller can see: any other is "not found",
 * whether it exists in another branch or not at all. Farm codes are unique across the bank, so a
 * code already taken (anywhere) or repeated in the file rejects the feature. Accepted farms are
 * written in the caller's transaction with an audit record each (action `import`).
 */
export async function importFarms(
  tx: Queryable,
  options: {
    features: readonly unknown[];
    context: Pick<WriteContext, 'principal' | 'requestId'>;
    dryRun: boolean;
  },
): Promise<ImportReport> {
  const { principal, requestId } = options.context;
  const mapped = options.features.map((feature, index) => mapFarmFeature(feature, index));
  const drafts = mapped.flatMap((m) => (m.ok ? [m.value] : []));

  const { rows: borrowerRows } = await tx.query<{ id: string; ref: string; branch_id: string }>(
    'select id, ref, branch_id from borrowers where id = any($1::uuid[]) or ref = any($2::text[])',
    [
      drafts.flatMap((d) => (d.borrowerId === null ? [] : [d.borrowerId])),
      drafts.flatMap((d) => (d.borrowerRef === null ? [] : [d.borrowerRef])),
    ],
  );
  const visible = borrowerRows
    .filter((b) => canSeeBranch(principal, b.branch_id))
    .map((b): Borrower => ({ id: b.id, ref: b.ref, branchId: b.branch_id }));
  const byId = new Map(visible.map((b) => [b.id, b]));
  const byRef = new Map(visible.map((b) => [b.ref, b]));
  const { rows: taken } = await tx.query<{ code: string }>(
    'select code from farms where code = any($1::text[])',
    [drafts.map((d) => d.code)],
  );
  // code → who holds it: an existing farm, or an earlier feature of this file.
  const holders = new Map(taken.map((f) => [f.code, null as number | null]));

  const results: ImportResult[] = [];
  const accepted: Array<{ result: ImportResult; farm: FarmDraft; branchId: string }> = [];
  for (const m of mapped) {
    if (!m.ok) {
      results.push(rejected(m.index, m.code, m.problems));
      continue;
    }
    const { value: draft, naming } = m;
    const problems: FieldProblem[] = [];
    const report = (field: FarmImportField, rule: string, text: string): void => {
      problems.push({ path: naming.path(field), rule, message: `${naming.label}: ${text}` });
    };

    const borrower = resolveBorrower(draft, byId, byRef, report);
    const boundary = checkGeometry(m.geometry, {
      label: naming.label,
      path: naming.path('geometry'),
    });
    if (!boundary.ok) problems.push(...boundary.problems);
    if (holders.has(draft.code)) {
      const holder = holders.get(draft.code);
      report(
        'code',
        'duplicate_farm',
        holder == null
          ? `farm code ${JSON.stringify(draft.code)} is already taken`
          : `farm code ${JSON.stringify(draft.code)} is also features[${holder}] of this file`,
      );
    }
    if (problems.length > 0 || borrower === null || !boundary.ok) {
      results.push(rejected(m.index, m.code, problems));
      continue;
    }
    holders.set(draft.code, m.index);
    const result: ImportResult = {
      index: m.index,
      code: draft.code,
      status: 'accepted',
      problems: [],
      warnings: [],
      fixes: [...boundary.value.fixes],
    };
    results.push(result);
    accepted.push({
      result,
      branchId: borrower.branchId,
      farm: {
        borrowerId: borrower.id,
        code: draft.code,
        name: draft.name,
        boundary: boundary.value,
      },
    });
  }

  if (!options.dryRun && accepted.length > 0) {
    for (const a of accepted) a.result.id = await insertFarm(tx, a.farm);
    const { rows } = await tx.query(`${farmSelectSql} where t.id = any($1::uuid[])`, [
      accepted.map((a) => a.result.id ?? ''),
    ]);
    for (const row of rows) {
      await recordAudit(tx, {
        principal,
        action: 'import',
        entityType: 'farms',
        entityId: String(row['id']),
        branchId: String(row['branch_id']),
        before: null,
        after: farmFeature(row),
        requestId,
      });
    }
  }
  return reportOf(results, options.dryRun);
}

function resolveBorrower(
  draft: { borrowerId: string | null; borrowerRef: string | null },
  byId: ReadonlyMap<string, Borrower>,
  byRef: ReadonlyMap<string, Borrower>,
  report: (field: FarmImportField, rule: string, text: string) => void,
): Borrower | null {
  const fromId = draft.borrowerId === null ? null : (byId.get(draft.borrowerId) ?? null);
  const fromRef = draft.borrowerRef === null ? null : (byRef.get(draft.borrowerRef) ?? null);
  if (draft.borrowerId !== null && fromId === null) {
    report(
      'borrower_id',
      'unknown_borrower',
      `properties.borrower_id ${draft.borrowerId} not found`,
    );
  }
  if (draft.borrowerRef !== null && fromRef === null) {
    report(
      'borrower_ref',
      'unknown_borrower',
      `properties.borrower_ref ${JSON.stringify(draft.borrowerRef)} not found`,
    );
  }
  if (fromId !== null && fromRef !== null && fromId.id !== fromRef.id) {
    report(
      'borrower_ref',
      'borrower_mismatch',
      `properties.borrower_ref ${JSON.stringify(draft.borrowerRef)} is not borrower ${fromId.id} of properties.borrower_id`,
    );
    return null;
  }
  return fromId ?? fromRef;
}
