/**
 * `GET /api/loans/{id}/collateral?at=` and `GET /api/loans/{id}/coverage?from=&to=&points=`: a
 * loan's collateral at a moment and its coverage over a period (rules in `valuation.ts`). Mounted
 * under `/api/loans` before the loan resource. A loan of another branch is a 404, as everywhere.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { findVisible } from '../api/crud.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses, idParamSchema } from '../api/schemas.ts';
import { InvalidInputError } from '../errors.ts';
import { loansSpec } from '../resources/loans.ts';
import {
  coverageSeriesSchema,
  loanCollateralSchema,
  type CoverageSeriesView,
  type LoanCollateralView,
} from './collateral-schemas.ts';
import { coverageSeries, DEFAULT_SERIES_POINTS, MAX_SERIES_POINTS } from './coverage-series.ts';
import { loanCollateralAt } from './loan-collateral.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Default period of a coverage series. */
export const DEFAULT_COVERAGE_DAYS = 90;
/** Longest period one series request may cover. */
export const MAX_COVERAGE_DAYS = 400;

const instant = (description: string) =>
  z.iso
    .datetime({
      offset: true,
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not an ISO 8601 timestamp with a time zone, e.g. 2026-03-01T10:00:00Z`,
    })
    .optional()
    .openapi({ description, example: '2026-06-01T00:00:00Z' });

const pointsSchema = z.coerce
  .number({ error: (issue) => `${JSON.stringify(issue.input)} is not a number` })
  .int({ error: (issue) => `${JSON.stringify(issue.input)} is not a whole number of points` })
  .min(1, {
    error: (issue) => `${String(issue.input)} out of range: must be in [1, ${MAX_SERIES_POINTS}]`,
  })
  .max(MAX_SERIES_POINTS, {
    error: (issue) => `${String(issue.input)} out of range: must be in [1, ${MAX_SERIES_POINTS}]`,
  })
  .optional()
  .openapi({
    description: `points evenly spaced from \`from\` to \`to\`, default ${DEFAULT_SERIES_POINTS}`,
  });

export function createCollateralRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/collateral',
      tags: ['loans'],
      summary: 'The loan’s pledged parcels and herds with their state and value, and the coverage',
      request: {
        params: idParamSchema,
        query: z.object({ at: instant('the moment valued (ISO 8601); default now') }),
      },
      responses: {
        200: {
          description: 'the collateral as of `at`',
          content: { 'application/json': { schema: loanCollateralSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { at } = c.req.valid('query');
      await findVisible(services.storage, loansSpec, c.get('principal'), id);
      const collateral = await loanCollateralAt(
        services.storage,
        id,
        at === undefined ? new Date() : new Date(at),
      );
      const view: LoanCollateralView = collateral;
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/coverage',
      tags: ['loans'],
      summary: 'The loan’s collateral value, balance and coverage ratio over a period',
      request: {
        params: idParamSchema,
        query: z.object({
          from: instant(`start; default ${DEFAULT_COVERAGE_DAYS} days before \`to\``),
          to: instant('end, the last point; default now'),
          points: pointsSchema,
        }),
      },
      responses: {
        200: {
          description: 'the series, oldest first',
          content: { 'application/json': { schema: coverageSeriesSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const query = c.req.valid('query');
      const to = query.to === undefined ? new Date() : new Date(query.to);
      const from =
        query.from === undefined
          ? new Date(to.getTime() - DEFAULT_COVERAGE_DAYS * DAY_MS)
          : new Date(query.from);
      if (from.getTime() >= to.getTime()) {
        throw new InvalidInputError(
          `query.from: ${from.toISOString()} must be before to ${to.toISOString()}`,
          { details: [{ path: 'query.from', message: 'must be before to' }] },
        );
      }
      if (to.getTime() - from.getTime() > MAX_COVERAGE_DAYS * DAY_MS) {
        const days = Math.ceil((to.getTime() - from.getTime()) / DAY_MS);
        throw new InvalidInputError(
          `query.from: ${from.toISOString()} to ${to.toISOString()} spans ${days} days: at most ${MAX_COVERAGE_DAYS} days at once`,
          { details: [{ path: 'query.from', message: `at most ${MAX_COVERAGE_DAYS} days` }] },
        );
      }
      await findVisible(services.storage, loansSpec, c.get('principal'), id);
      const series = await coverageSeries(services.storage, id, from, to, {
        points: query.points ?? DEFAULT_SERIES_POINTS,
      });
      const view: CoverageSeriesView = series;
      return c.json(view, 200);
    },
  );

  return app;
}
