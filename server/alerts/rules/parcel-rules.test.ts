import { describe, expect, it } from 'vitest';
import { cannotVerifyDefaults, evaluateCannotVerify } from './cannot-verify.ts';
import { totalCollateral, valueHerd, valueParcel } from '../../collateral/valuation.ts';
import { coverageDefaults, evaluateCoverage } from './collateral-coverage.ts';
import { cropMismatchDefaults, evaluateCropMismatch } from './crop-mismatch.ts';
import { earlyHarvestDefaults, evaluateEarlyHarvest } from './early-harvest.ts';
import {
  isSameCrop,
  type ParcelDeclaration,
  type ParcelObservationSummary,
} from './parcel-summary.ts';
import { evaluatePlantedArea, plantedAreaDefaults } from './planted-area-short.ts';
import { evaluateVegetationLoss, vegetationLossDefaults } from './vegetation-loss.ts';

const DAY = 86_400_000;
const parcel: ParcelDeclaration = {
  parcelId: 'p',
  parcelCode: 'P-1',
  declaredCropCode: 1110,
  declaredAreaM2: 100_000,
  seasonStart: new Date('2026-03-01T00:00:00Z'),
  seasonEnd: new Date('2026-08-31T00:00:00Z'),
};
const summary = (overrides: Partial<ParcelObservationSummary> = {}): ParcelObservationSummary => ({
  at: new Date('2026-06-01T00:00:00Z'),
  predictedCropCode: 1110,
  predictedConfidence: 0.9,
  plantedAreaM2: 100_000,
  status: 'growing',
  harvestedAt: null,
  lastClearObservationAt: new Date('2026-05-28T00:00:00Z'),
  ndvi: { peak: null, latest: null },
  scenes: [
    {
      sceneId: 'S2A_20260528',
      observedAt: '2026-05-28T10:30:00Z',
      clearFraction: 0.98,
      ndviMean: 0.71,
    },
  ],
  ...overrides,
});

describe('crop_mismatch', () => {
  it('treats a WorldCereal ancestor or descendant as the same crop', () => {
    expect(isSameCrop(1110, 1100)).toBe(true);
    expect(isSameCrop(1100, 1110)).toBe(true);
    expect(isSameCrop(1110, 1120)).toBe(false);
    expect(isSameCrop(1110, 1500)).toBe(false);
  });
  it('needs minConfidence (inclusive) and grades another crop group as critical', () => {
    const run = (predictedCropCode: number, predictedConfidence: number) =>
      evaluateCropMismatch(
        parcel,
        summary({ predictedCropCode, predictedConfidence }),
        cropMismatchDefaults,
      );
    expect(run(1100, 0.99).active).toBe(false);
    expect(run(1500, 0.59).active).toBe(false);
    expect(run(1500, 0.6)).toMatchObject({ active: true, severity: 'warning' });
    expect(run(1500, 0.95).severity).toBe('warning');
    expect(run(2130, 0.84).severity).toBe('warning');
    expect(run(2130, 0.85)).toMatchObject({
      severity: 'critical',
      evidence: {
        declaredCropCode: 1110,
        predictedCropCode: 2130,
        scenes: [{ sceneId: 'S2A_20260528' }],
      },
    });
  });
});

describe('planted_area_short', () => {
  const run = (plantedAreaM2: number | null) =>
    evaluatePlantedArea(parcel, summary({ plantedAreaM2 }), plantedAreaDefaults);
  it('is short strictly beyond shortfallPct and critical from criticalShortfallPct', () => {
    expect(run(90_000).active).toBe(false);
    expect(run(89_999)).toMatchObject({ active: true, severity: 'warning' });
    expect(run(70_001).severity).toBe('warning');
    expect(run(70_000).severity).toBe('critical');
    expect(run(null).active).toBe(false);
  });
});

describe('vegetation_loss', () => {
  const run = (latest: number, status: ParcelObservationSummary['status'] = 'growing') =>
    evaluateVegetationLoss(
      parcel,
      summary({
        status,
        ndvi: {
          peak: { value: 0.8, observedAt: '2026-05-01T10:30:00Z', sceneId: 'A' },
          latest: { value: latest, observedAt: '2026-05-28T10:30:00Z', sceneId: 'B' },
        },
      }),
      vegetationLossDefaults,
    );
  it('is a loss from dropFraction of the peak (inclusive), critical from criticalDropFraction', () => {
    expect(run(0.53).active).toBe(false);
    expect(run(0.52)).toMatchObject({ active: true, severity: 'warning' });
    expect(run(0.32).severity).toBe('critical');
  });
  it('leaves a harvested parcel to the early-harvest rule', () => {
    expect(run(0.1, 'harvested').active).toBe(false);
  });
});

describe('early_harvest', () => {
  const run = (daysBeforeEnd: number) =>
    evaluateEarlyHarvest(
      parcel,
      summary({
        status: 'harvested',
        harvestedAt: new Date((parcel.seasonEnd?.getTime() ?? 0) - daysBeforeEnd * DAY),
      }),
      earlyHarvestDefaults,
    );
  it('is early strictly beyond earlyDays and critical from criticalEarlyDays', () => {
    expect(run(14).active).toBe(false);
    expect(run(15)).toMatchObject({ active: true, severity: 'warning' });
    expect(run(45).severity).toBe('critical');
  });
});

describe('cannot_verify', () => {
  const run = (daysSinceClear: number | null) =>
    evaluateCannotVerify(
      parcel,
      summary({
        lastClearObservationAt:
          daysSinceClear === null
            ? null
            : new Date(Date.parse('2026-06-01T00:00:00Z') - daysSinceClear * DAY),
      }),
      cannotVerifyDefaults,
    );
  it('needs more than maxDaysWithoutClear; a warning from warningDaysWithoutClear', () => {
    expect(run(30).active).toBe(false);
    expect(run(31)).toMatchObject({ active: true, severity: 'info' });
    expect(run(60).severity).toBe('warning');
  });
  it('counts a never-seen parcel from its season start', () => {
    // 2026-03-01 to 2026-06-01: 92 days.
    expect(run(null)).toMatchObject({ active: true, severity: 'warning' });
  });
});

describe('collateral_coverage_below_threshold', () => {
  // The input is valued by the collateral module's own functions, as the sweep does.
  const run = (balance: number) => {
    const setting = <T>(value: T) => ({ validFrom: '2024-01-01', value });
    const parcels = [
      {
        parcelId: 'p',
        code: 'P-1',
        valuedAreaM2: 100_000,
        areaSource: 'observed' as const,
        declaredCropCode: 1110,
        ...valueParcel({
          valuedAreaM2: 100_000,
          declaredCropCode: 1110,
          loanCurrency: 'EUR',
          yield: setting(8),
          price: setting({ pricePerTonne: 200, currency: 'EUR' }),
        }),
      },
      {
        parcelId: 'q',
        code: 'P-2',
        valuedAreaM2: 50_000,
        areaSource: 'declared' as const,
        declaredCropCode: 1500,
        ...valueParcel({
          valuedAreaM2: 50_000,
          declaredCropCode: 1500,
          loanCurrency: 'EUR',
          yield: null,
          price: setting({ pricePerTonne: 180, currency: 'EUR' }),
        }),
      },
    ];
    const herds = [
      {
        herdId: 'h',
        code: 'H-1',
        countedHeadCount: 20,
        ...valueHerd({
          countedHeadCount: 20,
          loanCurrency: 'EUR',
          herdValuePerHead: 1000,
          herdCurrency: 'EUR',
          portfolioValue: null,
        }),
      },
    ];
    return evaluateCoverage(
      {
        loanId: 'l',
        reference: 'L-1',
        currency: 'EUR',
        balance,
        parcels,
        herds,
        ...totalCollateral(parcels, herds, balance),
      },
      coverageDefaults,
    );
  };
  // Collateral: 10 ha x 8 t/ha x 200 = 16 000 of crops, 20 x 1 000 = 20 000 of cattle: 36 000.
  it('values crops and herds and compares with the balance', () => {
    expect(run(30_000).active).toBe(false); // 1.2 exactly is covered
    expect(run(30_001)).toMatchObject({
      active: true,
      severity: 'warning',
      evidence: { cropValue: 16_000, herdValue: 20_000, unvalued: ['parcel P-2'] },
    });
    expect(run(36_000).severity).toBe('warning');
    expect(run(36_001).severity).toBe('critical');
    expect(run(0).active).toBe(false);
  });
});
