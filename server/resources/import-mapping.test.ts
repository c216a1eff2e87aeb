import { describe, expect, it } from 'vitest';
import type { Polygon } from '../../geo/index.ts';
import { mapFarmFeature, mapParcelFeature } from './import-mapping.ts';
import { checkParcel, type ParcelFarm, type ParcelLookups } from './parcels-check.ts';

/** A square of `sizeDeg` degrees with its south-west corner at (lng, lat), counter-clockwise. */
function square(lng: number, lat: number, sizeDeg: number): Polygon {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [lng, lat],
        [lng + sizeDeg, lat],
        [lng + sizeDeg, lat + sizeDeg],
        [lng, lat + sizeDeg],
        [lng, lat],
      ],
    ],
  };
}

const farmBoundary = square(3.0, 50.8, 0.01);
const farm: ParcelFarm = {
  id: '00000000-0000-4000-8000-000000000001',
  code: 'F-TEST',
  borrowerId: '00000000-0000-4000-8000-000000000002',
  borrowerRef: 'B-TEST',
  branchId: '00000000-0000-4000-8000-000000000003',
  boundary: farmBoundary,
  bbox: [3.0, 50.8, 3.01, 50.81],
};
const loanId = '00000000-0000-4000-8000-00000000000a';
const lookups: ParcelLookups = {
  cropNames: new Map([
    [1200, 'Maize'],
    [9120, 'Permanent grass crops'],
  ]),
  loans: new Map([[loanId, 'L-TEST-1']]),
};

function feature(
  properties: Record<string, unknown> | null,
  geometry: unknown = square(3.002, 50.802, 0.001),
) {
  return { type: 'Feature', properties, geometry };
}

/** Maps and checks one feature the way the import does. */
function importOne(f: unknown, index = 0) {
  const mapped = mapParcelFeature(f, index);
  if (!mapped.ok) return { ok: false as const, problems: mapped.problems };
  return checkParcel(mapped.value, mapped.geometry, farm, lookups, mapped.naming);
}

describe('mapParcelFeature', () => {
  it('reads a Flemish LPIS export: parcel_id, crop_code, area_m2 and a numeric season', () => {
    const mapped = mapParcelFeature(
      feature({
        parcel_id: '00002806639B424A-P01',
        crop_code: 1200,
        crop_name: 'Maize',
        area_m2: 62800.0,
        pixel_count: 628,
        season: 2018,
      }),
      4,
    );
    expect(mapped).toMatchObject({
      ok: true,
      index: 4,
      code: '00002806639B424A-P01',
      value: {
        code: '00002806639B424A-P01',
        declaredCropCode: 1200,
        declaredAreaM2: 62800,
        season: '2018',
        seasonStart: null,
        seasonEnd: null,
        loanId: null,
        loanReference: null,
      },
    });
    if (mapped.ok) {
      expect(mapped.naming.label).toBe('features[4] ("00002806639B424A-P01")');
      expect(mapped.naming.path('declaredAreaM2')).toBe('features[4].properties.area_m2');
      expect(mapped.naming.path('geometry')).toBe('features[4].geometry');
    }
  });

  it('prefers code over parcel_id and declared_area_m2 over area_m2, even when declared is null', () => {
    const mapped = mapParcelFeature(
      feature({
        code: 'P-1',
        parcel_id: 'other',
        declared_area_m2: null,
        area_m2: 999,
        season: '2019/20',
      }),
      0,
    );
    expect(mapped).toMatchObject({
      ok: true,
      value: { code: 'P-1', declaredAreaM2: null, season: '2019/20' },
    });
  });

  it('takes numbers given as text, and an absent or null crop as no declared crop', () => {
    expect(
      mapParcelFeature(feature({ code: 7, crop_code: '1200', area_m2: '2500.5', season: 2018 }), 0),
    ).toMatchObject({
      ok: true,
      value: { code: '7', declaredCropCode: 1200, declaredAreaM2: 2500.5 },
    });
    expect(
      mapParcelFeature(feature({ code: 'P', crop_code: null, season: 2018 }), 0),
    ).toMatchObject({
      ok: true,
      value: { declaredCropCode: null, declaredAreaM2: null },
    });
  });

  it('collects every property problem with its path and a message naming the feature', () => {
    const mapped = mapParcelFeature(
      feature({
        parcel_id: 'P-9',
        crop_code: 'maize',
        area_m2: -5,
        season_start: '2018-02-31',
        loan_id: 'not-a-uuid',
      }),
      3,
    );
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.code).toBe('P-9');
    expect(mapped.problems.map((p) => [p.path, p.rule])).toEqual([
      ['features[3].properties.crop_code', 'invalid_property'],
      ['features[3].properties.area_m2', 'invalid_property'],
      ['features[3].properties.season', 'missing_property'],
      ['features[3].properties.season_start', 'invalid_property'],
      ['features[3].properties.loan_id', 'invalid_property'],
    ]);
    expect(mapped.problems[0]?.message).toBe(
      'features[3] ("P-9"): properties.crop_code "maize" is not a crop code: expected an integer >= 0',
    );
    expect(mapped.problems[3]?.message).toContain('"2018-02-31" is not a calendar date');
  });

  it('refuses what is not a Feature, a feature without a code, and a farm feature', () => {
    expect(mapParcelFeature({ type: 'Point', coordinates: [3, 50] }, 0)).toMatchObject({
      ok: false,
      problems: [{ path: 'features[0]', rule: 'not_feature' }],
    });
    expect(mapParcelFeature(feature({ season: 2018 }), 1)).toMatchObject({
      ok: false,
      code: null,
      problems: [
        {
          path: 'features[1].properties.code',
          rule: 'missing_property',
          message:
            'features[1]: properties.code or properties.parcel_id is required: the parcel’s code',
        },
      ],
    });
    expect(mapParcelFeature(feature({ kind: 'farm', code: 'F-1', season: 2018 }), 2)).toMatchObject(
      {
        ok: false,
        problems: [{ path: 'features[2].properties.kind', rule: 'wrong_kind' }],
      },
    );
    expect(mapParcelFeature(feature(null), 5)).toMatchObject({
      ok: false,
      problems: [
        { path: 'features[5].properties.code', rule: 'missing_property' },
        { path: 'features[5].properties.season', rule: 'missing_property' },
      ],
    });
  });
});

describe('checkParcel on mapped features', () => {
  it('accepts a good parcel and resolves its loan by reference', () => {
    const result = importOne(
      feature({ code: 'P-1', crop_code: 1200, season: 2018, loan_reference: 'L-TEST-1' }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({ code: 'P-1', loanId, declaredCropName: 'Maize' });
    expect(result.value.geometry.areaM2).toBeGreaterThan(7000);
    expect(result.warnings).toEqual([]);
  });

  it('names an unknown crop code, a loan of someone else and season dates in the wrong order', () => {
    const result = importOne(
      feature({
        code: 'P-2',
        crop_code: 9999,
        season: 2018,
        season_start: '2018-10-01',
        season_end: '2018-04-01',
        loan_id: '00000000-0000-4000-8000-0000000000ff',
      }),
      6,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      {
        path: 'features[6].properties.loan_id',
        rule: 'loan_not_of_borrower',
        message:
          'features[6] ("P-2"): properties.loan_id 00000000-0000-4000-8000-0000000000ff is not a loan of farm "F-TEST"’s borrower B-TEST',
      },
      {
        path: 'features[6].properties.crop_code',
        rule: 'unknown_crop_code',
        message:
          'features[6] ("P-2"): properties.crop_code 9999 is not a known crop type (WorldCereal codes, e.g. 1200 Maize)',
      },
      {
        path: 'features[6].properties.season_end',
        rule: 'season_dates',
        message:
          'features[6] ("P-2"): properties.season_end 2018-04-01 must be after properties.season_start 2018-10-01',
      },
    ]);
  });

  it('reports geometry problems with the feature, the ring and the rule', () => {
    const bowTie = {
      type: 'Polygon',
      coordinates: [
        [
          [3.002, 50.802],
          [3.003, 50.803],
          [3.003, 50.802],
          [3.002, 50.803],
          [3.002, 50.802],
        ],
      ],
    };
    const result = importOne(feature({ code: 'P-3', season: 2018 }, bowTie), 2);
    expect(result).toMatchObject({
      ok: false,
      problems: [{ path: 'features[2].geometry.coordinates[0][0]', rule: 'self_intersection' }],
    });
    if (!result.ok)
      expect(result.problems[0]?.message).toMatch(
        /^features\[2\] \("P-3"\): exterior ring crosses itself/,
      );
  });

  it('rewinds a clockwise ring (reported in fixes) and warns, without refusing, outside the farm', () => {
    const clockwiseOutside = {
      type: 'Polygon',
      coordinates: [
        [
          [3.02, 50.82],
          [3.02, 50.821],
          [3.021, 50.821],
          [3.021, 50.82],
          [3.02, 50.82],
        ],
      ],
    };
    const result = importOne(feature({ code: 'P-4', season: 2018 }, clockwiseOutside), 1);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.geometry.fixes).toEqual([
      'features[1] ("P-4"): exterior ring was clockwise; rewound counter-clockwise as RFC 7946 §3.1.6 requires',
    ]);
    expect(result.warnings).toEqual([
      {
        path: 'features[1].geometry',
        rule: 'outside_farm_boundary',
        message:
          'features[1] ("P-4"): lies outside farm "F-TEST"’s boundary (stored anyway: a register’s parcels may lie beyond the yard)',
      },
    ]);
  });

  it('counts the vertices outside when a parcel straddles the farm boundary', () => {
    const straddling = square(3.0095, 50.805, 0.001);
    const result = importOne(feature({ code: 'P-5', season: 2018 }, straddling));
    expect(result.ok && result.warnings[0]?.message).toBe(
      'features[0] ("P-5"): 2 of 4 tested vertices lie outside farm "F-TEST"’s boundary (stored anyway)',
    );
  });
});

describe('mapFarmFeature', () => {
  it('reads code, name and the borrower by id or ref', () => {
    expect(
      mapFarmFeature(feature({ code: 'F-1', name: 'Hoeve', borrower_ref: 'B-001' }), 0),
    ).toMatchObject({
      ok: true,
      value: { code: 'F-1', name: 'Hoeve', borrowerId: null, borrowerRef: 'B-001' },
    });
    expect(
      mapFarmFeature(feature({ code: 'F-1', name: 'Hoeve', borrower_id: loanId.toUpperCase() }), 0),
    ).toMatchObject({
      ok: true,
      value: { borrowerId: loanId },
    });
  });

  it('needs a borrower and a name, and refuses a parcel feature', () => {
    const mapped = mapFarmFeature(feature({ code: 'F-2', kind: 'parcel' }), 3);
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.problems.map((p) => [p.path, p.rule])).toEqual([
      ['features[3].properties.kind', 'wrong_kind'],
      ['features[3].properties.name', 'missing_property'],
      ['features[3].properties.borrower_id', 'missing_property'],
    ]);
  });
});
