import { describe, expect, it } from 'vitest';
import { toAssetKey } from './asset-keys.ts';
import { parseSceneItem } from './parse-item.ts';

const href = 'https://example.test/items/S2_X/S2_X.json';

function item(overrides: Record<string, unknown> = {}, properties: Record<string, unknown> = {}) {
  return {
    type: 'Feature',
    id: 'S2_X',
    properties: { datetime: '2023-06-01T10:50:00Z', 'proj:epsg': 32631, ...properties },
    assets: {
      red: {
        href: '../../cogs/B04.tif',
        'proj:shape': [10980, 10980],
        'proj:transform': [10, 0, 499980, 0, -10, 5700000],
        'raster:bands': [{ nodata: 0, scale: 0.0001, offset: -0.1 }],
      },
      scl: { href: './SCL.tif', 'raster:bands': [{ nodata: 0 }] },
      thumbnail: { href: './thumb.jpg' },
    },
    ...overrides,
  };
}

describe('toAssetKey', () => {
  it('maps Earth Search keys and ESA band ids, and nothing else', () => {
    expect(toAssetKey('nir08')).toBe('nir08');
    expect(toAssetKey('B8A')).toBe('nir08');
    expect(toAssetKey('b02')).toBe('blue');
    expect(toAssetKey('B11_20m')).toBe('swir16');
    expect(toAssetKey('SCL')).toBe('scl');
    expect(toAssetKey('red-jp2')).toBeNull();
    expect(toAssetKey('visual')).toBeNull();
  });
});

describe('parseSceneItem', () => {
  it('parses id, datetime, EPSG, assets with absolute hrefs, grid and raster:bands', () => {
    const parsed = parseSceneItem(item(), href);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { item: scene } = parsed;
    expect(scene.id).toBe('S2_X');
    expect(scene.datetime.toISOString()).toBe('2023-06-01T10:50:00.000Z');
    expect(scene.epsg).toBe(32631);
    expect(Object.keys(scene.assets).sort()).toEqual(['red', 'scl']);
    expect(scene.assets.red).toMatchObject({
      href: 'https://example.test/cogs/B04.tif',
      shape: [10980, 10980],
      transform: [10, 0, 499980, 0, -10, 5700000],
      scale: 0.0001,
      offset: -0.1,
      nodata: 0,
    });
    expect(scene.assets.scl).toMatchObject({ scale: 1, offset: 0, nodata: 0 });
    expect(scene.offsetRule).toBe('raster_bands');
  });

  it('reads proj:code when proj:epsg is absent', () => {
    const parsed = parseSceneItem(
      item({}, { 'proj:epsg': undefined, 'proj:code': 'EPSG:32755' }),
      href,
    );
    expect(parsed.ok && parsed.item.epsg).toBe(32755);
  });

  it('applies -0.1 for baseline >= 04.00 only when raster:bands gives no offset', () => {
    const bare = {
      red: { href: './B04.tif' },
      nir: { href: './B08.tif', 'raster:bands': [{ scale: 0.0001 }] },
    };
    const new04 = parseSceneItem(
      item({ assets: bare }, { 's2:processing_baseline': '04.00' }),
      href,
    );
    expect(new04.ok && new04.item.offsetRule).toBe('baseline_04_offset');
    expect(new04.ok && new04.item.assets.red?.offset).toBe(-0.1);
    expect(new04.ok && new04.item.assets.red?.scale).toBe(0.0001);
    const old = parseSceneItem(item({ assets: bare }, { 's2:processing_baseline': '02.14' }), href);
    expect(old.ok && old.item.offsetRule).toBe('none');
    expect(old.ok && old.item.assets.red?.offset).toBe(0);
    const saysZero = parseSceneItem(
      item(
        { assets: { red: { href: './B04.tif', 'raster:bands': [{ scale: 0.0001, offset: 0 }] } } },
        { 's2:processing_baseline': '05.00' },
      ),
      href,
    );
    expect(saysZero.ok && saysZero.item.assets.red?.offset).toBe(0);
  });

  it.each([
    ['a non-object', 42, /not a JSON object/],
    ['a missing id', { ...item(), id: undefined }, /id undefined must be a non-empty string/],
    ['a wrong type', item({ type: 'Collection' }), /type "Collection" must be "Feature"/],
    ['a bad datetime', item({}, { datetime: 'yesterday' }), /datetime "yesterday"/],
    ['no EPSG', item({}, { 'proj:epsg': undefined }), /no proj:epsg/],
    ['no band asset', item({ assets: { thumbnail: { href: './t.jpg' } } }), /none of its assets/],
    ['an asset without href', item({ assets: { red: {} } }), /assets\.red\.href/],
  ])('rejects %s with a reason', (_name, json, reason) => {
    const parsed = parseSceneItem(json, href);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.failure.code).toBe('invalid_item');
    expect(parsed.failure.reason).toMatch(reason);
  });
});
