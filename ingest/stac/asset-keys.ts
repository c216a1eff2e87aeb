import type { AssetKey } from '../types.ts';

/** Sentinel-2 band ids (ESA names, as in B02-style asset keys and `eo:bands[].name`) to Earth Search keys. */
const BY_BAND_ID: Readonly<Record<string, AssetKey>> = {
  B02: 'blue',
  B03: 'green',
  B04: 'red',
  B08: 'nir',
  B05: 'rededge1',
  B06: 'rededge2',
  B07: 'rededge3',
  B8A: 'nir08',
  B11: 'swir16',
  B12: 'swir22',
  SCL: 'scl',
};

const EARTH_SEARCH_KEYS: ReadonlySet<string> = new Set(Object.values(BY_BAND_ID));

/**
 * The Earth Search v1 key (`blue` … `swir22`, `scl`) of a STAC asset key, accepting both naming
 * schemes: Earth Search v1 keys as they are, and ESA band ids (`B02`, `B8A`, `SCL`, any case, with
 * an optional `_10m`/`_20m` suffix as in Planetary Computer or Earth Search v0).
 *
 * @param key - The asset's key in the item.
 * @returns The Earth Search key, or null for any other asset (thumbnails, `visual`, JP2 copies).
 * @example
 * ```ts
 * toAssetKey('B8A'); // 'nir08'
 * toAssetKey('red'); // 'red'
 * toAssetKey('red-jp2'); // null
 * ```
 */
export function toAssetKey(key: string): AssetKey | null {
  if (EARTH_SEARCH_KEYS.has(key)) return key as AssetKey;
  const id = key.toUpperCase().replace(/_(10|20|60)M$/, '');
  return BY_BAND_ID[id] ?? null;
}
