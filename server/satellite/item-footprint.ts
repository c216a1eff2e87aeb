import { toLngLat, type Bbox } from '../../geo/index.ts';
import type { SceneItem } from '../../ingest/index.ts';

/**
 * The WGS84 bounding box of a scene, from its `proj:transform` and `proj:shape` (the item's, else
 * its red band's or any asset's); null when the item gives neither, i.e. it may cover anything.
 *
 * @example itemFootprint(item) // [3.01, 50.80, 3.04, 50.83]
 */
export function itemFootprint(item: SceneItem): Bbox | null {
  const candidates = [item, item.assets.red, ...Object.values(item.assets)];
  const source = candidates.find((c) => c?.transform !== undefined && c.shape !== undefined);
  if (source?.transform === undefined || source.shape === undefined) return null;
  const [a, b, c, d, e, f] = source.transform;
  const [rows, cols] = source.shape;
  const corners = [
    [0, 0],
    [cols, 0],
    [0, rows],
    [cols, rows],
  ].map(([col = 0, row = 0]) => {
    try {
      return toLngLat(item.epsg, [c + a * col + b * row, f + d * col + e * row]);
    } catch {
      return null; // an unknown CRS: the classifier reports it for the item
    }
  });
  if (corners.some((corner) => corner === null)) return null;
  const lngs = corners.map((corner) => (corner as [number, number])[0]);
  const lats = corners.map((corner) => (corner as [number, number])[1]);
  return [Math.min(...lngs), Math.min(...lats), Math.max(...lngs), Math.max(...lats)];
}

/** Whether two WGS84 boxes meet. */
export function bboxesMeet(a: Bbox, b: Bbox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}
