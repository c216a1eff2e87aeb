import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { areaM2, type Polygon } from '../../geo/index.ts';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import { badShapes, clockwiseSquare, square } from './farms-test-shapes.ts';

interface ParcelFeature {
  id: string;
  geometry: Polygon;
  properties: Record<string, unknown>;
}

describe.each(testBackends)('parcels API on $name', (backend) => {
  let h: ApiHarness;
  let farmId: string;
  let farmBoundary: Polygon;
  let loan1: string;
  let loan2: string;
  let aalLoan: string;
  /** A small square inside F-KRT-01's boundary. */
  let inside: Polygon;
  const codes = (features: ParcelFeature[]) => features.map((f) => f.properties['code']);

  beforeAll(async () => {
    h = await createApiHarness(backend);
    farmId = await h.idOf('farms', 'code', 'F-KRT-01');
    loan1 = await h.idOf('loans', 'reference', 'L-2017-0001');
    loan2 = await h.idOf('loans', 'reference', 'L-2024-0002');
    aalLoan = await h.idOf('loans', 'reference', 'L-2018-0003');
    farmBoundary = (await h.call('krtOfficer', 'GET', `/api/farms/${farmId}`)).body
      .geometry as Polygon;
    const [lng, lat] = farmBoundary.coordinates[0]?.[0] ?? [0, 0];
    // The first boundary vertex of the demo farm is its south-west corner, slightly inset.
    inside = square(lng + 0.0005, lat + 0.0005, 0.0005);
  });
  afterAll(async () => {
    await h.close();
  });

  const newParcel = (code: string, extra: Record<string, unknown> = {}) => ({
    farmId,
    code,
    geometry: inside,
    declaredCropCode: 1200,
    declaredAreaM2: 2500,
    season: '2026',
    loanId: loan1,
    ...extra,
  });

  it('lists the branch’s parcels as Features, filtered by farm and loan', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/parcels?limit=500');
    expect(krt.status).toBe(200);
    expect(krt.body.type).toBe('FeatureCollection');
    expect(krt.body.features).toHaveLength(11);
    expect((await h.call('admin', 'GET', '/api/parcels?limit=500')).body.features).toHaveLength(21);

    const byFarm = await h.call('krtOfficer', 'GET', `/api/parcels?farmId=${farmId}`);
    expect(codes(byFarm.body.features)).toEqual([
      'P-KRT-01-1',
      'P-KRT-01-2',
      'P-KRT-01-3',
      'P-KRT-01-4',
      'P-KRT-01-5',
      'P-KRT-01-6',
    ]);
    const maize = (byFarm.body.features as ParcelFeature[]).find(
      (f) => f.properties['code'] === 'P-KRT-01-2',
    );
    expect(maize?.properties).toMatchObject({
      farmId,
      farmCode: 'F-KRT-01',
      loanId: loan1,
      loanReference: 'L-2017-0001',
      declaredCropCode: 1200,
      declaredCropName: 'Maize',
      season: '2018',
    });
    expect(maize?.properties['areaM2']).toBeCloseTo(areaM2(maize?.geometry as Polygon), 3);

    const byLoan = await h.call('krtOfficer', 'GET', `/api/parcels?loanId=${loan2}`);
    expect(codes(byLoan.body.features)).toHaveLength(5);
    const aalByLoan = await h.call('krtOfficer', 'GET', `/api/parcels?loanId=${aalLoan}`);
    expect(aalByLoan.body.features).toEqual([]);
    const text = await h.call('krtOfficer', 'GET', '/api/parcels?q=maize');
    expect(
      (text.body.features as ParcelFeature[]).every(
        (f) => f.properties['declaredCropName'] === 'Maize',
      ),
    ).toBe(true);
  });

  it('answers 404 for another branch’s parcel on read, change and delete', async () => {
    const aalParcel = await h.idOf('parcels', 'code', 'P-AAL-01-1');
    expect((await h.call('krtOfficer', 'GET', `/api/parcels/${aalParcel}`)).status).toBe(404);
    expect(
      (await h.call('krtOfficer', 'PATCH', `/api/parcels/${aalParcel}`, { season: '2027' })).status,
    ).toBe(404);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/parcels/${aalParcel}`)).status).toBe(404);
    expect((await h.call('aalOfficer', 'GET', `/api/parcels/${aalParcel}`)).status).toBe(200);
  });

  it('creates a parcel with its measured area, audits it, and refuses the same code and season twice', async () => {
    const created = await h.call('krtOfficer', 'POST', '/api/parcels', newParcel('P-NEW-1'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'Feature',
      geometry: inside,
      fixes: [],
      warnings: [],
      properties: {
        code: 'P-NEW-1',
        farmCode: 'F-KRT-01',
        declaredCropName: 'Maize',
        declaredAreaM2: 2500,
        season: '2026',
        seasonStart: null,
      },
    });
    expect(created.body.properties.areaM2).toBeCloseTo(areaM2(inside), 6);
    const { rows } = await h.storage.query<{ action: string; branch_id: string }>(
      `select action, branch_id from audit_log where entity_type = 'parcels' and entity_id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([
      { action: 'create', branch_id: await h.idOf('branches', 'code', 'KRT') },
    ]);

    const again = await h.call('krtOfficer', 'POST', '/api/parcels', newParcel('P-NEW-1'));
    expect(again.status).toBe(409);
    const nextSeason = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-NEW-1', { season: '2027' }),
    );
    expect(nextSeason.status).toBe(201);
  });

  it('stores a parcel outside the farm boundary with a warning, and a clockwise one rewound', async () => {
    const outside = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-OUT-1', { geometry: square(3.3, 50.9, 0.001) }),
    );
    expect(outside.status).toBe(201);
    expect(outside.body.warnings).toEqual([
      {
        path: 'json.geometry',
        rule: 'outside_farm_boundary',
        message:
          'parcel "P-OUT-1": lies outside farm "F-KRT-01"’s boundary (stored anyway: a register’s parcels may lie beyond the yard)',
      },
    ]);
    const [lng, lat] = inside.coordinates[0]?.[0] ?? [0, 0];
    const rewound = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-CW-1', { geometry: clockwiseSquare(lng, lat, 0.0005) }),
    );
    expect(rewound.status).toBe(201);
    expect(rewound.body.fixes).toHaveLength(1);
    expect(rewound.body.geometry).toEqual(inside);
  });

  it('refuses a loan that is not the farm borrower’s, in this branch or another, with the same message', async () => {
    const otherBorrower = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-L-1', { loanId: loan2 }),
    );
    expect(otherBorrower.status).toBe(400);
    expect(otherBorrower.body.error.details).toEqual([
      {
        path: 'json.loanId',
        rule: 'loan_not_of_borrower',
        message: `parcel "P-L-1": loanId ${loan2} is not a loan of farm "F-KRT-01"’s borrower B-001`,
      },
    ]);
    const otherBranch = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-L-1', { loanId: aalLoan }),
    );
    expect(otherBranch.status).toBe(400);
    expect(otherBranch.body.error.details[0].message).toBe(
      `parcel "P-L-1": loanId ${aalLoan} is not a loan of farm "F-KRT-01"’s borrower B-001`,
    );
    const noLoan = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-L-1', { loanId: null }),
    );
    expect(noLoan.status).toBe(201);
    expect(noLoan.body.properties.loanId).toBeNull();
  });

  it('refuses an unknown crop code naming it, and season dates in the wrong order', async () => {
    const crop = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-C-1', { declaredCropCode: 4242 }),
    );
    expect(crop.status).toBe(400);
    expect(crop.body.error.details).toEqual([
      expect.objectContaining({ path: 'json.declaredCropCode', rule: 'unknown_crop_code' }),
    ]);
    expect(crop.body.error.message).toContain('declaredCropCode 4242 is not a known crop type');

    const dates = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-C-1', { seasonStart: '2026-10-01', seasonEnd: '2026-03-01' }),
    );
    expect(dates.status).toBe(400);
    expect(dates.body.error.details[0]).toMatchObject({
      path: 'json.seasonEnd',
      rule: 'season_dates',
    });

    const shape = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-C-1', { declaredAreaM2: -1, season: '', seasonStart: '2026-02-31' }),
    );
    expect(shape.status).toBe(400);
    expect(shape.body.error.details.map((d: { path: string }) => d.path)).toEqual(
      expect.arrayContaining(['json.declaredAreaM2', 'json.season', 'json.seasonStart']),
    );
  });

  it.each(Object.entries(badShapes))(
    'refuses a %s geometry with a 400 naming the parcel and the rule',
    async (_name, shape) => {
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/parcels',
        newParcel('P-G-1', { geometry: shape.geometry }),
      );
      expect(response.status).toBe(400);
      const details = response.body.error.details as Array<{
        path: string;
        rule: string;
        message: string;
      }>;
      expect(details.map((d) => d.rule)).toContain(shape.rule);
      expect(
        details.every(
          (d) => d.path.startsWith('json.geometry') && d.message.startsWith('parcel "P-G-1": '),
        ),
      ).toBe(true);
    },
  );

  it('reports geometry and field problems together', async () => {
    const response = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-G-2', {
        geometry: badShapes.bowTie.geometry,
        declaredCropCode: 4242,
        loanId: loan2,
      }),
    );
    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { rule: string }) => d.rule)).toEqual([
      'self_intersection',
      'loan_not_of_borrower',
      'unknown_crop_code',
    ]);
  });

  it('creates only on a farm the caller can see', async () => {
    const aalFarm = await h.idOf('farms', 'code', 'F-AAL-01');
    const response = await h.call(
      'krtOfficer',
      'POST',
      '/api/parcels',
      newParcel('P-X-1', { farmId: aalFarm, loanId: null }),
    );
    expect(response.status).toBe(404);
    expect(response.body.error.message).toContain('farm');
  });

  it('changes a parcel: fields, geometry (new measured area), with the rules re-checked and audited', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/parcels', newParcel('P-U-1'))).body
      .id as string;
    const [lng, lat] = inside.coordinates[0]?.[0] ?? [0, 0];
    const smaller = square(lng, lat, 0.0002);
    const changed = await h.call('krtOfficer', 'PATCH', `/api/parcels/${id}`, {
      declaredCropCode: 9120,
      geometry: smaller,
      seasonStart: '2026-03-01',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.properties).toMatchObject({
      declaredCropName: 'Permanent grass crops',
      seasonStart: '2026-03-01',
      loanId: loan1,
    });
    expect(changed.body.properties.areaM2).toBeCloseTo(areaM2(smaller), 6);

    const cleared = await h.call('krtOfficer', 'PATCH', `/api/parcels/${id}`, {
      loanId: null,
      declaredCropCode: null,
    });
    expect(cleared.body.properties).toMatchObject({
      loanId: null,
      declaredCropCode: null,
      declaredCropName: null,
    });

    const badDates = await h.call('krtOfficer', 'PATCH', `/api/parcels/${id}`, {
      seasonEnd: '2026-01-01',
    });
    expect(badDates.status).toBe(400);
    expect(badDates.body.error.details[0].message).toBe(
      'parcel "P-U-1": seasonEnd 2026-01-01 must be after seasonStart 2026-03-01',
    );
    const badLoan = await h.call('krtOfficer', 'PATCH', `/api/parcels/${id}`, { loanId: loan2 });
    expect(badLoan.status).toBe(400);
    const badShape = await h.call('krtOfficer', 'PATCH', `/api/parcels/${id}`, {
      geometry: badShapes.unclosedRing.geometry,
    });
    expect(badShape.status).toBe(400);
    expect(badShape.body.error.details[0].rule).toBe('unclosed_ring');
    const move = await h.call('krtOfficer', 'PATCH', `/api/parcels/${id}`, { farmId });
    expect(move.status).toBe(400);
    expect(move.body.error.message).toContain('farmId cannot be changed');

    const { rows } = await h.storage.query<{ before: ParcelFeature; after: ParcelFeature }>(
      `select before, after from audit_log where entity_id = $1 and action = 'update' order by id`,
      [id],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]?.before.properties['declaredCropCode']).toBe(1200);
    expect(rows[0]?.after.properties['declaredCropCode']).toBe(9120);
  });

  it('deletes: supervisors only, audited', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/parcels', newParcel('P-D-1'))).body
      .id as string;
    expect((await h.call('krtOfficer', 'DELETE', `/api/parcels/${id}`)).status).toBe(403);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/parcels/${id}`)).status).toBe(204);
    const { rows } = await h.storage.query<{ action: string }>(
      `select action from audit_log where entity_id = $1 order by id`,
      [id],
    );
    expect(rows.map((r) => r.action)).toEqual(['create', 'delete']);
  });
});
