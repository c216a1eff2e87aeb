import { openSync, closeSync } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCog, type RasterArray } from '../cog/write-cog.ts';
import type { BlockJob } from './decode-block.ts';
import { closeDecodePool, decodePool, DecodePool } from './decode-pool.ts';
import { openCog, type OpenCog } from './open-cog.ts';

const WIDTH = 83;
const HEIGHT = 70;
const TILE = 32;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pw-decode-pool-'));
});
afterAll(async () => {
  await closeDecodePool();
  await rm(root, { recursive: true, force: true });
});

async function writeBlocks(name: string, data: RasterArray, compression: 'deflate' | 'none') {
  const file = join(root, name);
  const bytes = writeCog(
    {
      width: WIDTH,
      height: HEIGHT,
      data,
      epsg: 32631,
      originX: 501360,
      originY: 5629680,
      pixelSize: 10,
    },
    { tileSize: TILE, compression },
  );
  await writeFile(file, bytes);
  return { file, bytes };
}

/** Every pixel of block (bx, by) inside the image, as positions, in a scrambled order. */
function blockPositions(cog: OpenCog, bx: number, by: number): Int32Array {
  const cols = Math.min(TILE, WIDTH - bx * TILE);
  const rows = Math.min(TILE, HEIGHT - by * TILE);
  const out: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(r * cog.blocks.width + c);
  // Reversed: the values must follow the positions' order, not the block's.
  return Int32Array.from(out.reverse());
}

async function expectPixelsMatchBlocks(cog: OpenCog): Promise<void> {
  const reads: Promise<void>[] = [];
  for (let by = 0; by < cog.blocks.down; by++) {
    for (let bx = 0; bx < cog.blocks.across; bx++) {
      // All blocks at once: many jobs in flight on the pool's workers, answered in any order.
      reads.push(
        (async () => {
          const positions = blockPositions(cog, bx, by);
          const [values, block] = await Promise.all([
            cog.readBlockPixels(bx, by, positions),
            cog.readBlock(bx, by),
          ]);
          const expected = [...positions].map((position) => {
            const row = Math.floor(position / cog.blocks.width);
            const col = position % cog.blocks.width;
            return Math.fround(block.data[row * block.width + col] as number);
          });
          expect(values).toBeInstanceOf(Float32Array);
          expect([...values]).toEqual(expected);
        })(),
      );
    }
  }
  await Promise.all(reads);
}

describe('readBlockPixels on the decode pool', () => {
  it('gives the values of readBlock at the positions, for every type, block and compression', async () => {
    const rasters: RasterArray[] = [
      Uint16Array.from({ length: WIDTH * HEIGHT }, (_, k) => (k * 7919) % 65_536),
      Uint8Array.from({ length: WIDTH * HEIGHT }, (_, k) => (k * 31) % 256),
      Int16Array.from({ length: WIDTH * HEIGHT }, (_, k) => ((k * 7919) % 65_536) - 32_768),
      Float32Array.from({ length: WIDTH * HEIGHT }, (_, k) => k / 7),
    ];
    for (const [k, data] of rasters.entries()) {
      for (const compression of ['deflate', 'none'] as const) {
        const { file } = await writeBlocks(`pixels-${k}-${compression}.tif`, data, compression);
        const cog = await openCog(file);
        try {
          await expectPixelsMatchBlocks(cog);
          await expect(cog.readBlockPixels(3, 0, Int32Array.of(0))).rejects.toMatchObject({
            code: 'window_outside_image',
          });
        } finally {
          await cog.close();
        }
      }
    }
    expect(decodePool().inFlight).toBe(0);
  });

  it('inflates only down to the last wanted row, with the values of the whole block', async () => {
    const size = 256;
    let state = 12_345;
    const noise = Uint16Array.from({ length: size * size }, () => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return 500 + (state % 3_000); // reflectance-like noise: compresses about as badly as bands do
    });
    const file = join(root, 'head.tif');
    await writeFile(
      file,
      writeCog(
        {
          width: size,
          height: size,
          data: noise,
          epsg: 32631,
          originX: 501360,
          originY: 5629680,
          pixelSize: 10,
        },
        { tileSize: size },
      ),
    );
    const cog = await openCog(file);
    try {
      for (const lastRow of [0, 17, 100, 200, 255]) {
        const positions = Int32Array.from({ length: 50 }, (_, k) =>
          k === 49 ? lastRow * size + 3 : ((k * 7) % (lastRow + 1)) * size + ((k * 31) % size),
        );
        const values = await cog.readBlockPixels(0, 0, positions);
        expect([...values], `rows down to ${lastRow}`).toEqual(
          [...positions].map((position) => noise[position]),
        );
      }
    } finally {
      await cog.close();
    }
  });

  it('turns a corrupt block into the same TileReadError as readBlock, and reads the others', async () => {
    const data = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, k) => k);
    const { file, bytes } = await writeBlocks('corrupt.tif', data, 'deflate');
    const tiff = await fromFile(file);
    const image = await tiff.getImage();
    const offsets = (await image.fileDirectory.loadValue('TileOffsets')) as ArrayLike<number>;
    await tiff.close();
    const broken = Buffer.from(bytes);
    broken.fill(0xff, Number(offsets[4]), Number(offsets[4]) + 16); // block (1, 1)
    await writeFile(file, broken);
    const cog = await openCog(file);
    try {
      const fromBlock = await cog.readBlock(1, 1).catch((error: unknown) => error);
      const fromPool = await cog
        .readBlockPixels(1, 1, Int32Array.of(0, 5))
        .catch((error: unknown) => error);
      expect(fromPool).toMatchObject({
        name: 'TileReadError',
        code: 'read_failed',
        message: expect.stringMatching(
          /^cannot read block \(1, 1\) of COG .*corrupt\.tif: /,
        ) as unknown,
        details: { bx: 1, by: 1 },
      });
      expect((fromPool as Error).message).toBe((fromBlock as Error).message);
      expect([...(await cog.readBlockPixels(0, 0, Int32Array.of(1, TILE)))]).toEqual([1, WIDTH]);
    } finally {
      await cog.close();
    }
  });

  it('decodes on the main thread the blocks whose workers go away', async () => {
    const data = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, k) => (k * 13) % 4001);
    const { file } = await writeBlocks('fallback.tif', data, 'deflate');
    const cog = await openCog(file);
    try {
      const positions = Int32Array.of(0, TILE + 3, 5 * TILE + 7);
      const reads = [0, 1, 2].map((bx) => cog.readBlockPixels(bx, 1, positions));
      await closeDecodePool(); // the jobs in flight reject inside readBlockPixels
      const values = await Promise.all(reads);
      values.forEach((got, bx) => {
        const expected = [...positions].map((position) => {
          const row = TILE + Math.floor(position / TILE);
          const col = bx * TILE + (position % TILE);
          return col < WIDTH ? (data[row * WIDTH + col] as number) : 0;
        });
        expect([...got], `block (${bx}, 1)`).toEqual(expected);
      });
    } finally {
      await cog.close();
    }
  });

  it('reports a block cut off after opening as truncated_cog, as readBlock does', async () => {
    const data = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, k) => k % 1000);
    const { file, bytes } = await writeBlocks('shrinks.tif', data, 'deflate');
    const cog = await openCog(file);
    try {
      await truncate(file, bytes.length - 20); // the last block loses its end
      const last = { bx: cog.blocks.across - 1, by: cog.blocks.down - 1 };
      const fromBlock = await cog.readBlock(last.bx, last.by).catch((error: unknown) => error);
      const fromPool = await cog
        .readBlockPixels(last.bx, last.by, Int32Array.of(0))
        .catch((error: unknown) => error);
      expect(fromPool).toMatchObject({
        code: 'truncated_cog',
        message: expect.stringMatching(/block \(2, 2\) has \d+ of its \d+ bytes at \d+/) as unknown,
      });
      expect((fromPool as Error).message).toBe((fromBlock as Error).message);
    } finally {
      await cog.close();
    }
  });
});

describe('DecodePool', () => {
  it('answers each job with its own block, starts at most `size` workers, and shuts down', async () => {
    const data = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, k) => k);
    const { file } = await writeBlocks('pool.tif', data, 'deflate');
    const tiff = await fromFile(file);
    const image = await tiff.getImage();
    const offsets = (await image.fileDirectory.loadValue('TileOffsets')) as ArrayLike<number>;
    const counts = (await image.fileDirectory.loadValue('TileByteCounts')) as ArrayLike<number>;
    await tiff.close();
    const fd = openSync(file, 'r');
    const pool = new DecodePool(2);
    try {
      const jobOf = (block: number): BlockJob => ({
        fd,
        offset: Number(offsets[block]),
        byteCount: Number(counts[block]),
        compression: 8,
        predictor: 2,
        sampleType: 'Uint16Array',
        blockWidth: TILE,
        rows: TILE,
        sparseFill: 0,
        positions: Int32Array.of(0, TILE + 1),
      });
      const across = Math.ceil(WIDTH / TILE);
      const blocks = Array.from({ length: 9 }, (_, block) => block);
      const outcomes = await Promise.all(
        [...blocks, ...blocks, ...blocks].map((block) => pool.run(jobOf(block))),
      );
      expect(pool.threads).toBe(2);
      expect(pool.inFlight).toBe(0);
      outcomes.forEach((outcome, k) => {
        const block = k % 9;
        const first = Math.floor(block / across) * TILE * WIDTH + (block % across) * TILE;
        expect(outcome).toEqual({ ok: true, values: Float32Array.of(first, first + WIDTH + 1) });
      });
      const badFd = await pool.run({ ...jobOf(0), fd: 1_000_000 });
      expect(badFd).toMatchObject({ ok: false, problem: 'failed' });
      await pool.close();
      expect(pool.threads).toBe(0);
      await expect(pool.run(jobOf(0))).rejects.toThrow(/closed/);
    } finally {
      await pool.close();
      closeSync(fd);
    }
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new DecodePool(0)).toThrow(/decode pool size 0 must be a positive integer/);
  });
});
