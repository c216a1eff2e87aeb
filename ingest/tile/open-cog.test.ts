import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync } from 'node:zlib';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCog, type RasterArray } from '../cog/write-cog.ts';
import { NativeDeflateDecoder } from './native-deflate.ts';
import { openCog, type OpenCog } from './open-cog.ts';
import { serveFolder } from './testing/serve-folder.ts';
import { writeTestCog } from './testing/write-test-cog.ts';

const DATA = resolve(import.meta.dirname, '../../../shared/data/sentinel2');
const ITEM_2018 = join(DATA, 'flanders-2018/items/S2_00002806639B424A_20180708');
const RED_2018 = join(ITEM_2018, 'B04.tif');
const hasData = existsSync(RED_2018);
if (!hasData) console.warn(`skipping real-COG tests: ${RED_2018} (../shared/data) is absent`);

let root: string;
const values = Uint16Array.from({ length: 6 * 4 }, (_, k) => 100 + k);
const spec = {
  values,
  width: 6,
  height: 4,
  originX: 501360,
  originY: 5629680,
  pixelSizeM: 10,
  epsg: 32631,
  nodata: 0,
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pw-cog-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('openCog', () => {
  it('reads the grid, the nodata and a window', async () => {
    await writeTestCog(join(root, 'a.tif'), spec);
    const cog = await openCog(join(root, 'a.tif'));
    try {
      expect(cog.grid).toEqual({
        epsg: 32631,
        originX: 501360,
        originY: 5629680,
        pixelWidth: 10,
        pixelHeight: 10,
        width: 6,
        height: 4,
      });
      expect(cog.nodata).toBe(0);
      const window = await cog.readWindow({ col0: 2, row0: 1, cols: 3, rows: 2 });
      expect([...window]).toEqual([108, 109, 110, 114, 115, 116]);
    } finally {
      await cog.close();
    }
  });

  it('rejects a window outside the image, naming it and the size', async () => {
    await writeTestCog(join(root, 'b.tif'), spec);
    const cog = await openCog(`file://${join(root, 'b.tif')}`);
    try {
      await expect(cog.readWindow({ col0: 4, row0: 0, cols: 3, rows: 1 })).rejects.toMatchObject({
        code: 'window_outside_image',
        message: expect.stringMatching(/"col0":4.*not within COG .*b\.tif \(6 x 4 px\)/),
      });
    } finally {
      await cog.close();
    }
  });

  it('rejects a truncated file before reading zeros from past its end', async () => {
    const bytes = await writeTestCog(join(root, 'c.tif'), spec);
    // geotiff.js writes the IFD first and the pixels last: cut into the pixels.
    await writeFile(join(root, 'c.tif'), bytes.subarray(0, bytes.length - 10));
    await expect(openCog(join(root, 'c.tif'))).rejects.toMatchObject({
      code: 'truncated_cog',
      message: expect.stringMatching(
        /c\.tif is truncated: its strips end at byte \d+ but the file has \d+ bytes/,
      ),
    });
  });

  it('rejects a file that is not a TIFF and a file that does not exist', async () => {
    await writeFile(join(root, 'd.tif'), 'not a tiff at all');
    await expect(openCog(join(root, 'd.tif'))).rejects.toMatchObject({ code: 'cog_unreadable' });
    await expect(openCog(join(root, 'none.tif'))).rejects.toMatchObject({
      code: 'cog_unreadable',
      message: expect.stringMatching(/none\.tif/),
    });
  });

  it('reads a remote COG by HTTP range requests', async () => {
    await writeTestCog(join(root, 'e.tif'), spec);
    const server = await serveFolder(root);
    try {
      const cog = await openCog(`${server.baseUrl}e.tif`);
      const window = await cog.readWindow({ col0: 0, row0: 3, cols: 2, rows: 1 });
      await cog.close();
      expect([...window]).toEqual([118, 119]);
      expect(server.requests.every((line) => /bytes=\d+-\d+$/.test(line))).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('NativeDeflateDecoder', () => {
  const parameters = {
    tileWidth: 4,
    tileHeight: 2,
    predictor: 1,
    bitsPerSample: 16,
    planarConfiguration: 1,
  };

  it('inflates a zlib stream to exactly the tile bytes', async () => {
    const tile = Uint16Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const decoded = await new NativeDeflateDecoder(parameters).decode(
      new Uint8Array(deflateSync(new Uint8Array(tile.buffer))).buffer,
    );
    expect([...new Uint16Array(decoded)]).toEqual([...tile]);
  });

  it('rejects a truncated stream instead of returning partial data', async () => {
    const stream = deflateSync(new Uint8Array(new Uint16Array(4096).map((_, k) => k).buffer));
    await expect(
      new NativeDeflateDecoder(parameters).decode(
        new Uint8Array(stream.subarray(0, stream.length >> 1)).buffer,
      ),
    ).rejects.toThrow(/unexpected end of file/);
  });

  it.skipIf(!hasData)('gives the same pixels as geotiff.js readRasters with pako', async () => {
    // geotiff.js's own decoder and window reader first (this file registers the native decoder
    // only through openCog); then openCog's native inflate and tile-copying window reader.
    const tiff = await fromFile(RED_2018);
    const image = await tiff.getImage();
    const whole = await image.readRasters({ interleave: true });
    const part = await image.readRasters({ interleave: true, window: [5, 17, 46, 60] });
    await tiff.close();
    const cog = await openCog(RED_2018);
    try {
      const actual = await cog.readWindow({ col0: 0, row0: 0, cols: 64, rows: 64 });
      expect(actual).toBeInstanceOf(Uint16Array);
      expect([...actual]).toEqual([...whole]);
      const window = await cog.readWindow({ col0: 5, row0: 17, cols: 41, rows: 43 });
      expect([...window]).toEqual([...part]);
    } finally {
      await cog.close();
    }
  });

  it.skipIf(!hasData)(
    'reads real 10 m, 20 m and SCL blocks (DEFLATE, predictor 2) as readWindow does',
    async () => {
      for (const band of ['B04', 'B8A', 'SCL']) {
        const cog = await openCog(join(ITEM_2018, `${band}.tif`));
        try {
          await expectBlocksMatchWindows(cog);
        } finally {
          await cog.close();
        }
      }
    },
  );

  it('reads every block of a multi-block COG, edge blocks included, as readWindow does', async () => {
    const width = 83;
    const height = 70;
    const rasters: RasterArray[] = [
      Uint16Array.from({ length: width * height }, (_, k) => (k * 7919) % 65_536),
      Uint8Array.from({ length: width * height }, (_, k) => (k * 31) % 256),
      Int16Array.from({ length: width * height }, (_, k) => ((k * 7919) % 65_536) - 32_768),
      Float32Array.from({ length: width * height }, (_, k) => k / 7),
    ];
    for (const [k, data] of rasters.entries()) {
      for (const compression of ['deflate', 'none'] as const) {
        const file = join(root, `blocks-${k}-${compression}.tif`);
        await writeFile(
          file,
          writeCog(
            { width, height, data, epsg: 32631, originX: 501360, originY: 5629680, pixelSize: 10 },
            { tileSize: 32, compression },
          ),
        );
        const cog = await openCog(file);
        try {
          expect(cog.blocks).toEqual({ width: 32, height: 32, across: 3, down: 3 });
          await expectBlocksMatchWindows(cog);
          await expect(cog.readBlock(3, 0)).rejects.toMatchObject({
            code: 'window_outside_image',
          });
        } finally {
          await cog.close();
        }
      }
    }
  });

  it('rejects a corrupt block with read_failed, naming the block', async () => {
    const width = 64;
    const height = 64;
    const bytes = writeCog(
      {
        width,
        height,
        data: Uint16Array.from({ length: width * height }, (_, k) => k),
        epsg: 32631,
        originX: 501360,
        originY: 5629680,
        pixelSize: 10,
      },
      { tileSize: 32 },
    );
    const tiff = await fromFile(await writeTemp('corrupt.tif', bytes));
    const image = await tiff.getImage();
    const offset = Number(
      ((await image.fileDirectory.loadValue('TileOffsets')) as ArrayLike<number>)[3],
    );
    await tiff.close();
    const broken = Buffer.from(bytes);
    broken.fill(0xff, offset, offset + 16);
    const cog = await openCog(await writeTemp('corrupt.tif', broken));
    try {
      await expect(cog.readBlock(1, 1)).rejects.toMatchObject({
        code: 'read_failed',
        message: expect.stringMatching(/block \(1, 1\)/) as unknown,
      });
      expect((await cog.readBlock(0, 0)).data[1]).toBe(1);
    } finally {
      await cog.close();
    }
  });
});

async function writeTemp(name: string, bytes: Uint8Array): Promise<string> {
  const file = join(root, name);
  await writeFile(file, bytes);
  return file;
}

/** Every block of `cog` equals `readWindow` over the block's pixels (clipped to the image). */
async function expectBlocksMatchWindows(cog: OpenCog): Promise<void> {
  const { blocks, grid } = cog;
  for (let by = 0; by < blocks.down; by++) {
    for (let bx = 0; bx < blocks.across; bx++) {
      const col0 = bx * blocks.width;
      const row0 = by * blocks.height;
      const cols = Math.min(blocks.width, grid.width - col0);
      const rows = Math.min(blocks.height, grid.height - row0);
      const window = await cog.readWindow({ col0, row0, cols, rows });
      const block = await cog.readBlock(bx, by);
      expect(block.data.constructor).toBe(window.constructor);
      const picked: number[] = [];
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) picked.push(block.data[r * block.width + c] ?? NaN);
      }
      expect(picked).toEqual([...window]);
    }
  }
}
