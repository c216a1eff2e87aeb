/**
 * Generates `fixtures/demo/portfolio.json`, the demo loan portfolio: branches, users, borrowers,
 * loans, farms with parcels, herds with ear tags, gateways and cameras.
 *
 *     npx tsx scripts/generate-demo-portfolio.ts
 *
 * Deterministic: every random choice comes from a seeded PRNG (mulberry32), so the same seed gives
 * byte-identical JSON, which `fixtures/demo/portfolio.test.ts` checks. It reads nothing (in
 * particular not `../shared/data`): all geometry is synthesised here, so the fixture can be rebuilt
 * from a clean clone. Two farms are placed over the two real Sentinel-2 test windows so that their
 * parcels can later be watched with real imagery; their bounding boxes are copied in below.
 */
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { areaM2 } from '../geo/index.ts';
import type { Bbox, LngLat, Polygon } from '../geo/index.ts';

// ---------------------------------------------------------------------------------------------
// Output format (the portfolio loader is written against exactly these keys).

export interface DemoPortfolio {
  generatedBy: string;
  seed: number;
  cropTypes: { code: number; name: string }[];
  cropYields: { cropCode: number; validFrom: string; tonnesPerHa: number }[];
  cropPrices: { cropCode: number; validFrom: string; pricePerTonne: string; currency: 'EUR' }[];
  livestockValues: {
    species: 'cattle' | 'sheep' | 'goat' | 'pig' | 'horse';
    validFrom: string;
    valuePerHead: string;
    currency: 'EUR';
  }[];
  branches: { code: string; name: string }[];
  users: {
    email: string;
    displayName: string;
    role: 'officer' | 'supervisor' | 'admin';
    branchCode: string | null;
  }[];
  borrowers: { ref: string; branchCode: string; name: string; registrationNo: string }[];
  loans: {
    reference: string;
    borrowerRef: string;
    branchCode: string;
    officerEmail: string;
    amount: string;
    balance: string;
    currency: 'EUR';
    disbursedOn: string;
    maturesOn: string;
  }[];
  farms: { code: string; borrowerRef: string; name: string; boundary: Polygon }[];
  parcels: {
    code: string;
    farmCode: string;
    loanReference: string;
    geometry: Polygon;
    declaredCropCode: number;
    declaredAreaM2: number;
    season: string;
    seasonStart: string;
    seasonEnd: string;
  }[];
  herds: {
    code: string;
    farmCode: string;
    loanReference: string;
    name: string;
    species: 'cattle';
    pledgedHeadCount: number;
    valuePerHead: string;
    currency: 'EUR';
  }[];
  gateways: { code: string; farmCode: string; name: string }[];
  earTags: { tagCode: string; herdCode: string }[];
  cameras: { code: string; farmCode: string; gatewayCode: string; name: string; zone: string }[];
}

// ---------------------------------------------------------------------------------------------
// Fixed inputs.

export const DEMO_SEED = 20260415;

/** WGS84 semi-major axis (m) and first eccentricity squared, for metre-to-degree offsets. */
const WGS84_A_M = 6378137;
const WGS84_E2 = (1 / 298.257223563) * (2 - 1 / 298.257223563);
export const GENERATED_BY = 'scripts/generate-demo-portfolio.ts';

/** Where `main` writes the portfolio, resolved from this file so the cwd does not matter. */
export const DEMO_PORTFOLIO_PATH = fileURLToPath(
  new URL('../fixtures/demo/portfolio.json', import.meta.url),
);

/**
 * The Sentinel-2 test windows the demo farms sit on, as WGS84 `[minLng, minLat, maxLng, maxLat]`.
 * Copied from the `extent.spatial.bbox` of `../shared/data/sentinel2/flanders-{2018,2019}/
 * collection.json` (not read at run time). For window B the brief gave only a rough box, 1–2
 * pixels off to the north-east of the real extent; farm B covers both.
 */
export const SENTINEL2_WINDOWS = {
  A: { season: '2018', bbox: [3.01930416, 50.81308543, 3.02839195, 50.81884266] as Bbox },
  B: {
    season: '2019',
    bbox: [4.05845802, 50.74309445, 4.0676581, 50.74893159] as Bbox,
    roughBbox: [4.0595, 50.7445, 4.0685, 50.7505] as Bbox,
  },
} as const;

/**
 * WorldCereal crop-type codes the demo declares, names verbatim from the WorldCereal legend
 * (`wc2eurocrops_map.csv`, as in `../shared/data/sentinel2/*\/labels/legend.json`).
 */
export const CROP_TYPES: Readonly<Record<number, string>> = {
  1110: 'Winter wheat',
  1200: 'Maize',
  1500: 'Barley',
  1510: 'Winter barley',
  2130: 'Cabbages',
  5100: 'Potatoes',
  7900: 'Other leguminous crops',
  8100: 'Sugar beet',
  9120: 'Permanent grass crops',
};

/** Growing season per crop as month-day pairs; `prevYear` crops are sown the autumn before. */
const CROP_CALENDAR: Readonly<Record<number, { start: string; end: string; prevYear: boolean }>> = {
  1110: { start: '10-15', end: '08-15', prevYear: true },
  1200: { start: '04-15', end: '10-31', prevYear: false },
  1500: { start: '03-01', end: '08-15', prevYear: false },
  1510: { start: '10-01', end: '07-15', prevYear: true },
  2130: { start: '04-15', end: '11-30', prevYear: false },
  5100: { start: '04-01', end: '09-30', prevYear: false },
  7900: { start: '03-15', end: '08-31', prevYear: false },
  8100: { start: '03-15', end: '11-15', prevYear: false },
  9120: { start: '03-01', end: '10-31', prevYear: false },
};

/** Rough value of a standing crop at harvest, in EUR per hectare, used to size the loans. */
const CROP_VALUE_EUR_PER_HA: Readonly<Record<number, number>> = {
  1110: 1900,
  1200: 2200,
  1500: 1600,
  1510: 1700,
  2130: 8000,
  5100: 7000,
  7900: 1500,
  8100: 3600,
  9120: 1200,
};

/** When the demo's valuation settings start, and when the later dated change takes over. */
const VALUATION_FROM = '2024-01-01';
const VALUATION_CHANGE = '2025-07-01';

/**
 * Expected yield per crop in t/ha (fresh weight; grass in t dry matter), for Flanders: about
 * the 2019-2023 averages of Statbel's harvest statistics, rounded. Cabbages and legumes are
 * rough figures. One set, valid from {@link VALUATION_FROM}.
 */
const CROP_YIELD_T_PER_HA: Readonly<Record<number, number>> = {
  1110: 8.8,
  1200: 10.5,
  1500: 7.5,
  1510: 8.5,
  2130: 50,
  5100: 45,
  7900: 4,
  8100: 85,
  9120: 11,
};

/**
 * Farm-gate price per crop in EUR/t, valid from {@link VALUATION_FROM}, and the price after the
 * 2025 harvest (valid from {@link VALUATION_CHANGE}) where it moved: cereals eased, free-market
 * potatoes and sugar beet fell hard. Rounded, illustrative Belgian figures.
 */
const CROP_PRICE_EUR_PER_T: Readonly<
  Record<number, readonly [from2024: number, from2025: number]>
> = {
  1110: [200, 185],
  1200: [190, 175],
  1500: [175, 170],
  1510: [180, 170],
  2130: [150, 150],
  5100: [120, 60],
  7900: [300, 290],
  8100: [40, 32],
  9120: [150, 150],
};

/** Value per head in EUR by species (the herd's own appraisal takes precedence), 2024 and 2025. */
const LIVESTOCK_VALUE_EUR = {
  cattle: [1600, 1900],
  sheep: [180, 190],
  goat: [150, 150],
  pig: [220, 210],
  horse: [2500, 2500],
} as const;

/** Loan balances are linearly amortised up to this date. */
const BALANCE_AS_OF = '2026-06-30';

const BRANCHES = [
  { code: 'KRT', name: 'Kortrijk' },
  { code: 'AAL', name: 'Aalst' },
];

const USERS: {
  name: string;
  role: 'officer' | 'supervisor' | 'admin';
  branchCode: string | null;
}[] = [
  { name: 'Lies Vermeulen', role: 'officer', branchCode: 'KRT' },
  { name: 'Pieter Declercq', role: 'officer', branchCode: 'KRT' },
  { name: 'Annelies Vanhoutte', role: 'supervisor', branchCode: 'KRT' },
  { name: 'Bram De Vos', role: 'officer', branchCode: 'AAL' },
  { name: 'Sofie Van Damme', role: 'officer', branchCode: 'AAL' },
  { name: 'Koen Verhaegen', role: 'supervisor', branchCode: 'AAL' },
  { name: 'Joke Claes', role: 'admin', branchCode: null },
];

interface HerdSpec {
  name: string;
  headCount: [min: number, max: number];
  valuePerHeadEur: [min: number, max: number];
  cameraZones: string[];
}

interface FarmSpec {
  code: string;
  name: string;
  borrower: { ref: string; name: string };
  branchCode: string;
  officerIndex: number;
  disbursedOn: string;
  termYears: number;
  season: string;
  /** The block the parcels tile, in degrees. */
  parcelBlock: Bbox;
  /** Extra area the boundary must contain (a Sentinel-2 window), in degrees. */
  mustCover: Bbox[];
  cols: number;
  rows: number;
  /** Declared crop per grid cell, row by row from the south-west; null is the farmyard. */
  cells: (number | null)[];
  herd?: HerdSpec;
  gatewayName: string;
}

/** Metres to inset parcels from a Sentinel-2 window edge, so whole parcels are imaged. */
const WINDOW_INSET_M = 15;

const FARMS: FarmSpec[] = [
  {
    code: 'F-KRT-01',
    name: 'Hof ter Linde',
    borrower: { ref: 'B-001', name: 'Vandenberghe Landbouw BV' },
    branchCode: 'KRT',
    officerIndex: 0,
    disbursedOn: '2017-09-15',
    termYears: 12,
    season: SENTINEL2_WINDOWS.A.season,
    parcelBlock: insetBbox(SENTINEL2_WINDOWS.A.bbox, WINDOW_INSET_M),
    mustCover: [SENTINEL2_WINDOWS.A.bbox],
    cols: 3,
    rows: 2,
    cells: [9120, 1200, 1200, 5100, 1200, 9120],
    gatewayName: 'Gateway machine shed',
  },
  {
    code: 'F-KRT-02',
    name: 'Hoeve Ter Biest',
    borrower: { ref: 'B-002', name: 'Maatschap Deconinck-Vanneste' },
    branchCode: 'KRT',
    officerIndex: 1,
    disbursedOn: '2024-02-01',
    termYears: 10,
    season: '2026',
    parcelBlock: blockAround([3.0853, 50.8347], 620, 480),
    mustCover: [],
    cols: 3,
    rows: 2,
    cells: [9120, 1200, 1110, null, 9120, 5100],
    herd: {
      name: 'Dairy herd Ter Biest',
      headCount: [70, 110],
      valuePerHeadEur: [1550, 1850],
      cameraZones: ['north paddock', 'feed alley'],
    },
    gatewayName: 'Gateway milking parlour',
  },
  {
    code: 'F-AAL-01',
    name: 'Hof te Kapelleveld',
    borrower: { ref: 'B-003', name: 'Van der Straeten Akkerbouw BV' },
    branchCode: 'AAL',
    officerIndex: 0,
    disbursedOn: '2018-08-20',
    termYears: 10,
    season: SENTINEL2_WINDOWS.B.season,
    parcelBlock: insetBbox(SENTINEL2_WINDOWS.B.bbox, WINDOW_INSET_M),
    mustCover: [SENTINEL2_WINDOWS.B.bbox, SENTINEL2_WINDOWS.B.roughBbox],
    cols: 3,
    rows: 2,
    cells: [1110, 8100, 9120, 9120, 9120, 1110],
    gatewayName: 'Gateway grain store',
  },
  {
    code: 'F-AAL-02',
    name: 'Hoeve Den Bosrand',
    borrower: { ref: 'B-004', name: 'Landbouwbedrijf De Smet' },
    branchCode: 'AAL',
    officerIndex: 1,
    disbursedOn: '2025-03-01',
    termYears: 8,
    season: '2026',
    parcelBlock: blockAround([4.0284, 50.7721], 540, 420),
    mustCover: [],
    cols: 2,
    rows: 2,
    cells: [9120, 1200, 8100, 1510],
    herd: {
      name: 'Belgian Blue suckler herd',
      headCount: [30, 55],
      valuePerHeadEur: [1250, 1600],
      cameraZones: ['south meadow'],
    },
    gatewayName: 'Gateway cattle shed',
  },
];

// ---------------------------------------------------------------------------------------------
// Builder.

/**
 * Builds the demo portfolio. Pure: no I/O, and the same seed always gives the same value.
 *
 * @param seed - PRNG seed (uint32).
 * @returns The portfolio in the loader's JSON shape.
 * @example
 * ```ts
 * const portfolio = buildDemoPortfolio();
 * portfolio.farms.length; // 4
 * ```
 */
export function buildDemoPortfolio(seed: number = DEMO_SEED): DemoPortfolio {
  const random = mulberry32(seed);
  const portfolio: DemoPortfolio = {
    generatedBy: GENERATED_BY,
    seed,
    cropTypes: Object.entries(CROP_TYPES)
      .map(([code, name]) => ({ code: Number(code), name }))
      .sort((a, b) => a.code - b.code),
    ...valuationSettings(),
    branches: BRANCHES.map((b) => ({ ...b })),
    users: USERS.map((u) => ({
      email: emailOf(u.name),
      displayName: u.name,
      role: u.role,
      branchCode: u.branchCode,
    })),
    borrowers: [],
    loans: [],
    farms: [],
    parcels: [],
    herds: [],
    gateways: [],
    earTags: [],
    cameras: [],
  };
  const usedTagCodes = new Set<string>();

  FARMS.forEach((farm, farmIndex) => {
    const farmNo = farm.code.slice(-2);
    const branchOfficers = portfolio.users.filter(
      (u) => u.role === 'officer' && u.branchCode === farm.branchCode,
    );
    const officer = branchOfficers[farm.officerIndex];
    if (officer === undefined) {
      throw new RangeError(
        `farm ${farm.code}: officerIndex ${farm.officerIndex} out of range [0, ${branchOfficers.length - 1}]`,
      );
    }

    portfolio.borrowers.push({
      ref: farm.borrower.ref,
      branchCode: farm.branchCode,
      name: farm.borrower.name,
      registrationNo: belgianEnterpriseNumber(random),
    });

    // Parcels first: the loan amount follows from the pledged area and herd.
    const parcelRects = layoutParcels(farm, random);
    const loanReference = `L-${farm.disbursedOn.slice(0, 4)}-${String(farmIndex + 1).padStart(4, '0')}`;
    let pledgedValueEur = 0;
    parcelRects.forEach(({ bbox, cropCode }, i) => {
      const geometry = rectanglePolygon(bbox);
      const declaredAreaM2 = Math.round(areaM2(geometry));
      const calendar = CROP_CALENDAR[cropCode];
      if (calendar === undefined) {
        throw new RangeError(`farm ${farm.code}: crop code ${cropCode} has no calendar entry`);
      }
      const year = Number(farm.season);
      portfolio.parcels.push({
        code: `P-${farm.branchCode}-${farmNo}-${i + 1}`,
        farmCode: farm.code,
        loanReference,
        geometry,
        declaredCropCode: cropCode,
        declaredAreaM2,
        season: farm.season,
        seasonStart: `${calendar.prevYear ? year - 1 : year}-${calendar.start}`,
        seasonEnd: `${year}-${calendar.end}`,
      });
      pledgedValueEur += (declaredAreaM2 / 10_000) * (CROP_VALUE_EUR_PER_HA[cropCode] ?? 0);
    });

    portfolio.farms.push({
      code: farm.code,
      borrowerRef: farm.borrower.ref,
      name: farm.name,
      boundary: boundaryPolygon(farm, random),
    });

    const gatewayCode = `GW-${farm.branchCode}-${farmNo}`;
    portfolio.gateways.push({ code: gatewayCode, farmCode: farm.code, name: farm.gatewayName });

    if (farm.herd !== undefined) {
      const herdCode = `H-${farm.branchCode}-${farmNo}`;
      const headCount = randomInt(random, ...farm.herd.headCount);
      const valuePerHeadEur = 10 * randomInt(random, ...scale(farm.herd.valuePerHeadEur, 0.1));
      portfolio.herds.push({
        code: herdCode,
        farmCode: farm.code,
        loanReference,
        name: farm.herd.name,
        species: 'cattle',
        pledgedHeadCount: headCount,
        valuePerHead: valuePerHeadEur.toFixed(2),
        currency: 'EUR',
      });
      pledgedValueEur += headCount * valuePerHeadEur;
      for (const tagCode of earTagCodes(random, headCount, usedTagCodes)) {
        portfolio.earTags.push({ tagCode, herdCode });
      }
      farm.herd.cameraZones.forEach((zone, i) => {
        portfolio.cameras.push({
          code: `CAM-${farm.branchCode}-${farmNo}-${String.fromCharCode(65 + i)}`,
          farmCode: farm.code,
          gatewayCode,
          name: `Camera ${zone}`,
          zone,
        });
      });
    }

    // Lend 60-80 % of the pledged value, in steps of 5 000 EUR.
    const amountEur = 5000 * Math.round((pledgedValueEur * (0.6 + 0.2 * random())) / 5000);
    const maturesOn = addYears(farm.disbursedOn, farm.termYears);
    portfolio.loans.push({
      reference: loanReference,
      borrowerRef: farm.borrower.ref,
      branchCode: farm.branchCode,
      officerEmail: officer.email,
      amount: amountEur.toFixed(2),
      balance: amortisedBalance(amountEur, farm.disbursedOn, maturesOn, BALANCE_AS_OF).toFixed(2),
      currency: 'EUR',
      disbursedOn: farm.disbursedOn,
      maturesOn,
    });
  });

  return portfolio;
}

/**
 * The dated valuation settings: every crop's yield and price and every species' value from
 * {@link VALUATION_FROM}, plus a row from {@link VALUATION_CHANGE} wherever the figure changed.
 */
function valuationSettings(): Pick<DemoPortfolio, 'cropYields' | 'cropPrices' | 'livestockValues'> {
  const codes = Object.keys(CROP_TYPES)
    .map(Number)
    .sort((a, b) => a - b);
  const dated = <T>(values: readonly [T, T]): Array<{ validFrom: string; value: T }> =>
    values[1] === values[0]
      ? [{ validFrom: VALUATION_FROM, value: values[0] }]
      : [
          { validFrom: VALUATION_FROM, value: values[0] },
          { validFrom: VALUATION_CHANGE, value: values[1] },
        ];
  const must = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new RangeError(`crop code ${what} has no valuation figure`);
    return value;
  };
  return {
    cropYields: codes.map((cropCode) => ({
      cropCode,
      validFrom: VALUATION_FROM,
      tonnesPerHa: must(CROP_YIELD_T_PER_HA[cropCode], String(cropCode)),
    })),
    cropPrices: codes.flatMap((cropCode) =>
      dated(must(CROP_PRICE_EUR_PER_T[cropCode], String(cropCode))).map(({ validFrom, value }) => ({
        cropCode,
        validFrom,
        pricePerTonne: value.toFixed(2),
        currency: 'EUR' as const,
      })),
    ),
    livestockValues: Object.entries(LIVESTOCK_VALUE_EUR).flatMap(([species, values]) =>
      dated<number>(values).map(({ validFrom, value }) => ({
        species: species as keyof typeof LIVESTOCK_VALUE_EUR,
        validFrom,
        valuePerHead: value.toFixed(2),
        currency: 'EUR' as const,
      })),
    ),
  };
}

/**
 * Serialises the portfolio as written to disk: two-space JSON with a trailing newline.
 *
 * @param portfolio - Output of {@link buildDemoPortfolio}.
 * @returns The file's text.
 */
export function renderDemoPortfolioJson(portfolio: DemoPortfolio): string {
  return `${JSON.stringify(portfolio, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Geometry.

/** Metres per degree of latitude and of longitude at `latDeg` on WGS84. */
function metresPerDegree(latDeg: number): { lat: number; lng: number } {
  const phi = (latDeg * Math.PI) / 180;
  const w = 1 - WGS84_E2 * Math.sin(phi) ** 2;
  return {
    lat: ((Math.PI / 180) * WGS84_A_M * (1 - WGS84_E2)) / w ** 1.5,
    lng: ((Math.PI / 180) * WGS84_A_M * Math.cos(phi)) / Math.sqrt(w),
  };
}

/** A `widthM` × `heightM` box centred on `center`. */
function blockAround(center: LngLat, widthM: number, heightM: number): Bbox {
  const m = metresPerDegree(center[1]);
  const dLng = widthM / 2 / m.lng;
  const dLat = heightM / 2 / m.lat;
  return [center[0] - dLng, center[1] - dLat, center[0] + dLng, center[1] + dLat];
}

/** Grows (positive) or shrinks (negative) each side of a bbox by its own number of metres. */
function growBbox(bbox: Bbox, [westM, southM, eastM, northM]: Bbox): Bbox {
  const m = metresPerDegree((bbox[1] + bbox[3]) / 2);
  return [
    bbox[0] - westM / m.lng,
    bbox[1] - southM / m.lat,
    bbox[2] + eastM / m.lng,
    bbox[3] + northM / m.lat,
  ];
}

function insetBbox(bbox: Bbox, insetM: number): Bbox {
  return growBbox(bbox, [-insetM, -insetM, -insetM, -insetM]);
}

function unionBbox(boxes: Bbox[]): Bbox {
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3])),
  ];
}

function round7(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}

function closedRing(points: LngLat[]): LngLat[] {
  const ring = points.map(([lng, lat]): LngLat => [round7(lng), round7(lat)]);
  const first = ring[0];
  if (first === undefined) throw new RangeError('ring: no positions; a ring needs at least 3');
  return [...ring, [first[0], first[1]]];
}

/** Counter-clockwise closed rectangle (RFC 7946 exterior ring). */
function rectanglePolygon([w, s, e, n]: Bbox): Polygon {
  return {
    type: 'Polygon',
    coordinates: [
      closedRing([
        [w, s],
        [e, s],
        [e, n],
        [w, n],
      ]),
    ],
  };
}

/** Tracks between parcels, in metres. */
const TRACK_M = 8;

/**
 * Splits the farm's parcel block into `cols` × `rows` cells of random widths and heights, with
 * tracks between them, and returns the cells that carry a crop (not the farmyard).
 */
function layoutParcels(farm: FarmSpec, random: () => number): { bbox: Bbox; cropCode: number }[] {
  if (farm.cells.length !== farm.cols * farm.rows) {
    throw new RangeError(
      `farm ${farm.code}: cells has ${farm.cells.length} entries, expected cols × rows = ${farm.cols * farm.rows}`,
    );
  }
  const [w, s, e, n] = farm.parcelBlock;
  const m = metresPerDegree((s + n) / 2);
  const halfTrackLng = TRACK_M / 2 / m.lng;
  const halfTrackLat = TRACK_M / 2 / m.lat;
  const xs = randomSplits(random, w, e, farm.cols);
  const ys = randomSplits(random, s, n, farm.rows);
  const parcels: { bbox: Bbox; cropCode: number }[] = [];
  for (let row = 0; row < farm.rows; row++) {
    for (let col = 0; col < farm.cols; col++) {
      const cropCode = farm.cells[row * farm.cols + col];
      if (cropCode === null || cropCode === undefined) continue;
      const x0 = xs[col]!;
      const x1 = xs[col + 1]!;
      const y0 = ys[row]!;
      const y1 = ys[row + 1]!;
      parcels.push({
        bbox: [
          col === 0 ? x0 : x0 + halfTrackLng,
          row === 0 ? y0 : y0 + halfTrackLat,
          col === farm.cols - 1 ? x1 : x1 - halfTrackLng,
          row === farm.rows - 1 ? y1 : y1 - halfTrackLat,
        ],
        cropCode,
      });
    }
  }
  return parcels;
}

/** `parts + 1` ascending cut points from `min` to `max`, parts between 0.7 and 1.3 of equal. */
function randomSplits(random: () => number, min: number, max: number, parts: number): number[] {
  const weights = Array.from({ length: parts }, () => 0.7 + 0.6 * random());
  const total = weights.reduce((a, b) => a + b, 0);
  const cuts = [min];
  let acc = 0;
  for (const weight of weights.slice(0, -1)) {
    acc += weight;
    cuts.push(min + ((max - min) * acc) / total);
  }
  cuts.push(max);
  return cuts;
}

/**
 * Farm boundary: a convex octagon. The parcel block (and any window it must cover) is grown by a
 * random 25-60 m headland on each side, then each corner is cut off by a random chamfer; the
 * chamfer stays inside the headland so the block is still strictly inside.
 */
function boundaryPolygon(farm: FarmSpec, random: () => number): Polygon {
  const inner = unionBbox([farm.parcelBlock, ...farm.mustCover]);
  const margins = [0, 0, 0, 0].map(() => 25 + 35 * random()) as Bbox;
  const [w, s, e, n] = growBbox(inner, margins);
  const m = metresPerDegree((s + n) / 2);
  // A chamfer of c metres along both sides of a corner is the cut line x + y = c (metres from the
  // corner); the inner block's corner sits at x, y = the two margins, so c < min(margins) keeps
  // the cut clear of it.
  const chamfer = (a: number, b: number): { lng: number; lat: number } => {
    const c = Math.min(a, b) * (0.4 + 0.5 * random());
    return { lng: c / m.lng, lat: c / m.lat };
  };
  const [mw, ms, me, mn] = margins;
  const sw = chamfer(mw, ms);
  const se = chamfer(me, ms);
  const ne = chamfer(me, mn);
  const nw = chamfer(mw, mn);
  return {
    type: 'Polygon',
    coordinates: [
      closedRing([
        [w + sw.lng, s],
        [e - se.lng, s],
        [e, s + se.lat],
        [e, n - ne.lat],
        [e - ne.lng, n],
        [w + nw.lng, n],
        [w, n - nw.lat],
        [w, s + sw.lat],
      ]),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Identifiers and money.

/** mulberry32 (Tommy Ettinger, public domain): a small, fast, seedable 32-bit PRNG in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function scale([min, max]: [number, number], factor: number): [number, number] {
  return [Math.round(min * factor), Math.round(max * factor)];
}

function emailOf(displayName: string): string {
  const [first = '', ...rest] = displayName.toLowerCase().split(' ');
  return `${first}.${rest.join('')}@pledgewatch.example`;
}

/**
 * A valid Belgian enterprise number (KBO/BCE) as `BE0` + 9 digits: the 8 leading digits
 * (starting 0) followed by the check 97 − (leading mod 97).
 */
function belgianEnterpriseNumber(random: () => number): string {
  const leading = randomInt(random, 4_000_000, 8_999_999); // `0` + 7 digits
  const check = 97 - (leading % 97);
  return `BE0${leading}${String(check).padStart(2, '0')}`;
}

/**
 * ISO 11784 style 15-digit animal ids: `056` (Belgium) plus a 12-digit national number. Tags are
 * bought in batches, so the numbers run consecutively from a random start with the odd gap (lost
 * or reused tags).
 */
function earTagCodes(random: () => number, count: number, used: Set<string>): string[] {
  const codes: string[] = [];
  let national = randomInt(random, 100_000_000, 899_999_999);
  while (codes.length < count) {
    national += random() < 0.1 ? 2 : 1;
    const code = `056${String(national).padStart(12, '0')}`;
    if (used.has(code)) continue;
    used.add(code);
    codes.push(code);
  }
  return codes;
}

function addYears(isoDate: string, years: number): string {
  return `${Number(isoDate.slice(0, 4)) + years}${isoDate.slice(4)}`;
}

/** Straight-line amortisation by whole months elapsed, in EUR rounded to the cent. */
function amortisedBalance(amountEur: number, from: string, to: string, asOf: string): number {
  const months = (iso: string): number => Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7));
  const total = months(to) - months(from);
  const elapsed = Math.min(Math.max(months(asOf) - months(from), 0), total);
  return Math.round((amountEur * (total - elapsed) * 100) / total) / 100;
}

// ---------------------------------------------------------------------------------------------
// Entry point: only when run as a script, so tests can import the builder without writing.

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined || !existsSync(entry)) return false;
  return pathToFileURL(realpathSync(entry)).href === import.meta.url;
}

if (isMainModule()) {
  const portfolio = buildDemoPortfolio();
  writeFileSync(DEMO_PORTFOLIO_PATH, renderDemoPortfolioJson(portfolio));
  console.log(
    `wrote ${DEMO_PORTFOLIO_PATH}: ${portfolio.farms.length} farms, ${portfolio.parcels.length} parcels, ` +
      `${portfolio.herds.length} herds, ${portfolio.earTags.length} ear tags (seed ${portfolio.seed})`,
  );
}
