import type { AffineTransform, TileGrid } from '../../geo/index.ts';
import { openCog } from '../tile/open-cog.ts';
import { TileReadError } from '../tile/tile-read-error.ts';
import type { AssetKey, SceneItem } from '../types.ts';

/** The 10 m assets, in the order their metadata is tried for the scene's 10 m grid. */
const TEN_M_KEYS: readonly AssetKey[] = ['red', 'nir', 'green', 'blue'];

/**
 * The 10 m grid of a scene: `proj:transform` and `proj:shape` of its red band (else nir, green,
 * blue, else the item's own), or, when the item gives none, the header of its red COG.
 *
 * @param item - The scene.
 * @param signal - Aborts the header read.
 * @returns `{ epsg, transform, width, height }` with the item's EPSG.
 * @throws {TileReadError} `missing_asset` without a 10 m band, or the errors of `openCog`.
 * @example
 * ```ts
 * await itemGrid(item); // { epsg: 32631, transform: [10, 0, 501360, 0, -10, 5629680], width: 64, height: 64 }
 * ```
 */
export async function itemGrid(item: SceneItem, signal?: AbortSignal): Promise<TileGrid> {
  for (const key of TEN_M_KEYS) {
    const asset = item.assets[key];
    if (asset?.transform !== undefined && asset.shape !== undefined) {
      return {
        epsg: item.epsg,
        transform: [...asset.transform] as AffineTransform,
        width: asset.shape[1],
        height: asset.shape[0],
      };
    }
  }
  if (item.transform !== undefined && item.shape !== undefined && item.transform[0] === 10) {
    return {
      epsg: item.epsg,
      transform: [...item.transform] as AffineTransform,
      width: item.shape[1],
      height: item.shape[0],
    };
  }
  const asset = TEN_M_KEYS.map((key) => item.assets[key]).find((a) => a !== undefined);
  if (asset === undefined) {
    throw new TileReadError(
      'missing_asset',
      `item ${item.id} has no 10 m band (red, nir, green, blue)`,
      {
        itemId: item.id,
      },
    );
  }
  const cog = await openCog(asset.href, signal);
  try {
    const { grid } = cog;
    return {
      epsg: grid.epsg,
      transform: [grid.pixelWidth, 0, grid.originX, 0, -grid.pixelHeight, grid.originY],
      width: grid.width,
      height: grid.height,
    };
  } finally {
    await cog.close();
  }
}
