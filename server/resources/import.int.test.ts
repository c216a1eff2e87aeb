import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Polygon } from '../../geo/index.ts';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import { badShapes, flandersRegisters, square } from './farms-test-shapes.ts';
import type { ImportReport } from './import-report.ts';

interface Feature {
  type: 'Feature';
  id?: string;
  properties: Record<string, unknown>;
  geometry: { type: string; coordinates: number[][][] };
}
interface FeatureCollection {
  type: 'FeatureCollection';
  features: Feature[];
}

const flandersPresent = existsSync(flandersRegisters[2018]) && existsSync(flandersRegisters[2019]);
if (!flandersPresent) {
  console.warn(
    `import tests: the Sentinel-2 parcel registers are not at ${flandersRegisters[2018]} and ` +
      `${flandersRegisters[2019]}; the tests that import them are skipped.`,
  );
}

function readRegister(year: 2018 | 2019): FeatureCollection {
  return JSON.parse(readFileSync(flandersRegisters[year], 'utf8')) as FeatureCollection;
}

function collection(features: unknown[]) {
  return { type: 'FeatureCollection', features };
}

function parcelFeature(code: string, geometry: unknown, extra: Record<string, unknown> = {}) {
  return {
    type: 'Feature',
    properties: { code, crop_code: 1200, season: 2018, ...extra },
    geometry,
  };
}

describe.each(testBackends)('GeoJSON imports on $name', (backend) => {
  let h: ApiHarness;
  let b001: string;
  let b002: string;
  let krtBoundary: Polygon;
  let farmCount = 0;

  /** A new empty farm of borrower B-001 with F-KRT-01's boundary. */
  async function emptyFarm(): Promise<{ id: string; code: string }> {
    farmCount += 1;
    const code = `F-KRT-IMP-${farmCount}`;
    const response = await h.call('krtOfficer', 'POST', '/api/farms', {
      borrowerId: b001,
      code,
      name: `Import target ${farmCount}`,
      boundary: krtBoundary,
    });
    expect(response.status).toBe(201);
    return { id: response.body.id as string, code };
  }

  /** A square of 0.0003° inside F-KRT-01, the n-th along its southern edge. */
  function insideSquare(n: number): Polygon {
    const [lng, lat] = krtBoundary.coordinates[0]?.[0] ?? [0, 0];
    return square(lng + 0.0005 + n * 0.0005, lat + 0.0005, 0.0003);
  }

  async function parcelCodes(farmId: string): Promise<string[]> {
    const { rows } = await h.storage.query<{ code: string }>(
      'select code from parcels where farm_id = $1 order by code',
      [farmId],
    );
    return rows.map((r) => r.code);
  }

  beforeAll(async () => {
    h = await createApiHarness(backend);
    b001 = await h.idOf('borrowers', 'ref', 'B-001');
    b002 = await h.idOf('borrowers', 'ref', 'B-002');
    const krt01 = await h.idOf('farms', 'code', 'F-KRT-01');
    krtBoundary = (await h.call('krtOfficer', 'GET', `/api/farms/${krt01}`)).body
      .geometry as Polygon;
  });
  afterAll(async () => {
    await h.close();
  });

  describe('parcels: POST /api/farms/{farmId}/parcels/import', () => {
    it.skipIf(!flandersPresent)(
      'imports the Flanders 2018 and 2019 registers: all 18 features of each accepted',
      async () => {
        const farm = await emptyFarm();
        for (const year of [2018, 2019] as const) {
          const register = readRegister(year);
          const response = await h.call(
            'krtOfficer',
            'POST',
            `/api/farms/${farm.id}/parcels/import`,
            register,
          );
          expect(response.status).toBe(200);
          const report = response.body as ImportReport;
          expect(report.dryRun).toBe(false);
          expect(report.totals).toEqual({ features: 18, accepted: 18, rejected: 0 });
          expect(report.results.map((r) => r.status)).toEqual(Array(18).fill('accepted'));
          expect(report.results.map((r) => r.code)).toEqual(
            register.features.map((f) => f.properties['parcel_id']),
          );
          for (const r of report.results) {
            expect(r.id).toEqual(expect.any(String));
            expect(r.problems).toEqual([]);
          }
          // 2018's parcels lie inside F-KRT-01's boundary; 2019's are elsewhere in Flanders.
          const warned = report.results.filter((r) => r.warnings.length > 0).length;
          if (year === 2018) expect(warned).toBe(0);
          else
            expect(
              report.results.every((r) => r.warnings[0]?.rule === 'outside_farm_boundary'),
            ).toBe(true);
        }

        const listed = await h.call(
          'krtOfficer',
          'GET',
          `/api/parcels?farmId=${farm.id}&limit=500`,
        );
        const features = listed.body.features as Feature[];
        expect(features).toHaveLength(36);
        const source = new Map(
          [...readRegister(2018).features, ...readRegister(2019).features].map((f) => [
            f.properties['parcel_id'],
            f,
          ]),
        );
        for (const parcel of features) {
          const original = source.get(parcel.properties['code']);
          expect(original, String(parcel.properties['code'])).toBeDefined();
          const crop = original?.properties['crop_code'] ?? null;
          expect(parcel.properties['declaredCropCode']).toBe(crop);
          // Every crop code of the registers is a known crop type: it has a name.
          if (crop !== null)
            expect(parcel.properties['declaredCropName']).toEqual(expect.any(String));
          expect(parcel.properties['declaredAreaM2']).toBe(original?.properties['area_m2']);
          expect(parcel.properties['season']).toBe(String(original?.properties['season']));
          // Measured on the ellipsoid vs the register's 10 m pixel count: within 1 %.
          const measured = parcel.properties['areaM2'] as number;
          expect(Math.abs(measured / (original?.properties['area_m2'] as number) - 1)).toBeLessThan(
            0.01,
          );
        }

        const { rows } = await h.storage.query<{ n: number }>(
          `select count(*)::int as n from audit_log a join parcels p on p.id::text = a.entity_id
           where a.action = 'import' and a.entity_type = 'parcels' and p.farm_id = $1
             and a.branch_id = (select id from branches where code = 'KRT')`,
          [farm.id],
        );
        expect(rows[0]?.n).toBe(36);
      },
    );

    it.skipIf(!flandersPresent)(
      'imports 17 of 20 features when 3 are broken, and names the problem of each of the 3',
      async () => {
        const farm = await emptyFarm();
        const features: unknown[] = structuredClone(readRegister(2018).features);
        const bowTieAt = 2;
        const unclosedAt = 5;
        const latitude91At = 9;
        // The bow-tie joins the corners of the parcel's own bbox crosswise.
        const bowTie = features[bowTieAt] as Feature;
        const ring = bowTie.geometry.coordinates[0] ?? [];
        const lngs = ring.map((p) => p[0] ?? 0);
        const lats = ring.map((p) => p[1] ?? 0);
        const [west, east] = [Math.min(...lngs), Math.max(...lngs)];
        const [south, north] = [Math.min(...lats), Math.max(...lats)];
        bowTie.geometry = {
          type: 'Polygon',
          coordinates: [
            [
              [west, south],
              [east, north],
              [east, south],
              [west, north],
              [west, south],
            ],
          ],
        };
        const unclosed = features[unclosedAt] as Feature;
        unclosed.geometry.coordinates[0]?.pop();
        const tooFarNorth = features[latitude91At] as Feature;
        const position = tooFarNorth.geometry.coordinates[0]?.[1];
        if (position !== undefined) position[1] = 91;
        features.push(
          parcelFeature('SYN-1', insideSquare(1)),
          parcelFeature('SYN-2', insideSquare(2), { season: '2018' }),
        );
        expect(features).toHaveLength(20);

        const response = await h.call(
          'krtOfficer',
          'POST',
          `/api/farms/${farm.id}/parcels/import`,
          collection(features),
        );
        expect(response.status).toBe(200);
        const report = response.body as ImportReport;
        expect(report.totals).toEqual({ features: 20, accepted: 17, rejected: 3 });
        const rejected = report.results.filter((r) => r.status === 'rejected');
        expect(rejected.map((r) => [r.index, r.problems.map((p) => p.rule)])).toEqual([
          [bowTieAt, ['self_intersection']],
          [unclosedAt, ['unclosed_ring']],
          [latitude91At, ['coordinate_out_of_range']],
        ]);
        for (const r of rejected) {
          expect(r.id).toBeUndefined();
          const label = `features[${r.index}] ("${r.code}")`;
          expect(r.problems[0]?.message.startsWith(`${label}: exterior ring`)).toBe(true);
          expect(
            r.problems[0]?.path.startsWith(`features[${r.index}].geometry.coordinates[0]`),
          ).toBe(true);
        }
        expect(rejected[0]?.problems[0]?.message).toMatch(/crosses itself .*\(bow-tie\)/);
        expect(rejected[1]?.problems[0]?.message).toMatch(
          /exterior ring is not closed: first position .* differs from last/,
        );
        expect(rejected[2]?.problems[0]?.message).toContain('latitude 91 out of range [-90, 90]');

        const stored = await parcelCodes(farm.id);
        expect(stored).toHaveLength(17);
        for (const r of rejected) expect(stored).not.toContain(r.code);
        expect(stored).toEqual(expect.arrayContaining(['SYN-1', 'SYN-2']));
        const { rows } = await h.storage.query<{ n: number }>(
          `select count(*)::int as n from audit_log where action = 'import' and entity_id = any($1::text[])`,
          [report.results.flatMap((r) => (r.id === undefined ? [] : [r.id]))],
        );
        expect(rows[0]?.n).toBe(17);
      },
    );

    it('checks everything on a dry run and writes nothing', async () => {
      const farm = await emptyFarm();
      const body = collection([
        parcelFeature('D-1', insideSquare(1)),
        parcelFeature('D-2', badShapes.latitude91.geometry),
      ]);
      const response = await h.call(
        'krtOfficer',
        'POST',
        `/api/farms/${farm.id}/parcels/import?dryRun=true`,
        body,
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        dryRun: true,
        totals: { features: 2, accepted: 1, rejected: 1 },
      });
      expect(response.body.results[0].id).toBeUndefined();
      expect(await parcelCodes(farm.id)).toEqual([]);
      const { rows } = await h.storage.query(
        `select 1 from audit_log where action = 'import' and request_id = $1`,
        [response.headers.get('x-request-id')],
      );
      expect(rows).toEqual([]);
    });

    it('rejects a parcel already on the farm and one repeated in the file, and maps the register’s properties', async () => {
      const farm = await emptyFarm();
      const loan = await h.idOf('loans', 'reference', 'L-2017-0001');
      const first = await h.call(
        'krtOfficer',
        'POST',
        `/api/farms/${farm.id}/parcels/import`,
        collection([
          parcelFeature('R-1', insideSquare(1), {
            declared_area_m2: 1234.5,
            area_m2: 99,
            season_start: '2018-04-01',
            season_end: '2018-10-31',
            loan_id: loan,
          }),
        ]),
      );
      expect(first.body.totals.accepted).toBe(1);
      const stored = await h.call('krtOfficer', 'GET', `/api/parcels/${first.body.results[0].id}`);
      expect(stored.body.properties).toMatchObject({
        code: 'R-1',
        declaredCropCode: 1200,
        declaredAreaM2: 1234.5,
        season: '2018',
        seasonStart: '2018-04-01',
        seasonEnd: '2018-10-31',
        loanId: loan,
        loanReference: 'L-2017-0001',
      });

      const second = await h.call(
        'krtOfficer',
        'POST',
        `/api/farms/${farm.id}/parcels/import`,
        collection([
          parcelFeature('R-1', insideSquare(2)),
          parcelFeature('R-1', insideSquare(3), { season: 2019 }),
          parcelFeature('R-2', insideSquare(4)),
          parcelFeature('R-2', insideSquare(5)),
          parcelFeature('R-3', insideSquare(6), { loan_reference: 'L-2024-0002', crop_code: 4242 }),
        ]),
      );
      expect(second.status).toBe(200);
      expect(
        second.body.results.map(
          (r: { status: string; problems: Array<{ rule: string; message: string }> }) => [
            r.status,
            r.problems.map((p) => p.rule),
          ],
        ),
      ).toEqual([
        ['rejected', ['duplicate_parcel']],
        ['accepted', []],
        ['accepted', []],
        ['rejected', ['duplicate_parcel']],
        ['rejected', ['loan_not_of_borrower', 'unknown_crop_code']],
      ]);
      expect(second.body.results[0].problems[0].message).toBe(
        `features[0] ("R-1"): parcel "R-1" of season 2018 already exists on farm "${farm.code}"`,
      );
      expect(second.body.results[3].problems[0].message).toBe(
        'features[3] ("R-2"): parcel "R-2" of season 2018 is also features[2] of this file',
      );
      expect(second.body.results[4].problems[1].message).toContain(
        'properties.crop_code 4242 is not a known crop type',
      );
    });

    it('answers 404 for another branch’s farm whatever the body, and writes nothing', async () => {
      const aalFarm = await h.idOf('farms', 'code', 'F-AAL-02');
      const good = collection([parcelFeature('X-1', square(5.2, 50.9, 0.001))]);
      for (const body of [good, {}, 'not json']) {
        const response = await h.call(
          'krtOfficer',
          'POST',
          `/api/farms/${aalFarm}/parcels/import`,
          body,
        );
        expect(response.status, JSON.stringify(body)).toBe(404);
      }
      expect(
        (await h.call('krtSupervisor', 'POST', `/api/farms/${aalFarm}/parcels/import`, good))
          .status,
      ).toBe(404);
      expect(await parcelCodes(aalFarm)).not.toContain('X-1');
      const admin = await h.call(
        'admin',
        'POST',
        `/api/farms/${aalFarm}/parcels/import?dryRun=true`,
        good,
      );
      expect(admin.status).toBe(200);
      const unknown = await h.call(
        'krtOfficer',
        'POST',
        '/api/farms/00000000-0000-4000-8000-000000000000/parcels/import',
        good,
      );
      expect(unknown.status).toBe(404);
      const malformed = await h.call('krtOfficer', 'POST', '/api/farms/nope/parcels/import', good);
      expect(malformed.status).toBe(400);
    });

    it('refuses with 400 what is not a FeatureCollection, an empty one, and a register in another CRS', async () => {
      const farm = await emptyFarm();
      const url = `/api/farms/${farm.id}/parcels/import`;
      const notCollection = await h.call('krtOfficer', 'POST', url, {
        type: 'Feature',
        properties: {},
      });
      expect(notCollection.status).toBe(400);
      expect(notCollection.body.error.details.map((d: { path: string }) => d.path)).toEqual(
        expect.arrayContaining(['json.type', 'json.features']),
      );
      const empty = await h.call('krtOfficer', 'POST', url, collection([]));
      expect(empty.status).toBe(400);
      expect(empty.body.error.details[0].path).toBe('json.features');
      const lambert = await h.call('krtOfficer', 'POST', url, {
        ...collection([parcelFeature('L-1', square(150000, 170000, 100))]),
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::31370' } },
      });
      expect(lambert.status).toBe(400);
      expect(lambert.body.error.details[0]).toMatchObject({
        path: 'json.crs',
        rule: 'unsupported_crs',
      });
      const crs84 = await h.call('krtOfficer', 'POST', `${url}?dryRun=true`, {
        ...collection([parcelFeature('L-1', insideSquare(1))]),
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:OGC:1.3:CRS84' } },
      });
      expect(crs84.status).toBe(200);
      const malformed = await h.call('krtOfficer', 'POST', url, '{"type": "FeatureCollection",');
      expect(malformed.status).toBe(400);
    });

    it('takes a register larger than the 1 MiB default; a 200 000-vertex feature is rejected on its own', async () => {
      const farm = await emptyFarm();
      const n = 200_000;
      const ring: Array<[number, number]> = [];
      for (let i = 0; i < n - 1; i++) {
        const t = (2 * Math.PI * i) / (n - 1);
        ring.push([3.1 + 0.01 * Math.cos(t), 50.9 + 0.01 * Math.sin(t)]);
      }
      ring.push(ring[0] ?? [0, 0]);
      const body = JSON.stringify(
        collection([
          parcelFeature('BIG-1', { type: 'Polygon', coordinates: [ring] }),
          parcelFeature('SMALL-1', insideSquare(1)),
        ]),
      );
      expect(body.length).toBeGreaterThan(4 * 1024 * 1024);
      const response = await h.call(
        'krtOfficer',
        'POST',
        `/api/farms/${farm.id}/parcels/import`,
        body,
      );
      expect(response.status).toBe(200);
      expect(response.body.totals).toEqual({ features: 2, accepted: 1, rejected: 1 });
      expect(response.body.results[0].problems).toEqual([
        {
          path: 'features[0].geometry.coordinates',
          rule: 'too_many_vertices',
          message:
            'features[0] ("BIG-1"): polygon has 200000 vertices, more than the limit of 50000',
        },
      ]);
    });

    it('answers 413 above 20 MiB on an import route, and above the normal limit elsewhere', async () => {
      const farm = await emptyFarm();
      const huge = `{"type":"FeatureCollection","features":[],"padding":"${'x'.repeat(21 * 1024 * 1024)}"}`;
      const response = await h.call(
        'krtOfficer',
        'POST',
        `/api/farms/${farm.id}/parcels/import`,
        huge,
      );
      expect(response.status).toBe(413);
      expect(response.body.error).toMatchObject({
        code: 'payload_too_large',
        message: expect.stringContaining('20971520'),
      });
      const farms = await h.call('krtOfficer', 'POST', '/api/farms/import', huge);
      expect(farms.status).toBe(413);
      const overDefault = `{"code":"F-1","padding":"${'x'.repeat(1024 * 1024 + 10)}"}`;
      const normal = await h.call('krtOfficer', 'POST', '/api/farms', overDefault);
      expect(normal.status).toBe(413);
      expect(normal.body.error.message).toContain('1048576');
    });
  });

  describe('farms: POST /api/farms/import', () => {
    const farmFeature = (
      properties: Record<string, unknown>,
      geometry: unknown = square(3.3, 50.9, 0.01),
    ) => ({
      type: 'Feature',
      properties,
      geometry,
    });

    it('imports farms by borrower ref or id; rejects unknown borrowers, taken codes and bad boundaries', async () => {
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/farms/import',
        collection([
          farmFeature({ code: 'F-IMP-1', name: 'Hof één', borrower_ref: 'B-001' }),
          farmFeature({ code: 'F-IMP-2', name: 'Hof twee', borrower_id: b002 }),
          farmFeature({ code: 'F-IMP-3', name: 'Elders', borrower_ref: 'B-003' }),
          farmFeature({ code: 'F-KRT-01', name: 'Taken', borrower_ref: 'B-001' }),
          farmFeature(
            { code: 'F-IMP-5', name: 'Broken', borrower_ref: 'B-001' },
            badShapes.holeOutsideShell.geometry,
          ),
          farmFeature({ code: 'F-IMP-1', name: 'Again', borrower_ref: 'B-001' }),
          farmFeature({ code: 'F-IMP-7', name: 'Parcel', borrower_ref: 'B-001', kind: 'parcel' }),
          farmFeature({
            code: 'F-IMP-8',
            name: 'Mismatch',
            borrower_ref: 'B-001',
            borrower_id: b002,
          }),
        ]),
      );
      expect(response.status).toBe(200);
      const report = response.body as ImportReport;
      expect(report.totals).toEqual({ features: 8, accepted: 2, rejected: 6 });
      expect(report.results.map((r) => [r.code, r.status, r.problems.map((p) => p.rule)])).toEqual([
        ['F-IMP-1', 'accepted', []],
        ['F-IMP-2', 'accepted', []],
        ['F-IMP-3', 'rejected', ['unknown_borrower']],
        ['F-KRT-01', 'rejected', ['duplicate_farm']],
        ['F-IMP-5', 'rejected', ['hole_outside_shell']],
        ['F-IMP-1', 'rejected', ['duplicate_farm']],
        ['F-IMP-7', 'rejected', ['wrong_kind']],
        ['F-IMP-8', 'rejected', ['borrower_mismatch']],
      ]);
      // Another branch's borrower is "not found", exactly like one that does not exist.
      expect(report.results[2]?.problems[0]).toEqual({
        path: 'features[2].properties.borrower_ref',
        rule: 'unknown_borrower',
        message: 'features[2] ("F-IMP-3"): properties.borrower_ref "B-003" not found',
      });
      expect(report.results[4]?.problems[0]?.path).toBe('features[4].geometry.coordinates[1]');
      expect(report.results[4]?.problems[0]?.message).toMatch(
        /^features\[4\] \("F-IMP-5"\): hole 1 lies outside the exterior ring/,
      );

      const { rows } = await h.storage.query<{ code: string; ref: string }>(
        `select f.code, b.ref from farms f join borrowers b on b.id = f.borrower_id
         where f.code like 'F-IMP-%' order by f.code`,
      );
      expect(rows).toEqual([
        { code: 'F-IMP-1', ref: 'B-001' },
        { code: 'F-IMP-2', ref: 'B-002' },
      ]);
      const audit = await h.storage.query<{ entity_id: string; after: Feature }>(
        `select entity_id, after from audit_log where action = 'import' and entity_type = 'farms' and entity_id = any($1::text[])`,
        [[report.results[0]?.id, report.results[1]?.id]],
      );
      expect(audit.rows).toHaveLength(2);
      expect(audit.rows[0]?.after.properties['areaM2']).toBeGreaterThan(0);
    });

    it('lets an admin import for any branch', async () => {
      const response = await h.call(
        'admin',
        'POST',
        '/api/farms/import',
        collection([
          farmFeature({ code: 'F-IMP-AAL', name: 'Aalst import', borrower_ref: 'B-003' }),
        ]),
      );
      expect(response.body.totals.accepted).toBe(1);
      const { rows } = await h.storage.query<{ branch_id: string }>(
        `select branch_id from audit_log where entity_id = $1`,
        [response.body.results[0].id],
      );
      expect(rows).toEqual([{ branch_id: await h.idOf('branches', 'code', 'AAL') }]);
    });
  });
});
