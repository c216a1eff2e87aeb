import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFolder } from '../tile/testing/serve-folder.ts';
import { loadStac } from './load-stac.ts';

const DATA = resolve(import.meta.dirname, '../../../shared/data/sentinel2');
const hasData = existsSync(join(DATA, 'flanders-2018', 'catalog.json'));
if (!hasData) {
  console.warn(`skipping real-data STAC tests: ${DATA} (../shared/data/sentinel2) is absent`);
}

describe.skipIf(!hasData)('loadStac on the Flanders catalogs (../shared/data/sentinel2)', () => {
  it('loads all 108 items of flanders-2018 from its catalog, sorted by date', async () => {
    const { items, failures } = await loadStac(join(DATA, 'flanders-2018', 'catalog.json'));
    expect(failures).toEqual([]);
    expect(items).toHaveLength(108);
    expect(items[0]?.id).toBe('S2_00002806639B424A_20171003');
    expect(items.at(-1)?.id).toBe('S2_00002806639B424A_20181127');
    for (const item of items) {
      expect(item.epsg).toBe(32631);
      expect(Object.keys(item.assets)).toHaveLength(11);
      expect(item.assets.rededge1?.shape).toEqual([32, 32]);
      expect(item.assets.red?.transform).toEqual([10, 0, 501360, 0, -10, 5629680]);
      expect(item.offsetRule).toBe('raster_bands');
      expect(item.assets.nir?.offset).toBe(0);
    }
  });

  it('loads all 63 items of flanders-2019 from its collection and from its folder', async () => {
    const fromCollection = await loadStac(join(DATA, 'flanders-2019', 'collection.json'));
    expect(fromCollection.failures).toEqual([]);
    expect(fromCollection.items).toHaveLength(63);
    const fromFolder = await loadStac(join(DATA, 'flanders-2019', 'items'));
    expect(fromFolder.failures).toEqual([]);
    expect(fromFolder.items.map((i) => i.id)).toEqual(fromCollection.items.map((i) => i.id));
  });

  it('filters by from/to, inclusive', async () => {
    const { items } = await loadStac(join(DATA, 'flanders-2018', 'catalog.json'), {
      from: new Date('2018-07-01T00:00:00Z'),
      to: new Date('2018-07-31T23:59:59Z'),
    });
    expect(items.map((i) => i.id.slice(-8))).toEqual([
      '20180703',
      '20180705',
      '20180708',
      '20180713',
      '20180715',
      '20180718',
      '20180723',
      '20180728',
      '20180730',
    ]);
  });
});

describe('loadStac on small catalogs', () => {
  let root: string;
  const feature = (id: string, datetime = '2018-07-01T10:00:00Z') => ({
    type: 'Feature',
    stac_version: '1.0.0',
    id,
    properties: { datetime, 'proj:epsg': 32631 },
    links: [],
    assets: { B04: { href: './B04.tif' }, SCL: { href: './SCL.tif' } },
  });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pw-stac-'));
    await mkdir(join(root, 'sub', 'items'), { recursive: true });
    await writeFile(
      join(root, 'catalog.json'),
      JSON.stringify({
        type: 'Catalog',
        id: 'root',
        links: [
          { rel: 'self', href: './catalog.json' },
          { rel: 'root', href: './catalog.json' },
          { rel: 'child', href: './sub/collection.json' },
          { rel: 'child', href: './missing/catalog.json' },
        ],
      }),
    );
    await writeFile(
      join(root, 'sub', 'collection.json'),
      JSON.stringify({
        type: 'Collection',
        id: 'sub',
        links: [
          { rel: 'item', href: './items/a.json' },
          { rel: 'item', href: './items/bad.json' },
          { rel: 'item', href: './items/notjson.json' },
          { rel: 'item', href: './items/a-again.json' },
          { rel: 'parent', href: '../catalog.json' },
        ],
      }),
    );
    await writeFile(join(root, 'sub', 'items', 'a.json'), JSON.stringify(feature('A')));
    await writeFile(join(root, 'sub', 'items', 'a-again.json'), JSON.stringify(feature('A')));
    await writeFile(
      join(root, 'sub', 'items', 'bad.json'),
      JSON.stringify({ ...feature('BAD'), properties: { datetime: 'never', 'proj:epsg': 32631 } }),
    );
    await writeFile(join(root, 'sub', 'items', 'notjson.json'), '{ not json');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('follows child and item links, maps B02-style keys, and reports each failure', async () => {
    const { items, failures } = await loadStac(join(root, 'catalog.json'));
    expect(items.map((i) => i.id)).toEqual(['A']);
    expect(Object.keys(items[0]?.assets ?? {}).sort()).toEqual(['red', 'scl']);
    expect(items[0]?.assets.red?.href).toBe(`file://${root}/sub/items/B04.tif`);
    const codes = failures.map((f) => `${f.code} ${f.itemId.replace(root, '<root>')}`).sort();
    expect(codes).toEqual([
      'duplicate_item A',
      'invalid_item BAD',
      'unreadable_document file://<root>/missing/catalog.json',
      'unreadable_document file://<root>/sub/items/notjson.json',
    ]);
  });

  it('loads the same catalog over HTTP, resolving relative links against each document', async () => {
    const server = await serveFolder(root);
    try {
      const { items, failures } = await loadStac(`${server.baseUrl}catalog.json`);
      expect(items.map((i) => i.id)).toEqual(['A']);
      expect(items[0]?.assets.red?.href).toBe(`${server.baseUrl}sub/items/B04.tif`);
      expect(failures.map((f) => f.code).sort()).toEqual([
        'duplicate_item',
        'invalid_item',
        'unreadable_document',
        'unreadable_document',
      ]);
      expect(failures.find((f) => f.itemId.endsWith('missing/catalog.json'))?.reason).toMatch(
        /HTTP 404/,
      );
    } finally {
      await server.close();
    }
  });

  it('reports a source that does not exist', async () => {
    const { items, failures } = await loadStac(join(root, 'nope.json'));
    expect(items).toEqual([]);
    expect(failures[0]?.code).toBe('unreadable_document');
  });
});
