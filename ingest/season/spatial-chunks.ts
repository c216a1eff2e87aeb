import {
  toProjected,
  type AffineTransform,
  type MultiPolygon,
  type Polygon,
} from '../../geo/index.ts';
import type { SceneItem } from '../types.ts';

/** The grid that chunk cells are laid on: a scene's CRS and 10 m transform. */
export interface ChunkGrid {
  readonly epsg: number;
  readonly transform: AffineTransform;
}

/**
 * Cell size in 10 m pixels: a whole number of 512 px blocks at 10 m (4) and at 20 m (2), so a
 * cell's parcels share whole blocks and a chunk of them decodes its own part of the tile.
 */
export const CHUNK_CELL_PX = 2_048;
const BLOCK_PX = 512;

/**
 * Parcels in chunks of at most `maxPerChunk` that each touch few COG blocks: grouped by the
 * `CHUNK_CELL_PX` cell of the grid that holds their centre (the mean of the outer ring's
 * vertices), and within a cell ordered by 512 px block. A season is read chunk by chunk and every
 * block holding a chunk's pixels is decoded once per chunk: with chunks taken in the parcels'
 * own order (a database's, say), every chunk spans the whole tile and decodes nearly all of it.
 *
 * @param parcels - Anything with a polygon.
 * @param geometryOf - The parcel's polygon (lon/lat, WGS 84).
 * @param grid - The scenes' CRS and 10 m transform (cells are aligned to its origin).
 * @param maxPerChunk - Largest chunk (a dense cell is split).
 * @returns The chunks, each non-empty, every parcel in exactly one.
 * @example
 * ```ts
 * chunkParcelsByCell(parcels, (p) => p.geometry, { epsg: 32631, transform }, 500);
 * ```
 */
export function chunkParcelsByCell<T>(
  parcels: readonly T[],
  geometryOf: (parcel: T) => Polygon | MultiPolygon,
  grid: ChunkGrid,
  maxPerChunk: number,
): T[][] {
  if (!Number.isInteger(maxPerChunk) || maxPerChunk < 1) {
    throw new RangeError(`maxPerChunk ${String(maxPerChunk)} must be a positive integer`);
  }
  const [a, , originX, , e, originY] = grid.transform;
  const keyed = parcels.map((parcel, order) => {
    const geometry = geometryOf(parcel);
    const ring =
      (geometry.type === 'Polygon' ? geometry.coordinates[0] : geometry.coordinates[0]?.[0]) ?? [];
    const corners = ring.length > 1 ? ring.slice(0, -1) : ring;
    let sumX = 0;
    let sumY = 0;
    for (const vertex of corners) {
      const [x, y] = toProjected(grid.epsg, vertex);
      sumX += x;
      sumY += y;
    }
    const count = Math.max(1, corners.length);
    const col = (sumX / count - originX) / a;
    const row = (sumY / count - originY) / e;
    return {
      parcel,
      order,
      cellRow: Math.floor(row / CHUNK_CELL_PX),
      cellCol: Math.floor(col / CHUNK_CELL_PX),
      blockRow: Math.floor(row / BLOCK_PX),
      blockCol: Math.floor(col / BLOCK_PX),
    };
  });
  keyed.sort(
    (x, y) =>
      x.cellRow - y.cellRow ||
      x.cellCol - y.cellCol ||
      x.blockRow - y.blockRow ||
      x.blockCol - y.blockCol ||
      x.order - y.order,
  );
  const chunks: T[][] = [];
  let current: T[] = [];
  let currentCell = '';
  for (const { parcel, cellRow, cellCol } of keyed) {
    const cell = `${cellRow},${cellCol}`;
    if (cell !== currentCell || current.length >= maxPerChunk) {
      if (current.length > 0) chunks.push(current);
      current = [];
      currentCell = cell;
    }
    current.push(parcel);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The grid to lay chunk cells on for parcels read from these scenes: the 10 m grid of the first
 * scene that states one (`proj:transform` of its red band, else of the item), else a 10 m grid
 * at the origin of the first scene's CRS. Scenes in several CRSs: the first one's (the cells
 * only order the parcels).
 */
export function chunkGridOfItems(items: readonly SceneItem[]): ChunkGrid {
  const epsg = items[0]?.epsg ?? 4326;
  for (const item of items) {
    if (item.epsg !== epsg) continue;
    const transform = item.assets.red?.transform ?? item.transform;
    if (transform !== undefined && transform[0] === 10) return { epsg, transform };
  }
  return { epsg, transform: [10, 0, 0, 0, -10, 0] };
}
