/**
 * OpenAPI schemas of the report answers: the ReportData of `types.ts` (format=json and
 * /reports/{hash}/data) and an issued report's record (/reports/{hash}).
 */
import { z } from '@hono/zod-openapi';
// The collateral API's own schemas, so the report's coverage is documented as that API answers it.
import { coverageSeriesSchema, loanCollateralSchema } from '../collateral/index.ts';

const geometrySchema = z
  .object({ type: z.enum(['Polygon', 'MultiPolygon']), coordinates: z.array(z.unknown()) })
  .openapi({ description: 'GeoJSON, WGS84 [lng, lat]' });

const reportParcelSchema = z.object({
  id: z.string().uuid(),
  code: z.string(),
  farmCode: z.string(),
  geometry: geometrySchema,
  areaM2: z.number(),
  declaredCropCode: z.number().int().nullable(),
  declaredCropName: z.string().nullable(),
  declaredAreaM2: z.number().nullable(),
  observedCropCode: z.number().int().nullable().openapi({ description: 'as of the period’s end' }),
  observedCropName: z.string().nullable(),
  observedConfidence: z.number().nullable(),
  plantedAreaM2: z.number().nullable(),
  status: z.string().nullable(),
  statusReason: z.string().nullable(),
  ndviSeries: z
    .array(z.object({ date: z.string(), ndvi: z.number() }))
    .openapi({ description: 'clear-sky NDVI means in the period, oldest first' }),
  scenes: z.array(
    z.object({
      sceneId: z.string(),
      observedAt: z.string(),
      clearPixels: z.number().int(),
      totalPixels: z.number().int(),
      modelVersion: z.string().nullable(),
    }),
  ),
});

const reportHerdSchema = z.object({
  id: z.string().uuid(),
  code: z.string(),
  farmCode: z.string(),
  species: z.string(),
  pledgedHeadCount: z.number().int(),
  counts: z.array(z.object({ at: z.string(), headCount: z.number().int() })),
  countedAtStart: z.number().int(),
  countedAtEnd: z.number().int(),
  minCounted: z.number().int(),
  missingTagsAtEnd: z.array(z.string()),
  positions: z.array(
    z.object({
      tagCode: z.string(),
      observedAt: z.string(),
      lngLat: z.tuple([z.number(), z.number()]),
      inside: z.boolean(),
    }),
  ),
});

const reportAlertSchema = z.object({
  id: z.string().uuid(),
  kind: z.string(),
  severity: z.enum(['info', 'warning', 'critical']),
  status: z.enum(['open', 'acknowledged', 'resolved']),
  title: z.string(),
  subjectType: z.string(),
  subjectId: z.string(),
  raisedAt: z.string(),
  resolvedAt: z.string().nullable(),
  evidence: z.unknown(),
  events: z.array(
    z.object({
      at: z.string(),
      type: z.string(),
      by: z.string().nullable().openapi({ description: 'the user’s name, or system' }),
      comment: z.string().nullable(),
    }),
  ),
});

export const reportDataSchema = z
  .object({
    schemaVersion: z.literal(1),
    reportId: z.string().uuid(),
    generatedAt: z.string(),
    generatedBy: z.string(),
    period: z.object({ from: z.string(), to: z.string() }).openapi({
      description: 'from inclusive, to exclusive',
    }),
    dataRange: z
      .object({ from: z.string(), to: z.string() })
      .nullable()
      .openapi({ description: 'first and last time of the data used; null: none' }),
    modelVersions: z.array(z.string()),
    loan: z.object({
      id: z.string().uuid(),
      reference: z.string(),
      status: z.string(),
      amount: z.number(),
      currency: z.string(),
      disbursedOn: z.string().nullable(),
      maturesOn: z.string().nullable(),
      officer: z.object({ name: z.string(), email: z.string() }).nullable(),
    }),
    borrower: z.object({
      id: z.string().uuid(),
      ref: z.string(),
      name: z.string(),
      registrationNo: z.string().nullable(),
    }),
    branch: z.object({ code: z.string(), name: z.string() }),
    farms: z.array(
      z.object({
        id: z.string().uuid(),
        code: z.string(),
        name: z.string(),
        boundary: geometrySchema,
      }),
    ),
    parcels: z.array(reportParcelSchema),
    herds: z.array(reportHerdSchema),
    alerts: z.array(reportAlertSchema).openapi({ description: 'raised in the period, in order' }),
    coverage: z.object({
      atEnd: loanCollateralSchema,
      series: coverageSeriesSchema,
      thresholds: z
        .object({ minCoverageRatio: z.number(), criticalCoverageRatio: z.number() })
        .optional()
        .openapi({ description: 'the coverage alert’s ratios for this loan' }),
    }),
  })
  .openapi('ReportData');

export const issuedReportSchema = z
  .object({
    reportId: z.string().uuid(),
    contentHash: z.string().openapi({ description: 'sha256 (hex) of the report’s canonical data' }),
    loanId: z.string().uuid(),
    loanReference: z.string(),
    branchCode: z.string(),
    period: z.object({ from: z.string(), to: z.string() }),
    generatedAt: z.string(),
    generatedBy: z.string(),
    generatedByUserId: z.string().uuid().nullable(),
    pdfSha256: z
      .string()
      .nullable()
      .openapi({ description: 'sha256 (hex) of the PDF issued with it; null when none was' }),
  })
  .openapi('IssuedReport');
