/**
 * How a rendered report travels: its content type and its file name, the same for the API's
 * downloads and the batch command's files.
 */
import type { ReportFormat } from './types.ts';

export const reportFormats: readonly ReportFormat[] = ['html', 'pdf', 'csv', 'json'];

export const reportContentTypes: Readonly<Record<ReportFormat, string>> = {
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export function isReportFormat(value: string): value is ReportFormat {
  return (reportFormats as readonly string[]).includes(value);
}

/**
 * `report-<loan reference>-<from date>-<to date>.<format>`, the dates as YYYY-MM-DD (UTC). A loan
 * reference may hold characters some file systems refuse (`:`): those become `_`.
 *
 * @example
 * reportFileName('L-2024-0002', { from, to }, 'pdf') // 'report-L-2024-0002-2026-01-01-2026-04-01.pdf'
 */
export function reportFileName(
  loanReference: string,
  period: { readonly from: string | Date; readonly to: string | Date },
  format: ReportFormat,
): string {
  const day = (moment: string | Date) => new Date(moment).toISOString().slice(0, 10);
  const reference = loanReference.replace(/[^A-Za-z0-9._-]/g, '_');
  return `report-${reference}-${day(period.from)}-${day(period.to)}.${format}`;
}
