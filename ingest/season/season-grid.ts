import type { TileGrid } from '../../geo/index.ts';

/** Where one scene's 10 m grid sits in the season grid, or why it does not fit. */
export type GridPlacement =
  | { ok: true; colOffset: number; rowOffset: number; width: number; height: number }
  | { ok: false; reason: string };

/** Tolerance, in pixels, for two grids' origins to count as aligned. */
const ALIGN_PX = 1e-6;

/**
 * The season grid of a set of scenes: the 10 m grid of the first scene, extended to cover every
 * scene whose grid is in the same CRS, north-up, with the same pixel size and an origin a whole
 * number of pixels away (the scenes of one MGRS tile, and of the tiles of one UTM zone, since
 * Sentinel-2 tile origins sit on the 10 m lattice). Each scene gets its offset in that grid
 * (`seasonCol = sceneCol + colOffset`). A scene in another CRS or off the lattice does not fit:
 * pixels cannot be compared across grids without resampling, which `ingest/` does not do; read
 * such parcels in a separate call with the items of their own CRS.
 *
 * @param grids - Each scene's 10 m grid, in the order of the scenes (the first sets the CRS).
 * @returns The season grid and each scene's placement.
 * @throws {RangeError} For an empty list.
 * @example
 * ```ts
 * const t: AffineTransform = [10, 0, 501360, 0, -10, 5629680];
 * buildSeasonGrid([{ epsg: 32631, transform: t, width: 64, height: 64 }]).grid.width; // 64
 * ```
 */
export function buildSeasonGrid(grids: readonly TileGrid[]): {
  grid: TileGrid;
  placements: GridPlacement[];
} {
  const first = grids[0];
  if (first === undefined) throw new RangeError('buildSeasonGrid: grids is empty');
  const [a, , c, , e, f] = first.transform;
  const placements: GridPlacement[] = grids.map((grid) => {
    const [ga, gb, gc, gd, ge, gf] = grid.transform;
    if (grid.epsg !== first.epsg) {
      return {
        ok: false,
        reason: `grid EPSG:${grid.epsg} differs from the season's EPSG:${first.epsg} (the first item's); read it in a separate call`,
      };
    }
    if (gb !== 0 || gd !== 0 || ga !== a || ge !== e) {
      return {
        ok: false,
        reason: `grid transform ${JSON.stringify(grid.transform)} is not north-up with the season's pixel size ${a} x ${-e}`,
      };
    }
    const colOffset = (gc - c) / a;
    const rowOffset = (gf - f) / e;
    const col = Math.round(colOffset);
    const row = Math.round(rowOffset);
    if (Math.abs(colOffset - col) > ALIGN_PX || Math.abs(rowOffset - row) > ALIGN_PX) {
      return {
        ok: false,
        reason: `grid origin [${gc}, ${gf}] is not a whole number of pixels from the season grid's [${c}, ${f}]`,
      };
    }
    return { ok: true, colOffset: col, rowOffset: row, width: grid.width, height: grid.height };
  });
  let minCol = 0;
  let minRow = 0;
  let maxCol = first.width;
  let maxRow = first.height;
  for (const placement of placements) {
    if (!placement.ok) continue;
    minCol = Math.min(minCol, placement.colOffset);
    minRow = Math.min(minRow, placement.rowOffset);
    maxCol = Math.max(maxCol, placement.colOffset + placement.width);
    maxRow = Math.max(maxRow, placement.rowOffset + placement.height);
  }
  const shifted = placements.map((placement) =>
    placement.ok
      ? {
          ...placement,
          colOffset: placement.colOffset - minCol,
          rowOffset: placement.rowOffset - minRow,
        }
      : placement,
  );
  return {
    grid: {
      epsg: first.epsg,
      transform: [a, 0, c + minCol * a, 0, e, f + minRow * e],
      width: maxCol - minCol,
      height: maxRow - minRow,
    },
    placements: shifted,
  };
}
