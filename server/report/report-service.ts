/**
 * Issuing a report: assemble the data (one consistent snapshot of the database), hash it, render
 * the formats asked for, and keep the issued report in `loan_reports`. The API and the batch
 * command both issue through here, so every report they hand out can be checked by its hash.
 */
import { createHash } from 'node:crypto';
import type { Queryable, Storage } from '../db/storage.ts';
import { NotFoundError } from '../errors.ts';
import { assembleReport, type AssembleReportInput } from './assemble-report.ts';
import { reportContentHash } from './content-hash.ts';
import { PdfRendererUnavailableError, type PdfRenderer } from './pdf-renderer.ts';
import { renderReportCsv } from './render-csv.ts';
import { renderReportHtml } from './render-html.ts';
import { reportContentTypes, reportFileName } from './report-files.ts';
import { insertLoanReport } from './report-store.ts';
import type { ReportData, ReportFormat } from './types.ts';

export interface IssueReportRequest {
  readonly loanId: string;
  readonly from: Date;
  readonly to: Date;
  /** "display name <email>" of the user, or the command line of a batch run. */
  readonly generatedBy: string;
  readonly generatedByUserId: string | null;
  /** At least one; each is rendered once. */
  readonly formats: readonly ReportFormat[];
  /** The moment of generation; default now. */
  readonly now?: Date;
}

export interface RenderedReport {
  readonly format: ReportFormat;
  readonly body: string | Buffer;
  readonly contentType: string;
  readonly fileName: string;
}

export interface IssuedReport {
  readonly data: ReportData;
  readonly contentHash: string;
  readonly files: readonly RenderedReport[];
}

/**
 * Issues one report of a loan. The report is stored only once every format rendered: a report
 * that reached nobody is not "issued". Rejects with NotFoundError for an unknown loan and
 * PdfRendererUnavailableError (a 503) when a PDF is asked for and cannot be made.
 */
export async function issueReport(
  storage: Storage,
  request: IssueReportRequest,
  options: { readonly pdfRenderer?: PdfRenderer | undefined } = {},
): Promise<IssuedReport> {
  const pdfRenderer = options.pdfRenderer;
  // Before anything is read: a PDF that cannot be made is refused at once.
  if (request.formats.includes('pdf') && pdfRenderer === undefined) throw noPdfRenderer();
  const { data, branchId } = await assembleReportSnapshot(storage, {
    loanId: request.loanId,
    from: request.from,
    to: request.to,
    generatedBy: request.generatedBy,
    now: request.now ?? new Date(),
  });
  const contentHash = reportContentHash(data);

  const files: RenderedReport[] = [];
  let html: string | null = null;
  let pdfSha256: string | null = null;
  const htmlOf = () => (html ??= renderReportHtml(data, { contentHash }));
  for (const format of new Set(request.formats)) {
    let body: string | Buffer;
    if (format === 'html') body = htmlOf();
    else if (format === 'csv') body = renderReportCsv(data, { contentHash });
    else if (format === 'json') body = `${JSON.stringify(data, null, 2)}\n`;
    else {
      if (pdfRenderer === undefined) throw noPdfRenderer();
      body = await pdfRenderer.render(htmlOf());
      pdfSha256 = createHash('sha256').update(body).digest('hex');
    }
    files.push({
      format,
      body,
      contentType: reportContentTypes[format],
      fileName: reportFileName(data.loan.reference, data.period, format),
    });
  }

  await insertLoanReport(storage, {
    data,
    contentHash,
    branchId,
    generatedByUserId: request.generatedByUserId,
    pdfSha256,
  });
  return { data, contentHash, files };
}

/**
 * The report's data read in one repeatable-read transaction: every query of the assembly sees the
 * same moment, so readings arriving meanwhile do not make the counts disagree with the positions.
 * With the loan's branch, which the issued report is kept under.
 */
export async function assembleReportSnapshot(
  storage: Storage,
  input: AssembleReportInput,
): Promise<{ data: ReportData; branchId: string }> {
  return storage.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read');
    const branchId = await branchOfLoan(tx, input.loanId);
    return { data: await assembleReport(tx, input), branchId };
  });
}

async function branchOfLoan(db: Queryable, loanId: string): Promise<string> {
  const { rows } = await db.query<{ branch_id: string }>(
    'select branch_id from loans where id = $1',
    [loanId],
  );
  const branchId = rows[0]?.branch_id;
  if (branchId === undefined) throw new NotFoundError('loan', loanId);
  return branchId;
}

function noPdfRenderer(): PdfRendererUnavailableError {
  return new PdfRendererUnavailableError('this service has no PDF renderer');
}
