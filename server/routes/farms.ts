import { Hono } from 'hono';
import type { AppEnv, Services } from '../app-env.ts';

interface FarmRow {
  id: string;
  code: string;
  name: string;
  boundary: unknown;
  area_m2: number;
  borrower_id: string;
  borrower_name: string;
  branch_code: string;
  parcel_count: number;
  herd_count: number;
  pledged_head_count: number;
}

/** `GET /api/farms`: the portfolio's farms as a GeoJSON FeatureCollection (boundary = geofence). */
export function createFarmRoutes(services: Services): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/', async (c) => {
    const { rows } = await services.storage.query<FarmRow>(
      `select f.id, f.code, f.name, f.boundary, f.area_m2, b.id as borrower_id, b.name as borrower_name,
              br.code as branch_code,
              (select count(*)::int from parcels p where p.farm_id = f.id) as parcel_count,
              (select count(*)::int from herds h where h.farm_id = f.id) as herd_count,
              (select coalesce(sum(h.pledged_head_count), 0)::int from herds h where h.farm_id = f.id)
                as pledged_head_count
       from farms f
       join borrowers b on b.id = f.borrower_id
       join branches br on br.id = b.branch_id
       order by f.code`,
    );
    return c.json({
      type: 'FeatureCollection',
      features: rows.map((row) => ({
        type: 'Feature',
        id: row.id,
        geometry: row.boundary,
        properties: {
          code: row.code,
          name: row.name,
          areaM2: row.area_m2,
          borrowerId: row.borrower_id,
          borrowerName: row.borrower_name,
          branchCode: row.branch_code,
          parcelCount: row.parcel_count,
          herdCount: row.herd_count,
          pledgedHeadCount: row.pledged_head_count,
        },
      })),
    });
  });
}
