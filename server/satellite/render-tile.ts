/**
 * A 256 px Web Mercator map tile (XYZ, as OpenLayers and every slippy map number them) of the
 * stored parcel rasters: each tile pixel's centre is taken to WGS84, then to the raster's CRS, and
 * painted with the raster pixel it falls in (nearest neighbour); transparent where there is none.
 * Only the parcels the caller may see are read.
 */
import { toProjected, type AffineTransform, type Bbox } from '../../geo/index.ts';
import type { Queryable } from '../db/storage.ts';
import { encodePng } from './png.ts';
import { NO_NDVI } from './parcel-rasters.ts';
import { cropColour, ndviColour } from './tile-colors.ts';

export const TILE_SIZE = 256;
export type TileLayer = 'crop' | 'ndvi';

/** The WGS84 box of tile z/x/y. */
export function tileBbox(z: number, x: number, y: number): Bbox {
  const n = 2 ** z;
  const lng = (col: number) => (col / n) * 360 - 180;
  const lat = (row: number) =>
    (Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / n))) * 180) / Math.PI;
  return [lng(x), lat(y + 1), lng(x + 1), lat(y)];
}

interface RasterRow {
  epsg: number;
  transform: AffineTransform;
  width: number;
  height: number;
  crop_codes: Uint8Array;
  ndvi: Uint8Array;
  min_lng: number;
  min_lat: number;
  max_lng: number;
  max_lat: number;
}

/**
 * Renders tile z/x/y of a layer as PNG bytes.
 *
 * @param branchId - The caller's branch; null: every branch (admins).
 */
export async function renderTile(
  db: Queryable,
  layer: TileLayer,
  z: number,
  x: number,
  y: number,
  branchId: string | null,
): Promise<Buffer> {
  const [minLng, minLat, maxLng, maxLat] = tileBbox(z, x, y);
  const { rows } = await db.query<RasterRow>(
    `select r.epsg, r.transform, r.width, r.height, r.crop_codes, r.ndvi,
            r.min_lng, r.min_lat, r.max_lng, r.max_lat
       from parcel_rasters r
       join parcels p on p.id = r.parcel_id
       join farms f on f.id = p.farm_id
       join borrowers b on b.id = f.borrower_id
      where r.max_lng >= $1 and r.min_lng <= $2 and r.max_lat >= $3 and r.min_lat <= $4
        and ($5::uuid is null or b.branch_id = $5::uuid)
      order by p.id`,
    [minLng, maxLng, minLat, maxLat, branchId],
  );
  const rgba = new Uint8Array(TILE_SIZE * TILE_SIZE * 4);
  if (rows.length === 0) return encodePng(TILE_SIZE, TILE_SIZE, rgba);
  const n = 2 ** z;
  // Pixel centres in WGS84, once per tile.
  const lngs = new Float64Array(TILE_SIZE);
  const lats = new Float64Array(TILE_SIZE);
  for (let i = 0; i < TILE_SIZE; i++) {
    lngs[i] = ((x + (i + 0.5) / TILE_SIZE) / n) * 360 - 180;
    const row = y + (i + 0.5) / TILE_SIZE;
    lats[i] = (Math.atan(Math.sinh(Math.PI * (1 - (2 * row) / n))) * 180) / Math.PI;
  }
  for (const raster of rows) {
    const [a, , c, , e, f] = raster.transform;
    const values =
      layer === 'crop'
        ? new Uint16Array(toArrayBuffer(raster.crop_codes))
        : new Int16Array(toArrayBuffer(raster.ndvi));
    // Only the tile pixels within the raster's box (padded by a tile pixel).
    const colOf = (lng: number) => ((lng + 180) / 360) * n - x;
    const rowOf = (lat: number) => {
      const r = (lat * Math.PI) / 180;
      return ((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n - y;
    };
    const px0 = Math.max(0, Math.floor(colOf(raster.min_lng) * TILE_SIZE) - 1);
    const px1 = Math.min(TILE_SIZE - 1, Math.ceil(colOf(raster.max_lng) * TILE_SIZE) + 1);
    const py0 = Math.max(0, Math.floor(rowOf(raster.max_lat) * TILE_SIZE) - 1);
    const py1 = Math.min(TILE_SIZE - 1, Math.ceil(rowOf(raster.min_lat) * TILE_SIZE) + 1);
    for (let py = py0; py <= py1; py++) {
      const lat = lats[py] ?? 0;
      for (let px = px0; px <= px1; px++) {
        const lng = lngs[px] ?? 0;
        const [xm, ym] = toProjected(raster.epsg, [lng, lat]);
        const col = Math.floor((xm - c) / a);
        const row = Math.floor((ym - f) / e);
        if (col < 0 || row < 0 || col >= raster.width || row >= raster.height) continue;
        const value = values[row * raster.width + col] ?? 0;
        const colour =
          layer === 'crop'
            ? cropColour(value)
            : value === NO_NDVI
              ? null
              : ndviColour(value / 10_000);
        if (colour === null) continue;
        rgba.set(colour, (py * TILE_SIZE + px) * 4);
      }
    }
  }
  return encodePng(TILE_SIZE, TILE_SIZE, rgba);
}

/** bytea comes back as a Buffer (pg) or Uint8Array (PGlite); copy to an aligned buffer. */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length - (bytes.length % 2));
  copy.set(bytes.subarray(0, copy.length));
  return copy.buffer;
}
