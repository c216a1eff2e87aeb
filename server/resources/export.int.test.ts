import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import type { ImportReport } from './import-report.ts';

interface ExportFeature {
  type: 'Feature';
  id: string;
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown> & { kind: 'farm' | 'parcel' };
}
interface Portfolio {
  type: 'FeatureCollection';
  features: ExportFeature[];
}

describe.each(testBackends)('GET /api/export/portfolio.geojson on $name', (backend) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await createApiHarness(backend);
  });
  afterAll(async () => {
    await h.close();
  });

  const kinds = (p: Portfolio, kind: 'farm' | 'parcel') =>
    p.features.filter((f) => f.properties.kind === kind);

  it('exports the caller’s branch as one GeoJSON FeatureCollection of farms and parcels', async () => {
    const response = await h.call('krtOfficer', 'GET', '/api/export/portfolio.geojson');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/geo+json');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="pledgewatch-portfolio-\d{4}-\d{2}-\d{2}\.geojson"$/,
    );
    const portfolio = response.body as Portfolio;
    expect(portfolio.type).toBe('FeatureCollection');
    expect(kinds(portfolio, 'farm').map((f) => f.properties['code'])).toEqual([
      'F-KRT-01',
      'F-KRT-02',
    ]);
    expect(kinds(portfolio, 'parcel')).toHaveLength(11);
    expect(kinds(portfolio, 'farm')[0]?.properties).toMatchObject({
      kind: 'farm',
      borrower_ref: 'B-001',
      borrower_id: await h.idOf('borrowers', 'ref', 'B-001'),
      branch_code: 'KRT',
    });
    const parcel = kinds(portfolio, 'parcel').find((f) => f.properties['code'] === 'P-KRT-01-2');
    expect(parcel?.properties).toMatchObject({
      kind: 'parcel',
      farm_code: 'F-KRT-01',
      borrower_ref: 'B-001',
      loan_reference: 'L-2017-0001',
      loan_id: await h.idOf('loans', 'reference', 'L-2017-0001'),
      crop_code: 1200,
      crop_name: 'Maize',
      season: '2018',
    });
    expect(parcel?.properties['measured_area_m2']).toBeGreaterThan(0);

    // Nothing of branch AAL, not even an id.
    const text = JSON.stringify(portfolio);
    const { rows } = await h.storage.query<{ id: string }>(
      `select f.id from farms f join borrowers b on b.id = f.borrower_id join branches br on br.id = b.branch_id
        where br.code = 'AAL'
       union all
       select p.id from parcels p join farms f on f.id = p.farm_id join borrowers b on b.id = f.borrower_id
         join branches br on br.id = b.branch_id where br.code = 'AAL'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { id } of rows) expect(text).not.toContain(id);
  });

  it('exports every branch for an admin', async () => {
    const portfolio = (await h.call('admin', 'GET', '/api/export/portfolio.geojson'))
      .body as Portfolio;
    expect(kinds(portfolio, 'farm')).toHaveLength(4);
    expect(kinds(portfolio, 'parcel')).toHaveLength(21);
    expect((await h.call(null, 'GET', '/api/export/portfolio.geojson')).status).toBe(401);
  });

  it('round-trips: each farm’s exported parcels import into an empty farm of the same borrower, every one accepted', async () => {
    const portfolio = (await h.call('krtOfficer', 'GET', '/api/export/portfolio.geojson'))
      .body as Portfolio;
    for (const farm of kinds(portfolio, 'farm')) {
      const twin = await h.call('krtOfficer', 'POST', '/api/farms', {
        borrowerId: farm.properties['borrower_id'],
        code: `${String(farm.properties['code'])}-TWIN`,
        name: `${String(farm.properties['name'])} (twin)`,
        boundary: farm.geometry,
      });
      expect(twin.status).toBe(201);
      expect(twin.body.properties.areaM2).toBeCloseTo(farm.properties['area_m2'] as number, 6);

      const parcels = kinds(portfolio, 'parcel').filter((p) => p.properties['farm_id'] === farm.id);
      expect(parcels.length).toBeGreaterThan(0);
      const response = await h.call(
        'krtOfficer',
        'POST',
        `/api/farms/${twin.body.id}/parcels/import`,
        {
          type: 'FeatureCollection',
          features: parcels,
        },
      );
      expect(response.status).toBe(200);
      const report = response.body as ImportReport;
      expect(report.totals).toEqual({
        features: parcels.length,
        accepted: parcels.length,
        rejected: 0,
      });
      expect(report.results.every((r) => r.warnings.length === 0 && r.fixes.length === 0)).toBe(
        true,
      );

      const again = (await h.call('krtOfficer', 'GET', '/api/export/portfolio.geojson'))
        .body as Portfolio;
      const copies = kinds(again, 'parcel').filter((p) => p.properties['farm_id'] === twin.body.id);
      // Everything but the farm it is on.
      const strip = (p: ExportFeature) => ({
        geometry: p.geometry,
        properties: Object.fromEntries(
          Object.entries(p.properties).filter(([key]) => key !== 'farm_id' && key !== 'farm_code'),
        ),
      });
      expect(copies.map(strip)).toEqual(parcels.map(strip));
    }
  });

  it('refuses the farm features of an export on the parcel import, and the parcels on the farm import', async () => {
    const portfolio = (await h.call('krtOfficer', 'GET', '/api/export/portfolio.geojson'))
      .body as Portfolio;
    const farmId = await h.idOf('farms', 'code', 'F-KRT-02');
    const parcelImport = await h.call(
      'krtOfficer',
      'POST',
      `/api/farms/${farmId}/parcels/import?dryRun=true`,
      {
        type: 'FeatureCollection',
        features: kinds(portfolio, 'farm'),
      },
    );
    expect(
      parcelImport.body.results.every((r: { problems: Array<{ rule: string }> }) =>
        r.problems.some((p) => p.rule === 'wrong_kind'),
      ),
    ).toBe(true);
    const farmImport = await h.call('krtOfficer', 'POST', '/api/farms/import?dryRun=true', {
      type: 'FeatureCollection',
      features: kinds(portfolio, 'parcel'),
    });
    expect(farmImport.body.totals.accepted).toBe(0);
  });
});
