/**
 * `loan_reports`: every issued report with the data it was drawn from, found again by its
 * content hash, so a filed copy can be checked (who generated it, for which loan and period) and
 * its hash recomputed from the stored data.
 */
import type { Queryable } from '../db/storage.ts';
import type { ReportData } from './types.ts';

export interface NewLoanReport {
  readonly data: ReportData;
  readonly contentHash: string;
  readonly branchId: string;
  readonly generatedByUserId: string | null;
  /** sha256 (hex) of the PDF when one was rendered. */
  readonly pdfSha256: string | null;
}

export interface StoredLoanReport {
  readonly reportId: string;
  readonly contentHash: string;
  readonly loanId: string;
  readonly loanReference: string;
  readonly branchId: string;
  readonly branchCode: string;
  readonly periodFrom: string;
  readonly periodTo: string;
  readonly generatedAt: string;
  readonly generatedBy: string;
  readonly generatedByUserId: string | null;
  readonly pdfSha256: string | null;
}

export async function insertLoanReport(db: Queryable, report: NewLoanReport): Promise<void> {
  const { data } = report;
  await db.query(
    `insert into loan_reports (id, loan_id, branch_id, period_from, period_to, generated_at,
                               generated_by, generated_by_user_id, content_hash, data, pdf_sha256)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
    [
      data.reportId,
      data.loan.id,
      report.branchId,
      new Date(data.period.from),
      new Date(data.period.to),
      new Date(data.generatedAt),
      data.generatedBy,
      report.generatedByUserId,
      report.contentHash,
      JSON.stringify(data),
      report.pdfSha256,
    ],
  );
}

interface ReportRow {
  id: string;
  content_hash: string;
  loan_id: string;
  loan_reference: string;
  branch_id: string;
  branch_code: string;
  period_from: Date;
  period_to: Date;
  generated_at: Date;
  generated_by: string;
  generated_by_user_id: string | null;
  pdf_sha256: string | null;
}

/** The issued report with this content hash; null when there is none. */
export async function findLoanReport(
  db: Queryable,
  contentHash: string,
): Promise<StoredLoanReport | null> {
  const { rows } = await db.query<ReportRow>(
    `select r.id, r.content_hash, r.loan_id, l.reference as loan_reference, r.branch_id,
            b.code as branch_code, r.period_from, r.period_to, r.generated_at, r.generated_by,
            r.generated_by_user_id, r.pdf_sha256
       from loan_reports r
       join loans l on l.id = r.loan_id
       join branches b on b.id = r.branch_id
      where r.content_hash = $1`,
    [contentHash],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    reportId: row.id,
    contentHash: row.content_hash,
    loanId: row.loan_id,
    loanReference: row.loan_reference,
    branchId: row.branch_id,
    branchCode: row.branch_code,
    periodFrom: row.period_from.toISOString(),
    periodTo: row.period_to.toISOString(),
    generatedAt: row.generated_at.toISOString(),
    generatedBy: row.generated_by,
    generatedByUserId: row.generated_by_user_id,
    pdfSha256: row.pdf_sha256,
  };
}

/** The stored data of the report with this content hash; null when there is none. */
export async function readLoanReportData(
  db: Queryable,
  contentHash: string,
): Promise<ReportData | null> {
  const { rows } = await db.query<{ data: ReportData }>(
    'select data from loan_reports where content_hash = $1',
    [contentHash],
  );
  return rows[0]?.data ?? null;
}
