/**
 * `pledgewatch report`: every active loan's post-loan report of a branch, written to a folder,
 * a few loans at a time. A loan that fails does not stop the others.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Storage } from '../db/storage.ts';
import { errorMessage, InvalidInputError } from '../errors.ts';
import {
  isReportFormat,
  issueReport,
  parseReportPeriod,
  reportFormats,
  type PdfRenderer,
  type ReportFormat,
  type ReportPeriod,
} from '../report/index.ts';
import { parseCli, required } from './create-user.ts';
import { numberOption } from './number-option.ts';
import { CliUsageError } from './usage-error.ts';

export const DEFAULT_CLI_FORMATS: readonly ReportFormat[] = ['pdf', 'csv', 'json'];

export interface ReportArgs {
  readonly branchCode: string;
  readonly period: ReportPeriod;
  readonly outDir: string;
  readonly formats: readonly ReportFormat[];
  readonly concurrency: number;
}

export interface ReportRunSummary {
  readonly branch: string;
  readonly period: { readonly from: string; readonly to: string };
  readonly outDir: string;
  readonly formats: readonly ReportFormat[];
  readonly loans: number;
  readonly written: number;
  readonly failed: ReadonlyArray<{ readonly reference: string; readonly error: string }>;
  readonly files: readonly string[];
  readonly elapsedMs: number;
}

export function parseReportArgs(args: readonly string[], now = new Date()): ReportArgs {
  const { values } = parseCli(args, {
    branch: true,
    from: true,
    to: true,
    out: true,
    format: true,
    concurrency: true,
  });
  const branchCode = required(values, 'branch');
  const from = required(values, 'from');
  const to = required(values, 'to');
  let period: ReportPeriod;
  try {
    period = parseReportPeriod({ from, to }, { now, fields: { from: '--from', to: '--to' } });
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new CliUsageError(error.message, { cause: error });
    throw error;
  }
  return {
    branchCode,
    period,
    outDir: path.resolve(required(values, 'out')),
    formats: parseFormats(values.format),
    concurrency: numberOption(values.concurrency, 'concurrency', 2, {
      min: 1,
      max: 16,
      integer: true,
    }),
  };
}

function parseFormats(raw: string | undefined): readonly ReportFormat[] {
  if (raw === undefined) return DEFAULT_CLI_FORMATS;
  const names = raw.split(',').map((name) => name.trim());
  const formats: ReportFormat[] = [];
  for (const name of names) {
    if (!isReportFormat(name)) {
      throw new CliUsageError(
        `--format ${JSON.stringify(raw)}: ${JSON.stringify(name)} is not one of ${reportFormats.join(', ')}`,
      );
    }
    if (!formats.includes(name)) formats.push(name);
  }
  return formats;
}

/** "pledgewatch report (cli)" and who ran it, as the reports name their author. */
export function cliAuthor(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry for the uid (some containers): the environment is all there is.
    user = process.env['USER'] ?? process.env['LOGNAME'] ?? 'unknown';
  }
  return `pledgewatch report (cli), OS user ${user}@${os.hostname()}`;
}

/**
 * Issues and writes the reports. `progress` gets one line per loan (i/n, reference, ms, or the
 * failure). Throws CliUsageError for an unknown branch; a failing loan is in `failed`.
 */
export async function runReport(
  args: ReportArgs,
  context: {
    readonly storage: Storage;
    readonly pdfRenderer?: PdfRenderer | undefined;
    readonly progress: (line: string) => void;
    readonly generatedBy?: string;
  },
): Promise<ReportRunSummary> {
  const started = performance.now();
  const { storage } = context;
  const branch = await storage.query<{ id: string }>('select id from branches where code = $1', [
    args.branchCode,
  ]);
  const branchId = branch.rows[0]?.id;
  if (branchId === undefined) {
    const known = await storage.query<{ code: string }>('select code from branches order by code');
    throw new CliUsageError(
      `--branch ${JSON.stringify(args.branchCode)} is not a branch; known: ${
        known.rows.map((r) => r.code).join(', ') || '(none)'
      }`,
    );
  }
  const loans = (
    await storage.query<{ id: string; reference: string }>(
      `select id, reference from loans where branch_id = $1 and status = 'active'
        order by reference`,
      [branchId],
    )
  ).rows;
  await mkdir(args.outDir, { recursive: true });

  const generatedBy = context.generatedBy ?? cliAuthor();
  const files: string[] = [];
  const failed: Array<{ reference: string; error: string }> = [];
  let written = 0;
  let next = 0;
  const width = String(loans.length).length;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < loans.length; i = next++) {
      const loan = loans[i];
      if (loan === undefined) continue;
      const label = `${String(i + 1).padStart(width)}/${loans.length} ${loan.reference}`;
      const t0 = performance.now();
      try {
        const issued = await issueReport(
          storage,
          {
            loanId: loan.id,
            from: args.period.from,
            to: args.period.to,
            generatedBy,
            generatedByUserId: null,
            formats: args.formats,
          },
          { pdfRenderer: context.pdfRenderer },
        );
        for (const file of issued.files) {
          const target = path.join(args.outDir, file.fileName);
          // Written aside and renamed: a file of that name is always a whole report.
          const partial = `${target}.part`;
          await writeFile(partial, file.body);
          await rename(partial, target);
          files.push(target);
        }
        written += 1;
        context.progress(
          `${label} ${Math.round(performance.now() - t0)} ms ${issued.contentHash.slice(0, 12)}`,
        );
      } catch (error) {
        failed.push({ reference: loan.reference, error: errorMessage(error) });
        context.progress(
          `${label} FAILED after ${Math.round(performance.now() - t0)} ms: ${errorMessage(error)}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(args.concurrency, loans.length) }, worker));

  return {
    branch: args.branchCode,
    period: { from: args.period.from.toISOString(), to: args.period.to.toISOString() },
    outDir: args.outDir,
    formats: args.formats,
    loans: loans.length,
    written,
    failed,
    files: files.sort(),
    elapsedMs: Math.round(performance.now() - started),
  };
}
