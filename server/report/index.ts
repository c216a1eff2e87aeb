/**
 * The post-loan report: its data assembled from the database, issued (hashed, rendered, kept in
 * `loan_reports`) by the API and the batch command, and checked later by its content hash.
 */
export { assembleReport, seriesPointsFor } from './assemble-report.ts';
export type { AssembleReportInput } from './assemble-report.ts';
export { assembleReportSnapshot, issueReport } from './report-service.ts';
export type { IssuedReport, IssueReportRequest, RenderedReport } from './report-service.ts';
export { findLoanReport, insertLoanReport, readLoanReportData } from './report-store.ts';
export type { NewLoanReport, StoredLoanReport } from './report-store.ts';
export { createLoanReportRoutes, createReportRoutes } from './report-routes.ts';
export {
  DEFAULT_REPORT_PERIOD_DAYS,
  MAX_REPORT_PERIOD_DAYS,
  parseReportPeriod,
} from './report-period.ts';
export type { ReportPeriod } from './report-period.ts';
export {
  isReportFormat,
  reportContentTypes,
  reportFileName,
  reportFormats,
} from './report-files.ts';
export { reportContentHash, canonicalJson } from './content-hash.ts';
export { createPdfRenderer, PdfRendererUnavailableError } from './pdf-renderer.ts';
export type { PdfRenderer } from './pdf-renderer.ts';
export { REPORT_SCHEMA_VERSION } from './types.ts';
export type { ReportAlert, ReportData, ReportFormat, ReportHerd, ReportParcel } from './types.ts';
