/**
 * The post-loan report over HTTP:
 *
 * - `GET /api/loans/{id}/report?from=&to=&format=`: issues a report of the loan for the period (to:
 *   default now; from: default 90 days before; at most 400 days) as HTML (inline), PDF or CSV
 *   (attachments) or JSON, with its id and content hash in `X-Report-Id` and
 *   `X-Report-Content-Hash`. Mounted under `/api/loans` before the loan resource.
 * - `GET /api/reports/{contentHash}`: who issued the report with this hash, for which loan and
 *   period, and the sha256 of its PDF when one was made; `/data` answers the stored data, so a
 *   filed copy's hash can be recomputed. Mounted under `/api/reports`.
 *
 * A loan or report of another branch is a 404, as everywhere.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { findVisible } from '../api/crud.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, errorSchema, idParamSchema } from '../api/schemas.ts';
import { canSeeBranch, type Principal } from '../auth/principal.ts';
import type { Queryable } from '../db/storage.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { loansSpec } from '../resources/loans.ts';
import { isReportFormat, reportFormats } from './report-files.ts';
import {
  DEFAULT_REPORT_PERIOD_DAYS,
  MAX_REPORT_PERIOD_DAYS,
  parseReportPeriod,
} from './report-period.ts';
import { issuedReportSchema, reportDataSchema } from './report-schemas.ts';
import { issueReport } from './report-service.ts';
import { findLoanReport, readLoanReportData } from './report-store.ts';
import type { ReportFormat } from './types.ts';

const reportQuerySchema = z.object({
  from: z
    .string()
    .optional()
    .openapi({
      description: `start, inclusive (ISO 8601 timestamp with a time zone, or a date YYYY-MM-DD); default ${DEFAULT_REPORT_PERIOD_DAYS} days before \`to\``,
      example: '2026-01-01',
    }),
  to: z
    .string()
    .optional()
    .openapi({
      description: `end, exclusive; default now. At most ${MAX_REPORT_PERIOD_DAYS} days after \`from\``,
      example: '2026-04-01',
    }),
  format: z
    .string()
    .optional()
    .openapi({ enum: [...reportFormats], description: 'default html', example: 'pdf' }),
});

const hashParamSchema = z.object({
  contentHash: z.string().openapi({
    param: { name: 'contentHash', in: 'path' },
    description: 'the content hash printed on the report (64 hex digits)',
    example: 'a3f1c2e4b5d6978812ab34cd56ef7890a3f1c2e4b5d6978812ab34cd56ef7890',
  }),
});

const reportHeaders = {
  'X-Report-Id': { schema: { type: 'string' as const }, description: 'the report’s id' },
  'X-Report-Content-Hash': {
    schema: { type: 'string' as const },
    description: 'sha256 of the report’s canonical data, as printed on it',
  },
};

export function createLoanReportRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/report',
      tags: ['reports'],
      summary: 'Issue the post-loan report of a loan for a period (HTML, PDF, CSV or JSON)',
      request: { params: idParamSchema, query: reportQuerySchema },
      responses: {
        200: {
          description:
            'the report; PDF and CSV as attachments named report-<loan>-<from>-<to>.<format>',
          headers: reportHeaders,
          content: {
            'text/html': { schema: { type: 'string' } },
            'application/pdf': { schema: { type: 'string', format: 'binary' } },
            'text/csv': { schema: { type: 'string' } },
            'application/json': { schema: reportDataSchema },
          },
        },
        ...errorResponses,
        503: {
          description: 'a PDF cannot be rendered here (no Chromium)',
          content: { 'application/json': { schema: errorSchema } },
        },
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const query = c.req.valid('query');
      // Bad input is refused before anything is read or written.
      const format = parseFormat(query.format);
      const period = parseReportPeriod(query, {
        now: new Date(),
        fields: { from: 'query.from', to: 'query.to' },
      });
      await findVisible(services.storage, loansSpec, principal, id);
      const issued = await issueReport(
        services.storage,
        {
          loanId: id,
          from: period.from,
          to: period.to,
          generatedBy: await describeCaller(services.storage, principal),
          generatedByUserId: principal.userId,
          formats: [format],
        },
        { pdfRenderer: services.pdfRenderer },
      );
      const file = issued.files[0];
      if (file === undefined) throw new Error(`report rendered no ${format}`);
      const disposition = format === 'pdf' || format === 'csv' ? 'attachment' : 'inline';
      return c.body(typeof file.body === 'string' ? file.body : new Uint8Array(file.body), 200, {
        'content-type': file.contentType,
        'content-disposition': `${disposition}; filename="${file.fileName}"`,
        'cache-control': 'private, no-store',
        'x-report-id': issued.data.reportId,
        'x-report-content-hash': issued.contentHash,
      });
    },
  );
  return app;
}

export function createReportRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{contentHash}',
      tags: ['reports'],
      summary:
        'Check an issued report by its content hash: who issued it, for which loan and period',
      request: { params: hashParamSchema },
      responses: {
        200: {
          description: 'the issued report',
          content: { 'application/json': { schema: issuedReportSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { contentHash } = c.req.valid('param');
      const report = await findVisibleReport(services.storage, c.get('principal'), contentHash);
      return c.json(
        {
          reportId: report.reportId,
          contentHash: report.contentHash,
          loanId: report.loanId,
          loanReference: report.loanReference,
          branchCode: report.branchCode,
          period: { from: report.periodFrom, to: report.periodTo },
          generatedAt: report.generatedAt,
          generatedBy: report.generatedBy,
          generatedByUserId: report.generatedByUserId,
          pdfSha256: report.pdfSha256,
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{contentHash}/data',
      tags: ['reports'],
      summary: 'The data an issued report was drawn from (its content hash can be recomputed)',
      request: { params: hashParamSchema },
      responses: {
        200: {
          description: 'the report’s data, as stored when it was issued',
          content: { 'application/json': { schema: reportDataSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { contentHash } = c.req.valid('param');
      await findVisibleReport(services.storage, c.get('principal'), contentHash);
      const data = await readLoanReportData(services.storage, contentHash);
      if (data === null) throw new NotFoundError('report', contentHash);
      return c.json(data as unknown as z.infer<typeof reportDataSchema>, 200);
    },
  );
  return app;
}

function parseFormat(text: string | undefined): ReportFormat {
  if (text === undefined) return 'html';
  if (isReportFormat(text)) return text;
  const message = `query.format ${JSON.stringify(text)} must be one of ${reportFormats.join(', ')}`;
  throw new InvalidInputError(message, { details: [{ path: 'query.format', message }] });
}

async function findVisibleReport(db: Queryable, principal: Principal, contentHash: string) {
  const report = await findLoanReport(db, contentHash);
  if (report === null || !canSeeBranch(principal, report.branchId)) {
    throw new NotFoundError('report', contentHash);
  }
  return report;
}

/** "Display Name <email>", and "(API key)" when a key, not a signed-in person, asked. */
async function describeCaller(db: Queryable, principal: Principal): Promise<string> {
  const { rows } = await db.query<{ display_name: string }>(
    'select display_name from users where id = $1',
    [principal.userId],
  );
  const name = rows[0]?.display_name ?? principal.email;
  return `${name} <${principal.email}>${principal.kind === 'api_key' ? ' (API key)' : ''}`;
}
