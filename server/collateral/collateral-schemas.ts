/**
 * OpenAPI schemas of the collateral answers, the shapes of `types.ts` (a test keeps them equal).
 */
import { z } from '@hono/zod-openapi';

const unvaluedReasonSchema = z
  .enum(['no_declared_crop', 'no_yield', 'no_price', 'no_value_per_head', 'currency_mismatch'])
  .nullable()
  .openapi({ description: 'why the item adds nothing to the value; null when valued' });

const observationSchema = z.object({
  observedAt: z.string(),
  sceneId: z.string(),
  predictedCropCode: z.number().int().nullable(),
  predictedCropName: z.string().nullable(),
  predictedConfidence: z.number().nullable(),
  plantedAreaM2: z.number().nullable(),
  modelVersion: z.string().nullable(),
});

const collateralParcelSchema = z.object({
  parcelId: z.string().uuid(),
  code: z.string(),
  farmId: z.string().uuid(),
  farmCode: z.string(),
  season: z.string(),
  areaM2: z.number(),
  declaredCropCode: z.number().int().nullable(),
  declaredCropName: z.string().nullable(),
  declaredAreaM2: z.number().nullable(),
  latestObservation: observationSchema.nullable().openapi({
    description: 'the latest observation with a planted area at or before `at`',
  }),
  status: z.string().nullable().openapi({
    description: 'satellite status when its latest scene is at or before `at`, else null',
  }),
  statusReason: z.string().nullable(),
  valuedAreaM2: z.number(),
  areaSource: z.enum(['observed', 'declared', 'parcel']),
  tonnesPerHa: z.number().nullable(),
  yieldValidFrom: z.string().nullable(),
  pricePerTonne: z.number().nullable(),
  priceCurrency: z.string().nullable(),
  priceValidFrom: z.string().nullable(),
  value: z.number().nullable().openapi({ description: 'ha x t/ha x price, in the loan currency' }),
  unvaluedReason: unvaluedReasonSchema,
});

const collateralHerdSchema = z.object({
  herdId: z.string().uuid(),
  code: z.string(),
  farmId: z.string().uuid(),
  farmCode: z.string(),
  species: z.string(),
  pledgedHeadCount: z.number().int(),
  countedHeadCount: z.number().int().openapi({
    description: 'pledged tags whose latest fix is fresh and inside the farm geofence at `at`',
  }),
  freshnessMs: z.number(),
  missingTags: z.array(z.string()).readonly(),
  valuePerHead: z.number().nullable(),
  valueCurrency: z.string().nullable(),
  valueSource: z.enum(['herd', 'portfolio']).nullable(),
  valueValidFrom: z.string().nullable(),
  value: z.number().nullable(),
  unvaluedReason: unvaluedReasonSchema,
});

export const loanCollateralSchema = z
  .object({
    loanId: z.string().uuid(),
    reference: z.string(),
    branchId: z.string().uuid(),
    borrowerId: z.string().uuid(),
    borrowerName: z.string(),
    currency: z.string(),
    balance: z.number().openapi({ description: 'the balance as of `at`' }),
    balanceAsOf: z.string().openapi({ description: 'since when the balance was that' }),
    at: z.string(),
    parcels: z.array(collateralParcelSchema).readonly(),
    herds: z.array(collateralHerdSchema).readonly(),
    cropValue: z.number(),
    herdValue: z.number(),
    totalValue: z.number(),
    coverageRatio: z
      .number()
      .nullable()
      .openapi({ description: 'totalValue / balance, 3 decimals; null when the balance is 0' }),
    unvalued: z.array(z.string()).readonly(),
  })
  .openapi('LoanCollateral');

export const coverageSeriesSchema = z
  .object({
    loanId: z.string().uuid(),
    currency: z.string(),
    from: z.string(),
    to: z.string(),
    stepMs: z.number(),
    points: z
      .array(
        z.object({
          at: z.string(),
          balance: z.number(),
          cropValue: z.number(),
          herdValue: z.number(),
          totalValue: z.number(),
          coverageRatio: z.number().nullable(),
          headCounts: z.record(z.string(), z.number().int()).readonly(),
        }),
      )
      .readonly(),
  })
  .openapi('CoverageSeries');

/** The answers as the schemas read them; `types.ts` values must be assignable (checked by tsc). */
export type LoanCollateralView = z.infer<typeof loanCollateralSchema>;
export type CoverageSeriesView = z.infer<typeof coverageSeriesSchema>;
