import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { areaM2 } from '../../geo/index.ts';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import { badShapes, clockwiseSquare, square } from './farms-test-shapes.ts';

interface FarmFeature {
  type: 'Feature';
  id: string;
  bbox: number[];
  geometry: { type: string; coordinates: number[][][] };
  properties: Record<string, unknown>;
}

describe.each(testBackends)('farms API on $name', (backend) => {
  let h: ApiHarness;
  let b001: string;
  let b002: string;
  let b003: string;
  const codes = (features: FarmFeature[]) => features.map((f) => f.properties['code']);

  beforeAll(async () => {
    h = await createApiHarness(backend);
    b001 = await h.idOf('borrowers', 'ref', 'B-001');
    b002 = await h.idOf('borrowers', 'ref', 'B-002');
    b003 = await h.idOf('borrowers', 'ref', 'B-003');
  });
  afterAll(async () => {
    await h.close();
  });

  const newFarm = (
    code: string,
    boundary: unknown = square(3.1, 50.9, 0.01),
    borrowerId = b001,
  ) => ({
    borrowerId,
    code,
    name: `Farm ${code}`,
    boundary,
  });

  it('needs a signed-in caller', async () => {
    const response = await h.call(null, 'GET', '/api/farms');
    expect(response.status).toBe(401);
  });

  it('lists the branch’s farms as a FeatureCollection with their portfolio facts; an admin sees all', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/farms');
    expect(krt.status).toBe(200);
    expect(krt.body.type).toBe('FeatureCollection');
    expect(codes(krt.body.features)).toEqual(['F-KRT-01', 'F-KRT-02']);
    const farm = krt.body.features[0] as FarmFeature;
    expect(farm).toMatchObject({ type: 'Feature', geometry: { type: 'Polygon' } });
    expect(farm.properties).toMatchObject({
      code: 'F-KRT-01',
      borrowerId: b001,
      borrowerRef: 'B-001',
      branchId: await h.idOf('branches', 'code', 'KRT'),
      branchCode: 'KRT',
      parcelCount: 6,
    });
    expect(farm.properties['herdCount']).toEqual(expect.any(Number));
    expect(farm.properties['pledgedHeadCount']).toEqual(expect.any(Number));
    expect(farm.properties['areaM2']).toBeCloseTo(areaM2(farm.geometry as never), 3);
    expect(farm.bbox).toHaveLength(4);

    const aal = await h.call('aalOfficer', 'GET', '/api/farms');
    expect(codes(aal.body.features)).toEqual(['F-AAL-01', 'F-AAL-02']);
    const admin = await h.call('admin', 'GET', '/api/farms');
    expect(codes(admin.body.features)).toEqual(['F-AAL-01', 'F-AAL-02', 'F-KRT-01', 'F-KRT-02']);
  });

  it('filters by borrower, text and bbox, and pages with a cursor', async () => {
    const byBorrower = await h.call('krtOfficer', 'GET', `/api/farms?borrowerId=${b002}`);
    expect(codes(byBorrower.body.features)).toEqual(['F-KRT-02']);
    // Another branch's borrower filters to nothing rather than revealing its farms.
    const other = await h.call('krtOfficer', 'GET', `/api/farms?borrowerId=${b003}`);
    expect(other.body.features).toEqual([]);

    const text = await h.call('admin', 'GET', '/api/farms?q=krt-01');
    expect(codes(text.body.features)).toEqual(['F-KRT-01']);

    const krt01 = (await h.call('admin', 'GET', '/api/farms?q=F-KRT-01')).body
      .features[0] as FarmFeature;
    const [minLng, minLat] = krt01.bbox as [number, number];
    const around = await h.call(
      'admin',
      'GET',
      `/api/farms?bbox=${minLng - 0.0001},${minLat - 0.0001},${minLng + 0.0001},${minLat + 0.0001}`,
    );
    expect(codes(around.body.features)).toContain('F-KRT-01');
    const far = await h.call('admin', 'GET', '/api/farms?bbox=10,10,10.1,10.1');
    expect(far.body.features).toEqual([]);
    const badBbox = await h.call('admin', 'GET', '/api/farms?bbox=3,51,2,50');
    expect(badBbox.status).toBe(400);

    const first = await h.call('admin', 'GET', '/api/farms?limit=3');
    expect(first.body.features).toHaveLength(3);
    const second = await h.call(
      'admin',
      'GET',
      `/api/farms?limit=3&cursor=${first.body.nextCursor}`,
    );
    expect(codes(second.body.features)).toEqual(['F-KRT-02']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('answers 404 for another branch’s farm on read, change and delete', async () => {
    const aalFarm = await h.idOf('farms', 'code', 'F-AAL-01');
    expect((await h.call('krtOfficer', 'GET', `/api/farms/${aalFarm}`)).status).toBe(404);
    expect(
      (await h.call('krtOfficer', 'PATCH', `/api/farms/${aalFarm}`, { name: 'x' })).status,
    ).toBe(404);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/farms/${aalFarm}`)).status).toBe(404);
    expect((await h.call('aalOfficer', 'GET', `/api/farms/${aalFarm}`)).status).toBe(200);
    expect((await h.call('admin', 'GET', `/api/farms/${aalFarm}`)).status).toBe(200);
  });

  it('creates a farm under a borrower of the branch, computes its area, audits, refuses duplicates', async () => {
    const boundary = square(3.1, 50.9, 0.01);
    const created = await h.call('krtOfficer', 'POST', '/api/farms', newFarm('F-KRT-10', boundary));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'Feature',
      geometry: boundary,
      bbox: [3.1, 50.9, 3.11, 50.91],
      fixes: [],
      properties: { code: 'F-KRT-10', borrowerId: b001, branchCode: 'KRT', parcelCount: 0 },
    });
    expect(created.body.properties.areaM2).toBeCloseTo(areaM2(boundary), 6);

    const { rows } = await h.storage.query<{
      action: string;
      branch_id: string;
      after: FarmFeature;
    }>(
      `select action, branch_id, after from audit_log where entity_type = 'farms' and entity_id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([
      {
        action: 'create',
        branch_id: await h.idOf('branches', 'code', 'KRT'),
        after: expect.objectContaining({
          properties: expect.objectContaining({ code: 'F-KRT-10' }),
        }),
      },
    ]);

    const again = await h.call('krtOfficer', 'POST', '/api/farms', newFarm('F-KRT-10'));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('never takes the area from the input', async () => {
    const response = await h.call('krtOfficer', 'POST', '/api/farms', {
      ...newFarm('F-KRT-11'),
      areaM2: 1,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details).toEqual([
      expect.objectContaining({ path: 'json', message: expect.stringContaining('areaM2') }),
    ]);
  });

  it('rewinds a clockwise boundary, stores it counter-clockwise and says so in `fixes`', async () => {
    const response = await h.call(
      'krtOfficer',
      'POST',
      '/api/farms',
      newFarm('F-KRT-12', clockwiseSquare(3.1, 50.9, 0.01)),
    );
    expect(response.status).toBe(201);
    expect(response.body.fixes).toEqual([
      'farm "F-KRT-12" boundary: exterior ring was clockwise; rewound counter-clockwise as RFC 7946 §3.1.6 requires',
    ]);
    expect(response.body.geometry).toEqual(square(3.1, 50.9, 0.01));
    const read = await h.call('krtOfficer', 'GET', `/api/farms/${response.body.id}`);
    expect(read.body.geometry).toEqual(square(3.1, 50.9, 0.01));
    expect(read.body.fixes).toBeUndefined();
  });

  it.each(Object.entries(badShapes))(
    'refuses a %s boundary with a 400 naming the farm, the ring and the rule',
    async (name, shape) => {
      const code = `F-BAD-${name}`.slice(0, 40);
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/farms',
        newFarm(code, shape.geometry),
      );
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('invalid_input');
      const details = response.body.error.details as Array<{
        path: string;
        rule: string;
        message: string;
      }>;
      expect(details.map((d) => d.rule)).toContain(shape.rule);
      for (const d of details) {
        expect(d.path).toMatch(/^json\.boundary/);
        expect(d.message).toMatch(new RegExp(`^farm "${code}" boundary: `));
      }
      expect(response.body.error.message).toContain(details[0]?.message);
      const { rows } = await h.storage.query('select 1 from farms where code = $1', [code]);
      expect(rows).toEqual([]);
    },
  );

  it('gives the messages of the geometry rules', async () => {
    const messageOf = async (geometry: unknown) =>
      (await h.call('krtOfficer', 'POST', '/api/farms', newFarm('F-MSG', geometry))).body.error
        .details[0];
    expect(await messageOf(badShapes.latitude91.geometry)).toEqual({
      path: 'json.boundary.coordinates[0][2]',
      rule: 'coordinate_out_of_range',
      message: 'farm "F-MSG" boundary: exterior ring position 3 latitude 91 out of range [-90, 90]',
    });
    expect((await messageOf(badShapes.bowTie.geometry)).message).toMatch(
      /exterior ring crosses itself .*bow-tie/,
    );
    expect((await messageOf(badShapes.unclosedRing.geometry)).path).toBe(
      'json.boundary.coordinates[0]',
    );
    expect((await messageOf(badShapes.emptyGeometry.geometry)).path).toBe(
      'json.boundary.coordinates',
    );
    expect((await messageOf(badShapes.holeOutsideShell.geometry)).message).toMatch(
      /hole 1 lies outside the exterior ring/,
    );
    // Not even the shape of a geometry: the request schema answers first.
    const point = await h.call(
      'krtOfficer',
      'POST',
      '/api/farms',
      newFarm('F-MSG', { type: 'Point', coordinates: [3, 50] }),
    );
    expect(point.status).toBe(400);
    expect(point.body.error.details[0].path).toBe('json.boundary.type');
  });

  it('validates the other fields with their paths', async () => {
    const response = await h.call('krtOfficer', 'POST', '/api/farms', {
      code: 'bad code!',
      name: '',
      boundary: square(3.1, 50.9, 0.01),
    });
    expect(response.status).toBe(400);
    const paths = response.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['json.borrowerId', 'json.code', 'json.name']));
  });

  it('creates only under a borrower the caller can see', async () => {
    const response = await h.call(
      'krtOfficer',
      'POST',
      '/api/farms',
      newFarm('F-KRT-13', undefined, b003),
    );
    expect(response.status).toBe(404);
    expect(response.body.error.message).toContain('borrower');
    const admin = await h.call('admin', 'POST', '/api/farms', newFarm('F-AAL-13', undefined, b003));
    expect(admin.status).toBe(201);
    expect(admin.body.properties.branchCode).toBe('AAL');
  });

  it('changes a farm: a new boundary gets a new area and bbox; before and after are audited', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/farms', newFarm('F-KRT-14'))).body
      .id as string;
    const bigger = square(3.1, 50.9, 0.02);
    const changed = await h.call('krtOfficer', 'PATCH', `/api/farms/${id}`, {
      name: 'Renamed',
      boundary: bigger,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      geometry: bigger,
      bbox: [3.1, 50.9, 3.12, 50.92],
      properties: { name: 'Renamed' },
    });
    expect(changed.body.properties.areaM2).toBeCloseTo(areaM2(bigger), 6);

    const { rows } = await h.storage.query<{ before: FarmFeature; after: FarmFeature }>(
      `select before, after from audit_log where entity_id = $1 and action = 'update'`,
      [id],
    );
    expect(rows[0]?.before.properties['name']).toBe('Farm F-KRT-14');
    expect(rows[0]?.after.properties['name']).toBe('Renamed');
    expect(rows[0]?.after.properties['areaM2']).toBeGreaterThan(
      rows[0]?.before.properties['areaM2'] as number,
    );

    const bad = await h.call('krtOfficer', 'PATCH', `/api/farms/${id}`, {
      boundary: badShapes.latitude91.geometry,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({
      path: 'json.boundary.coordinates[0][2]',
      rule: 'coordinate_out_of_range',
    });
    expect((await h.call('krtOfficer', 'GET', `/api/farms/${id}`)).body.geometry).toEqual(bigger);
  });

  it('moves a farm only to a visible borrower, and not while its pledges are under the old borrower’s loans', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/farms', newFarm('F-KRT-15'))).body
      .id as string;
    const away = await h.call('krtOfficer', 'PATCH', `/api/farms/${id}`, { borrowerId: b003 });
    expect(away.status).toBe(404);
    const moved = await h.call('krtOfficer', 'PATCH', `/api/farms/${id}`, { borrowerId: b002 });
    expect(moved.status).toBe(200);
    expect(moved.body.properties.borrowerRef).toBe('B-002');

    const pledged = await h.idOf('farms', 'code', 'F-KRT-01');
    const refused = await h.call('krtOfficer', 'PATCH', `/api/farms/${pledged}`, {
      borrowerId: b002,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('6 parcel(s)');
  });

  it('deletes: supervisors only, and not a farm that still has parcels, herds or devices', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/farms', newFarm('F-KRT-16'))).body
      .id as string;
    expect((await h.call('krtOfficer', 'DELETE', `/api/farms/${id}`)).status).toBe(403);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/farms/${id}`)).status).toBe(204);
    expect((await h.call('krtSupervisor', 'GET', `/api/farms/${id}`)).status).toBe(404);
    const { rows } = await h.storage.query<{ before: FarmFeature; after: unknown }>(
      `select before, after from audit_log where entity_id = $1 and action = 'delete'`,
      [id],
    );
    expect(rows).toEqual([{ before: expect.objectContaining({ id }), after: null }]);

    const busy = await h.idOf('farms', 'code', 'F-KRT-01');
    const refused = await h.call('krtSupervisor', 'DELETE', `/api/farms/${busy}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/still has 6 parcels/);
  });
});
