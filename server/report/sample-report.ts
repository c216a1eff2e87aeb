/**
 * A realistic post-loan report built in memory (no database), for the renderers' tests and for
 * other tests that need a ReportData: one farm near Kortrijk with three parcels (winter wheat
 * verified, maize seen as grass: a mismatch, sugar beet under clouds: cannot verify) and a dairy
 * herd whose count falls from 40 to 34 with 6 tags missing, the three alerts that raised and how
 * the bank handled them, and the coverage over the second quarter of 2026. Its figures add up the
 * way the collateral valuation computes them (area in ha x yield x price; head x value per head).
 */
import type { LngLat, Polygon } from '../../geo/index.ts';
import type {
  CollateralHerd,
  CollateralParcel,
  CoveragePoint,
  LoanCollateral,
} from '../collateral/types.ts';
import {
  REPORT_SCHEMA_VERSION,
  type ReportAlert,
  type ReportData,
  type ReportHerd,
  type ReportParcel,
} from './types.ts';

const dayMs = 86_400_000;
const periodFrom = '2026-04-01T00:00:00.000Z';
const periodTo = '2026-07-01T00:00:00.000Z';
const stepMs = 7 * dayMs;
const currency = 'EUR';
const modelVersion = 'crop-type@sha256:3f9a1c0b7e42d6a8';

const ids = {
  loan: '5b0c7a52-2f7e-4c8a-9d51-1f3e0b6a7c01',
  borrower: '0e6f3d2a-8b4c-4f1e-a2d7-6c9b5e8f0a02',
  branch: '7c1d9e4b-3a6f-4b2c-8e5d-0f1a2b3c4d03',
  farm: 'a4e2c8f6-1b3d-4e5f-9a7b-2c4d6e8f0a04',
  herd: 'c9d8e7f6-a5b4-4c3d-8e2f-1a0b9c8d7e05',
  parcels: [
    'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a06',
    'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a07',
    'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a08',
  ],
  alerts: [
    'd0c1b2a3-9485-4766-a7b8-c9d0e1f2a309',
    'd0c1b2a3-9485-4766-a7b8-c9d0e1f2a310',
    'd0c1b2a3-9485-4766-a7b8-c9d0e1f2a311',
  ],
} as const;

/** The farm's south-west corner; shapes below are drawn in metres east and north of it. */
const origin: LngLat = [3.26, 50.827];
const metresPerDegreeLat = 111_250;
const metresPerDegreeLng = 111_320 * Math.cos((origin[1] * Math.PI) / 180);

function toLngLat(eastM: number, northM: number): LngLat {
  return [
    Math.round((origin[0] + eastM / metresPerDegreeLng) * 1e7) / 1e7,
    Math.round((origin[1] + northM / metresPerDegreeLat) * 1e7) / 1e7,
  ];
}

function ringOf(cornersM: ReadonlyArray<readonly [number, number]>): Polygon {
  const ring = cornersM.map(([e, n]) => toLngLat(e, n));
  const first = ring[0];
  if (first === undefined) throw new Error('a ring needs corners');
  return { type: 'Polygon', coordinates: [[...ring, first]] };
}

function rectangle(west: number, south: number, east: number, north: number): Polygon {
  return ringOf([
    [west, south],
    [east, south],
    [east, north],
    [west, north],
  ]);
}

interface ParcelPlan {
  readonly code: string;
  readonly box: readonly [west: number, south: number, east: number, north: number];
  readonly declaredCropCode: number;
  readonly declaredCropName: string;
  readonly declaredAreaM2: number;
  readonly tonnesPerHa: number;
  readonly pricePerTonne: number;
  readonly status: string;
  readonly statusReason: string;
  /** Clear scenes: date, NDVI, and from which date on the classifier gave a planted area. */
  readonly clearScenes: ReadonlyArray<{ readonly date: string; readonly ndvi: number }>;
  readonly cloudyScenes: readonly string[];
  readonly observed: {
    readonly fromDate: string;
    readonly cropCode: number;
    readonly cropName: string;
    readonly confidence: number;
    readonly plantedAreaM2: number;
  } | null;
}

const parcelPlans: readonly ParcelPlan[] = [
  {
    code: 'P-KRT-17-1',
    box: [20, 20, 400, 330],
    declaredCropCode: 1110,
    declaredCropName: 'Winter wheat',
    declaredAreaM2: 115_000,
    tonnesPerHa: 8.5,
    pricePerTonne: 210,
    status: 'verified',
    statusReason:
      'Winter wheat seen on 2026-06-27 (confidence 0.94); planted 97.4 % of the declared area',
    clearScenes: [
      { date: '2026-04-03', ndvi: 0.52 },
      { date: '2026-04-13', ndvi: 0.61 },
      { date: '2026-04-23', ndvi: 0.7 },
      { date: '2026-05-08', ndvi: 0.78 },
      { date: '2026-05-18', ndvi: 0.81 },
      { date: '2026-06-02', ndvi: 0.79 },
      { date: '2026-06-12', ndvi: 0.71 },
      { date: '2026-06-27', ndvi: 0.58 },
    ],
    cloudyScenes: ['2026-05-28'],
    observed: {
      fromDate: '2026-04-13',
      cropCode: 1110,
      cropName: 'Winter wheat',
      confidence: 0.94,
      plantedAreaM2: 112_000,
    },
  },
  {
    code: 'P-KRT-17-2',
    box: [20, 360, 420, 690],
    declaredCropCode: 1200,
    declaredCropName: 'Maize',
    declaredAreaM2: 130_000,
    tonnesPerHa: 11,
    pricePerTonne: 185,
    status: 'mismatch',
    statusReason:
      'Seen as Permanent grass crops (confidence 0.91) on 2026-06-27; declared Maize, not sown by mid-June',
    clearScenes: [
      { date: '2026-04-03', ndvi: 0.68 },
      { date: '2026-04-23', ndvi: 0.72 },
      { date: '2026-05-18', ndvi: 0.77 },
      { date: '2026-06-02', ndvi: 0.74 },
      { date: '2026-06-12', ndvi: 0.76 },
      { date: '2026-06-27', ndvi: 0.73 },
    ],
    cloudyScenes: ['2026-04-13', '2026-05-08', '2026-05-28'],
    observed: {
      fromDate: '2026-05-18',
      cropCode: 9120,
      cropName: 'Permanent grass crops',
      confidence: 0.91,
      plantedAreaM2: 126_500,
    },
  },
  {
    code: 'P-KRT-17-3',
    box: [440, 20, 700, 380],
    declaredCropCode: 8100,
    declaredCropName: 'Sugar beet',
    declaredAreaM2: 90_000,
    tonnesPerHa: 75,
    pricePerTonne: 40,
    status: 'cannot_verify',
    statusReason:
      'No clear view of the parcel since 2026-04-03 (89 days): cloud over every later scene',
    clearScenes: [{ date: '2026-04-03', ndvi: 0.21 }],
    cloudyScenes: ['2026-04-23', '2026-05-18', '2026-06-02', '2026-06-12', '2026-06-27'],
    observed: null,
  },
];

const sceneIdOf = (date: string): string => `S2B_31UES_${date.replaceAll('-', '')}_0_L2A`;
const sceneTime = (date: string): string => `${date}T10:56:19.024Z`;

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Area valued at `at` and where it comes from: the observed planted area once there is one. */
function valuedAreaAt(plan: ParcelPlan, at: string): { areaM2: number; observed: boolean } {
  const observedNow = plan.observed !== null && sceneTime(plan.observed.fromDate) <= at;
  return observedNow && plan.observed !== null
    ? { areaM2: plan.observed.plantedAreaM2, observed: true }
    : { areaM2: plan.declaredAreaM2, observed: false };
}

function parcelValueAt(plan: ParcelPlan, at: string): number {
  const areaHa = Math.round(valuedAreaAt(plan, at).areaM2) / 10_000;
  return round2(areaHa * plan.tonnesPerHa * plan.pricePerTonne);
}

const pledgedHeadCount = 40;
const valuePerHead = 1500;
const allTags = Array.from(
  { length: pledgedHeadCount },
  (_, i) => `05600017400${String(1001 + i)}`,
);
/** Gone in the night of 27 May (the mass exit), then two more silent in June. */
const exitedTags = [allTags[30], allTags[33], allTags[36], allTags[37]] as string[];
const silentTags = [allTags[39], allTags[34]] as string[];
const missingTags = [...exitedTags, ...silentTags].sort();

/** Counted head at each weekly point of the period (40 until the exit, 34 at the end). */
function headCountAt(at: string): number {
  if (at < '2026-05-28') return 40;
  if (at < '2026-06-08') return 36;
  if (at < '2026-06-15') return 35;
  return 34;
}

/** The balance: 105 000 until the repayment on 1 June. */
function balanceAt(at: string): { balance: number; asOf: string } {
  return at >= '2026-06-01T00:00:00.000Z'
    ? { balance: 98_000, asOf: '2026-06-01T00:00:00.000Z' }
    : { balance: 105_000, asOf: '2026-01-15T00:00:00.000Z' };
}

function coveragePoints(): CoveragePoint[] {
  const points: CoveragePoint[] = [];
  for (let t = Date.parse(periodFrom); t <= Date.parse(periodTo); t += stepMs) {
    const at = new Date(t).toISOString();
    const cropValue = round2(parcelPlans.reduce((sum, p) => sum + parcelValueAt(p, at), 0));
    const headCount = headCountAt(at);
    const herdValue = round2(headCount * valuePerHead);
    const totalValue = round2(cropValue + herdValue);
    const { balance } = balanceAt(at);
    points.push({
      at,
      balance,
      cropValue,
      herdValue,
      totalValue,
      coverageRatio: round3(totalValue / balance),
      headCounts: { [ids.herd]: headCount },
    });
  }
  return points;
}

function collateralParcel(plan: ParcelPlan, index: number): CollateralParcel {
  const valued = valuedAreaAt(plan, periodTo);
  const latestClear = plan.clearScenes[plan.clearScenes.length - 1];
  return {
    parcelId: ids.parcels[index] ?? '',
    code: plan.code,
    farmId: ids.farm,
    farmCode: 'F-KRT-17',
    season: '2026',
    areaM2: boxAreaM2(plan.box),
    declaredCropCode: plan.declaredCropCode,
    declaredCropName: plan.declaredCropName,
    declaredAreaM2: plan.declaredAreaM2,
    latestObservation:
      plan.observed === null || latestClear === undefined
        ? null
        : {
            observedAt: sceneTime(latestClear.date),
            sceneId: sceneIdOf(latestClear.date),
            predictedCropCode: plan.observed.cropCode,
            predictedCropName: plan.observed.cropName,
            predictedConfidence: plan.observed.confidence,
            plantedAreaM2: plan.observed.plantedAreaM2,
            modelVersion,
          },
    status: plan.status,
    statusReason: plan.statusReason,
    valuedAreaM2: valued.areaM2,
    areaSource: valued.observed ? 'observed' : 'declared',
    tonnesPerHa: plan.tonnesPerHa,
    yieldValidFrom: '2026-01-01',
    pricePerTonne: plan.pricePerTonne,
    priceCurrency: currency,
    priceValidFrom: '2026-03-01',
    value: parcelValueAt(plan, periodTo),
    unvaluedReason: null,
  };
}

function boxAreaM2(box: ParcelPlan['box']): number {
  return (box[2] - box[0]) * (box[3] - box[1]);
}

function reportParcel(plan: ParcelPlan, index: number): ReportParcel {
  const scenes = [
    ...plan.clearScenes.map((s) => ({ date: s.date, clear: 1 })),
    ...plan.cloudyScenes.map((date, i) => ({
      date,
      clear: [0.04, 0.12, 0.0, 0.07, 0.02][i % 5] ?? 0,
    })),
  ].sort((a, b) => a.date.localeCompare(b.date));
  const totalPixels = Math.round(boxAreaM2(plan.box) / 100);
  return {
    id: ids.parcels[index] ?? '',
    code: plan.code,
    farmCode: 'F-KRT-17',
    geometry: rectangle(...plan.box),
    areaM2: boxAreaM2(plan.box),
    declaredCropCode: plan.declaredCropCode,
    declaredCropName: plan.declaredCropName,
    declaredAreaM2: plan.declaredAreaM2,
    observedCropCode: plan.observed?.cropCode ?? null,
    observedCropName: plan.observed?.cropName ?? null,
    observedConfidence: plan.observed?.confidence ?? null,
    plantedAreaM2: plan.observed?.plantedAreaM2 ?? null,
    status: plan.status,
    statusReason: plan.statusReason,
    ndviSeries: plan.clearScenes.map((s) => ({ date: sceneTime(s.date), ndvi: s.ndvi })),
    scenes: scenes.map((s) => ({
      sceneId: sceneIdOf(s.date),
      observedAt: sceneTime(s.date),
      clearPixels: s.clear === 1 ? totalPixels : Math.round(totalPixels * s.clear),
      totalPixels,
      modelVersion,
    })),
  };
}

/** Each tag's latest fix: the herd in the east pasture, the exited four across the north-east fence. */
function herdPositions(): ReportHerd['positions'] {
  return allTags.map((tagCode, i) => {
    const exited = exitedTags.indexOf(tagCode);
    if (exited >= 0) {
      return {
        tagCode,
        observedAt: `2026-05-27T22:${String(41 + exited * 3)}:05.000Z`,
        lngLat: toLngLat(1185 + exited * 22, 655 + exited * 31),
        inside: false,
      };
    }
    const silent = silentTags.includes(tagCode);
    // Grazing cattle: most in one group mid-pasture, a few at the trough in the south-east.
    const atTrough = i % 5 === 0;
    const [centreE, centreN, spread] = atTrough ? [1050, 110, 45] : [900, 430, 120];
    const east = centreE + (noise(i, 1) + noise(i, 2) - 1) * spread;
    const north = centreN + (noise(i, 3) + noise(i, 4) - 1) * spread;
    return {
      tagCode,
      observedAt: silent
        ? `2026-06-1${i % 2 === 0 ? 0 : 2}T04:12:00.000Z`
        : '2026-06-30T23:52:00.000Z',
      lngLat: toLngLat(Math.round(east), Math.round(north)),
      inside: true,
    };
  });
}

/** A deterministic number in [0, 1) for (i, salt): the sample is the same on every run. */
function noise(i: number, salt: number): number {
  let x = Math.imul(i + 1, 2654435761) ^ Math.imul(salt, 40503);
  x ^= x >>> 15;
  x = Math.imul(x, 2246822519);
  x ^= x >>> 13;
  return (x >>> 0) / 2 ** 32;
}

function reportAlerts(): ReportAlert[] {
  const officer = 'Lies Vermeulen';
  const supervisor = 'Pieter Declercq';
  return [
    {
      id: ids.alerts[0],
      kind: 'mass_exit',
      severity: 'critical',
      status: 'resolved',
      title: 'Herd H-KRT-17: 4 animals left the farm within 30 min',
      subjectType: 'herd',
      subjectId: ids.herd,
      raisedAt: '2026-05-27T22:52:31.000Z',
      resolvedAt: '2026-05-29T14:05:00.000Z',
      evidence: {
        tags: [...exitedTags].sort(),
        count: exitedTags.length,
        from: '2026-05-27T22:41:05.000Z',
        to: '2026-05-27T22:50:05.000Z',
        minAnimals: 3,
        windowMs: 1_800_000,
      },
      events: [
        { at: '2026-05-27T22:52:31.000Z', type: 'raised', by: null, comment: null },
        {
          at: '2026-05-27T23:22:31.000Z',
          type: 'escalated',
          by: null,
          comment: 'not acknowledged within 30 min',
        },
        {
          at: '2026-05-28T07:48:12.000Z',
          type: 'acknowledged',
          by: officer,
          comment: 'Called the borrower; he says the heifers went to a buyer in Roeselare.',
        },
        {
          at: '2026-05-29T14:05:00.000Z',
          type: 'resolved',
          by: supervisor,
          comment:
            'Farm visit 29/05: 4 heifers sold without notice ("emergency sale"), invoice filed. Pledge to be amended.',
        },
      ],
    },
    {
      id: ids.alerts[1],
      kind: 'herd_count_below_pledge',
      severity: 'warning',
      status: 'acknowledged',
      title: 'Herd H-KRT-17: 36 of 40 pledged head counted',
      subjectType: 'herd',
      subjectId: ids.herd,
      raisedAt: '2026-05-28T00:10:00.000Z',
      resolvedAt: null,
      evidence: {
        at: '2026-06-30T23:55:00.000Z',
        pledgedHeadCount: 40,
        headCount: 34,
        shortfall: 6,
        shortfallPct: 15,
        missingTags,
        outsideTags: [],
        freshnessMs: 3_600_000,
      },
      events: [
        { at: '2026-05-28T00:10:00.000Z', type: 'raised', by: null, comment: null },
        {
          at: '2026-05-28T07:49:40.000Z',
          type: 'acknowledged',
          by: officer,
          comment: 'Linked to the mass exit of 27/05.',
        },
        {
          at: '2026-06-15T04:20:00.000Z',
          type: 'updated',
          by: null,
          comment: '34 of 40 counted: 2 more tags silent',
        },
        {
          at: '2026-06-16T09:30:00.000Z',
          type: 'assigned',
          by: supervisor,
          comment: 'Lies: check the two silent tags on site.',
        },
        {
          at: '2026-06-18T16:02:00.000Z',
          type: 'commented',
          by: officer,
          comment: 'Two tags found in the barn, batteries dead; replacement ordered.',
        },
      ],
    },
    {
      id: ids.alerts[2],
      kind: 'crop_mismatch',
      severity: 'warning',
      status: 'acknowledged',
      title: 'Parcel P-KRT-17-2: seen as Permanent grass crops, declared Maize',
      subjectType: 'parcel',
      subjectId: ids.parcels[1],
      raisedAt: '2026-06-12T13:40:00.000Z',
      resolvedAt: null,
      evidence: {
        declaredCropCode: 1200,
        predictedCropCode: 9120,
        confidence: 0.89,
        scenes: ['2026-05-18', '2026-06-02', '2026-06-12'].map((date) => ({
          sceneId: sceneIdOf(date),
          observedAt: sceneTime(date),
          clearFraction: 1,
          ndviMean: date === '2026-05-18' ? 0.77 : date === '2026-06-02' ? 0.74 : 0.76,
        })),
        from: sceneTime('2026-05-18'),
        to: sceneTime('2026-06-12'),
      },
      events: [
        { at: '2026-06-12T13:40:00.000Z', type: 'raised', by: null, comment: null },
        {
          at: '2026-06-13T08:05:00.000Z',
          type: 'acknowledged',
          by: officer,
          comment: 'Borrower: maize sowing delayed by the wet spring; will send the seed invoice.',
        },
      ],
    },
  ];
}

/**
 * A fresh copy of the sample report (callers may change it). Its content hash is the same on
 * every call and every machine.
 * @example renderReportHtml(buildSampleReport(), { contentHash })
 */
export function buildSampleReport(): ReportData {
  const points = coveragePoints();
  const end = points[points.length - 1];
  const start = points[0];
  if (end === undefined || start === undefined) throw new Error('the sample period has no points');
  const parcels = parcelPlans.map(collateralParcel);
  const counts = points.map((p) => ({ at: p.at, headCount: p.headCounts[ids.herd] ?? 0 }));
  const herd: CollateralHerd = {
    herdId: ids.herd,
    code: 'H-KRT-17',
    farmId: ids.farm,
    farmCode: 'F-KRT-17',
    species: 'cattle',
    pledgedHeadCount,
    countedHeadCount: headCountAt(periodTo),
    freshnessMs: 3_600_000,
    missingTags,
    valuePerHead,
    valueCurrency: currency,
    valueSource: 'portfolio',
    valueValidFrom: '2026-01-01',
    value: round2(headCountAt(periodTo) * valuePerHead),
    unvaluedReason: null,
  };
  const { balance, asOf } = balanceAt(periodTo);
  const atEnd: LoanCollateral = {
    loanId: ids.loan,
    reference: 'L-2025-0117',
    branchId: ids.branch,
    borrowerId: ids.borrower,
    borrowerName: 'De Smet & Zonen BV',
    currency,
    balance,
    balanceAsOf: asOf,
    at: periodTo,
    parcels,
    herds: [herd],
    cropValue: end.cropValue,
    herdValue: end.herdValue,
    totalValue: end.totalValue,
    coverageRatio: end.coverageRatio,
    unvalued: [],
  };
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    reportId: '3d6f1c2e-8a4b-4e7d-9c1f-2b5a8e0d4f12',
    generatedAt: '2026-07-01T08:15:42.000Z',
    generatedBy: 'Lies Vermeulen <lies.vermeulen@pledgewatch.example>',
    period: { from: periodFrom, to: periodTo },
    dataRange: { from: '2026-04-01T00:04:12.000Z', to: '2026-06-30T23:58:40.000Z' },
    modelVersions: [modelVersion],
    loan: {
      id: ids.loan,
      reference: 'L-2025-0117',
      status: 'active',
      amount: 150_000,
      currency,
      disbursedOn: '2025-09-15',
      maturesOn: '2030-09-15',
      officer: { name: 'Lies Vermeulen', email: 'lies.vermeulen@pledgewatch.example' },
    },
    borrower: {
      id: ids.borrower,
      ref: 'B-017',
      name: 'De Smet & Zonen BV',
      registrationNo: 'BE0456789123',
    },
    branch: { code: 'KRT', name: 'Kortrijk' },
    farms: [
      {
        id: ids.farm,
        code: 'F-KRT-17',
        name: 'Hoeve Ten Bosch',
        boundary: ringOf([
          [0, 0],
          [1150, 0],
          [1150, 620],
          [980, 700],
          [0, 700],
        ]),
      },
    ],
    parcels: parcelPlans.map(reportParcel),
    herds: [
      {
        id: ids.herd,
        code: 'H-KRT-17',
        farmCode: 'F-KRT-17',
        species: 'cattle',
        pledgedHeadCount,
        counts,
        countedAtStart: start.headCounts[ids.herd] ?? 0,
        countedAtEnd: end.headCounts[ids.herd] ?? 0,
        minCounted: Math.min(...counts.map((c) => c.headCount)),
        missingTagsAtEnd: missingTags,
        positions: herdPositions(),
      },
    ],
    alerts: reportAlerts(),
    coverage: {
      atEnd,
      series: {
        loanId: ids.loan,
        currency,
        from: periodFrom,
        to: periodTo,
        stepMs,
        points,
      },
      thresholds: { minCoverageRatio: 1.2, criticalCoverageRatio: 1.0 },
    },
  };
}
