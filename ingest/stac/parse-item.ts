import type { AffineTransform } from '../../geo/index.ts';
import type { AssetKey, ItemFailure, OffsetRule, SceneAsset, SceneItem } from '../types.ts';
import { toAssetKey } from './asset-keys.ts';

/** The result of parsing one STAC Item. */
export type ParsedItem = { ok: true; item: SceneItem } | { ok: false; failure: ItemFailure };

/** Default reflectance scale of Sentinel-2 L2A DNs. */
const DEFAULT_SCALE = 0.0001;
/** BOA offset of processing baseline 04.00 and later: -1000 DN. */
const BASELINE_04_OFFSET = -0.1;

/**
 * Parses an untrusted STAC Item (GeoJSON Feature) into a {@link SceneItem}: id, datetime
 * (`datetime`, else `start_datetime`), EPSG (`proj:epsg`, else `proj:code` `EPSG:n`, on the item or
 * its assets), the assets by Earth Search key (see `toAssetKey`) with absolute hrefs resolved
 * against `href`, `proj:transform`/`proj:shape` (asset, else item), and scale/offset/nodata from
 * `raster:bands`.
 *
 * Offset rule: when `raster:bands` gives an offset it is used as given (Earth Search writes -0.1
 * for processing baseline >= 04.00 and 0 before); when it gives none, -0.1 is applied to the bands
 * of a scene whose `s2:processing_baseline` is 04.00 or later, and 0 otherwise.
 *
 * @param json - The parsed JSON document.
 * @param href - The document's absolute URL (hrefs are resolved against it).
 * @returns `{ ok: true, item }` or `{ ok: false, failure }` naming the field and the rule.
 * @example
 * ```ts
 * const parsed = parseSceneItem(JSON.parse(text), 'file:///data/items/S2_x/S2_x.json');
 * if (parsed.ok) parsed.item.assets.red?.href; // 'file:///data/items/S2_x/B04.tif'
 * ```
 */
export function parseSceneItem(json: unknown, href: string): ParsedItem {
  const fail = (itemId: string, reason: string): ParsedItem => ({
    ok: false,
    failure: { itemId, reason, code: 'invalid_item', href },
  });
  if (!isRecord(json)) return fail(href, `item at ${href} is not a JSON object`);
  const id = json['id'];
  if (typeof id !== 'string' || id === '') {
    return fail(href, `item at ${href}: id ${JSON.stringify(id)} must be a non-empty string`);
  }
  if (json['type'] !== 'Feature') {
    return fail(id, `item ${id}: type ${JSON.stringify(json['type'])} must be "Feature"`);
  }
  const properties = json['properties'];
  if (!isRecord(properties)) return fail(id, `item ${id}: properties must be an object`);
  const when = properties['datetime'] ?? properties['start_datetime'];
  const datetime = typeof when === 'string' ? new Date(when) : null;
  if (datetime === null || Number.isNaN(datetime.getTime())) {
    return fail(id, `item ${id}: datetime ${JSON.stringify(when)} is not an RFC 3339 date-time`);
  }
  const rawAssets = json['assets'];
  if (!isRecord(rawAssets)) return fail(id, `item ${id}: assets must be an object`);

  const baselineValue = properties['s2:processing_baseline'];
  const processingBaseline =
    typeof baselineValue === 'string' || typeof baselineValue === 'number'
      ? String(baselineValue)
      : null;
  const baselineNumber = processingBaseline === null ? NaN : Number.parseFloat(processingBaseline);
  const hasBaseline04 = Number.isFinite(baselineNumber) && baselineNumber >= 4;

  let epsg = readEpsg(properties);
  const itemTransform = readTransform(properties['proj:transform']);
  const itemShape = readShape(properties['proj:shape']);
  const assets: Partial<Record<AssetKey, SceneAsset>> = {};
  let everyBandHasOffset = true;
  for (const [rawKey, value] of Object.entries(rawAssets)) {
    const key = toAssetKey(rawKey);
    if (key === null || !isRecord(value) || assets[key] !== undefined) continue;
    const assetHref = value['href'];
    if (typeof assetHref !== 'string' || assetHref === '') {
      return fail(id, `item ${id}: assets.${rawKey}.href must be a non-empty string`);
    }
    let url: string;
    try {
      url = new URL(assetHref, href).href;
    } catch (error) {
      return fail(
        id,
        `item ${id}: assets.${rawKey}.href ${assetHref} is not a URL (${String(error)})`,
      );
    }
    epsg ??= readEpsg(value);
    const band = Array.isArray(value['raster:bands']) ? value['raster:bands'][0] : undefined;
    const bandRecord = isRecord(band) ? band : {};
    const isScl = key === 'scl';
    const scale = finiteOr(bandRecord['scale'], isScl ? 1 : DEFAULT_SCALE);
    const givenOffset = bandRecord['offset'];
    if (!isScl && typeof givenOffset !== 'number') everyBandHasOffset = false;
    const offset =
      typeof givenOffset === 'number' && Number.isFinite(givenOffset)
        ? givenOffset
        : !isScl && hasBaseline04
          ? BASELINE_04_OFFSET
          : 0;
    const transform = readTransform(value['proj:transform']) ?? itemTransform;
    const shape = readShape(value['proj:shape']) ?? itemShape;
    assets[key] = {
      key,
      href: url,
      ...(transform !== undefined ? { transform } : {}),
      ...(shape !== undefined ? { shape } : {}),
      scale,
      offset,
      nodata: finiteOr(bandRecord['nodata'], 0),
    };
  }
  if (epsg === undefined) {
    return fail(id, `item ${id}: no proj:epsg (or proj:code "EPSG:n") on the item or its assets`);
  }
  if (Object.keys(assets).length === 0) {
    return fail(id, `item ${id}: none of its assets is a Sentinel-2 band or SCL`);
  }
  const offsetRule: OffsetRule = everyBandHasOffset
    ? 'raster_bands'
    : hasBaseline04
      ? 'baseline_04_offset'
      : 'none';
  return {
    ok: true,
    item: {
      id,
      datetime,
      epsg,
      assets,
      ...(itemTransform !== undefined ? { transform: itemTransform } : {}),
      ...(itemShape !== undefined ? { shape: itemShape } : {}),
      processingBaseline,
      offsetRule,
      href,
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function readEpsg(record: Record<string, unknown>): number | undefined {
  const epsg = record['proj:epsg'];
  if (typeof epsg === 'number' && Number.isInteger(epsg) && epsg > 0) return epsg;
  const code = record['proj:code'];
  if (typeof code === 'string') {
    const match = /^EPSG:(\d+)$/i.exec(code);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

function readTransform(value: unknown): AffineTransform | undefined {
  if (!Array.isArray(value) || (value.length !== 6 && value.length !== 9)) return undefined;
  const numbers = value.slice(0, 6);
  if (!numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) return undefined;
  return numbers as AffineTransform;
}

function readShape(value: unknown): readonly [number, number] | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [rows, cols] = value as unknown[];
  if (!Number.isInteger(rows) || !Number.isInteger(cols)) return undefined;
  return [rows as number, cols as number];
}
