import { toLngLat, type AffineTransform, type Bbox } from '../../geo/index.ts';
import {
  readParcelSeason,
  type ClassRaster,
  type ParcelCropResult,
  type ParcelInput,
  type SceneItem,
} from '../../ingest/index.ts';

/** What the map tiles of one parcel are drawn from, on a window of its scenes' 10 m grid. */
export interface ParcelRaster {
  readonly parcelId: string;
  readonly epsg: number;
  /** Of the window's upper-left pixel. */
  readonly transform: AffineTransform;
  readonly width: number;
  readonly height: number;
  /** Predicted crop code per pixel; 0: not classified (the buffered edge) or not the parcel's. */
  readonly cropCodes: Uint16Array;
  /** Latest clear NDVI x 10 000 per pixel; {@link NO_NDVI}: none. */
  readonly ndvi: Int16Array;
  /** WGS84 box of the window. */
  readonly bbox: Bbox;
}

export const NO_NDVI = -32768;
/** A pixel belongs to a parcel's raster when at least this much of it lies inside. */
const MIN_PIXEL_FRACTION = 0.5;

/**
 * Per-parcel rasters for the map: the classifier's per-pixel crop codes (`classRaster`, interior
 * pixels only) and each pixel's NDVI on the latest date it was clear. To get the NDVI, the parcels
 * are read again (no inward buffer) over only the scenes of their latest clear dates plus the
 * season's latest scene, so the cost is a few items per chunk, not the season.
 */
export async function buildParcelRasters(
  items: readonly SceneItem[],
  parcels: readonly ParcelInput[],
  results: readonly ParcelCropResult[],
  classRaster: ClassRaster | null,
  options: { signal?: AbortSignal } = {},
): Promise<ParcelRaster[]> {
  if (items.length === 0 || parcels.length === 0) return [];
  const wanted = new Set<string>();
  for (const result of results) {
    const last = result.ndviSeries[result.ndviSeries.length - 1];
    if (last !== undefined) wanted.add(last.sceneId);
  }
  const latest = [...items].sort((a, b) => b.datetime.getTime() - a.datetime.getTime())[0];
  if (latest !== undefined) wanted.add(latest.id);
  const subset = items.filter((item) => wanted.has(item.id));
  const read = await readParcelSeason(subset, parcels, {
    bufferM: 0,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const rasters: ParcelRaster[] = [];
  for (const season of read.parcels) {
    const keep: number[] = [];
    for (let p = 0; p < season.rows.length; p++) {
      if ((season.fractions[p] ?? 0) >= MIN_PIXEL_FRACTION) keep.push(p);
    }
    if (keep.length === 0) continue;
    let minRow = Infinity;
    let minCol = Infinity;
    let maxRow = -Infinity;
    let maxCol = -Infinity;
    for (const p of keep) {
      const row = season.rows[p] ?? 0;
      const col = season.cols[p] ?? 0;
      minRow = Math.min(minRow, row);
      maxRow = Math.max(maxRow, row);
      minCol = Math.min(minCol, col);
      maxCol = Math.max(maxCol, col);
    }
    const width = maxCol - minCol + 1;
    const height = maxRow - minRow + 1;
    const [a, , c, , e, f] = season.transform;
    const cropCodes = new Uint16Array(width * height);
    const ndvi = new Int16Array(width * height).fill(NO_NDVI);
    const { red, nir } = season.series.bands;
    const dates = season.series.dates.length;
    const pixelCount = season.series.pixelCount;
    for (const p of keep) {
      const row = season.rows[p] ?? 0;
      const col = season.cols[p] ?? 0;
      const i = (row - minRow) * width + (col - minCol);
      for (let d = dates - 1; d >= 0; d--) {
        const r = red[d * pixelCount + p] ?? Number.NaN;
        const n = nir[d * pixelCount + p] ?? Number.NaN;
        if (Number.isFinite(r) && Number.isFinite(n) && n + r > 0) {
          ndvi[i] = Math.round(Math.max(-1, Math.min(1, (n - r) / (n + r))) * 10_000);
          break;
        }
      }
      if (classRaster !== null && classRaster.epsg === season.epsg) {
        const [ra, , rc, , re, rf] = classRaster.transform;
        const rcol = Math.round((c + a * col - rc) / ra);
        const rrow = Math.round((f + e * row - rf) / re);
        if (rcol >= 0 && rrow >= 0 && rcol < classRaster.width && rrow < classRaster.height) {
          cropCodes[i] = classRaster.data[rrow * classRaster.width + rcol] ?? 0;
        }
      }
    }
    const transform: AffineTransform = [a, 0, c + a * minCol, 0, e, f + e * minRow];
    rasters.push({
      parcelId: season.parcelId,
      epsg: season.epsg,
      transform,
      width,
      height,
      cropCodes,
      ndvi,
      bbox: windowBbox(season.epsg, transform, width, height),
    });
  }
  return rasters;
}

function windowBbox(epsg: number, transform: AffineTransform, width: number, height: number): Bbox {
  const [a, , c, , e, f] = transform;
  const corners = [
    toLngLat(epsg, [c, f]),
    toLngLat(epsg, [c + a * width, f]),
    toLngLat(epsg, [c, f + e * height]),
    toLngLat(epsg, [c + a * width, f + e * height]),
  ];
  const lngs = corners.map((p) => p[0]);
  const lats = corners.map((p) => p[1]);
  return [Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)];
}
