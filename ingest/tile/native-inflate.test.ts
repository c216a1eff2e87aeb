import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCog } from '../cog/write-cog.ts';
import { DecoderState, decodeBlockPixels, type BlockJob } from './decode-block.ts';
import { chooseInflater, type InflaterChoice, type NativeInflate } from './native-inflate.ts';

// The test command builds the addon first and sets this, so there the libdeflate tests cannot
// pass by skipping; elsewhere they skip with the reason when the addon is not built.
const required = process.env['PW_REQUIRE_NATIVE_INFLATE'] === '1';
const auto = chooseInflater('auto');
const addon: NativeInflate | null = auto.kind === 'libdeflate' ? auto.addon : null;
if (addon === null && !required) {
  console.warn(
    `native-inflate.test.ts: libdeflate tests skipped: ${auto.kind === 'zlib' ? auto.reason : ''}`,
  );
}

describe('choosing the inflater (PW_INFLATE)', () => {
  it('uses zlib when asked, and names a bad setting with its allowed values', () => {
    expect(chooseInflater('zlib')).toEqual({ kind: 'zlib', reason: 'PW_INFLATE=zlib' });
    expect(() => chooseInflater('pako')).toThrow(
      'PW_INFLATE is "pako"; it must be one of auto, libdeflate, zlib',
    );
  });

  it('has the addon when the test command built it', () => {
    if (required) expect(auto.kind).toBe('libdeflate');
    else expect(['libdeflate', 'zlib']).toContain(auto.kind);
  });
});

describe.skipIf(addon === null)('the libdeflate addon', () => {
  const native = addon as NativeInflate;
  const plain = Buffer.from(Array.from({ length: 70_000 }, (_, k) => (k * 31 + (k >> 7)) % 251));
  const stream = deflateSync(plain);

  it('inflates a zlib stream to the same bytes as zlib, into the given buffer', () => {
    const target = new Uint8Array(plain.length + 100);
    expect(native.inflateInto(stream, target)).toBe(plain.length);
    expect(Buffer.from(target.subarray(0, plain.length)).equals(plain)).toBe(true);
  });

  it('rejects a truncated stream, a stream longer than the buffer and a wrong argument', () => {
    expect(() =>
      native.inflateInto(stream.subarray(0, stream.length - 9), new Uint8Array(plain.length)),
    ).toThrow(expect.objectContaining({ code: 'ERR_PW_INFLATE_BAD_DATA' }) as Error);
    expect(() => native.inflateInto(stream, new Uint8Array(100))).toThrow(
      'DEFLATE stream inflates to more than the 100 bytes expected',
    );
    expect(() => native.inflateInto('text' as unknown as Uint8Array, new Uint8Array(1))).toThrow(
      'inflateInto: source must be a Uint8Array',
    );
    const values = new Float32Array(1);
    expect(() =>
      native.inflatePick(
        stream,
        new Uint8Array(plain.length),
        4 as 2,
        2,
        10,
        Int32Array.of(0),
        values,
      ),
    ).toThrow('bytesPerSample and predictor must be 1 or 2');
    expect(() =>
      native.inflatePick(
        stream,
        new Uint8Array(plain.length),
        1,
        1,
        10,
        new Int32Array(1),
        new Float64Array(1) as unknown as Float32Array,
      ),
    ).toThrow('inflatePick: values must be a Float32Array');
  });

  it('picks samples after undoing the predictor, and leaves values alone when rows are missing', () => {
    // Two rows of 4 uint16 samples, stored as differences (predictor 2).
    const rows = Uint16Array.of(10, 1, 1, 1, 500, 65_535, 2, 0);
    const packed = deflateSync(Buffer.from(rows.buffer));
    const values = new Float32Array(3);
    const target = new Uint8Array(16);
    expect(native.inflatePick(packed, target, 2, 2, 4, Int32Array.of(3, 4, 5), values)).toBe(16);
    expect([...values]).toEqual([13, 500, 499]); // 10+1+1+1, 500, (500 + 65535) mod 65536
    const short = deflateSync(Buffer.from(rows.buffer, 0, 8)); // the first row only
    values.fill(-1);
    expect(native.inflatePick(short, target, 2, 2, 4, Int32Array.of(0, 4), values)).toBe(8);
    expect([...values]).toEqual([-1, -1, -1]);
  });
});

describe.skipIf(addon === null)('decodeBlockPixels with libdeflate and with zlib', () => {
  const SIZE = 256;
  let root: string;

  /** Reflectance-like (or class-like) noise: compresses about as badly as real bands do. */
  function noise<T extends Uint16Array | Uint8Array>(
    make: (n: number) => T,
    seed: number,
    span: number,
    base: number,
  ): T {
    const out = make(SIZE * SIZE);
    for (let k = 0; k < out.length; k++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      out[k] = base + (seed % span);
    }
    return out;
  }

  /** A one-block DEFLATE/predictor-2 COG of `data`, and where its block's bytes are. */
  async function oneBlockCog(name: string, data: Uint16Array | Uint8Array) {
    const path = join(root, name);
    const bytes = writeCog(
      { width: SIZE, height: SIZE, data, epsg: 32631, originX: 0, originY: 0, pixelSize: 10 },
      { tileSize: SIZE },
    );
    await writeFile(path, bytes);
    const tiff = await fromFile(path);
    const directory = (await tiff.getImage()).fileDirectory;
    const offsets = (await directory.loadValue('TileOffsets')) as ArrayLike<number>;
    const counts = (await directory.loadValue('TileByteCounts')) as ArrayLike<number>;
    await tiff.close();
    return { path, bytes, offset: Number(offsets[0]), byteCount: Number(counts[0]) };
  }

  /** Decodes the block of `cog` at `positions` with each inflater: [libdeflate, zlib]. */
  function decodeBoth(
    cog: { path: string; offset: number; byteCount: number },
    sampleType: 'Uint16Array' | 'Uint8Array',
    positions: Int32Array,
  ) {
    const fd = openSync(cog.path, 'r');
    try {
      return [auto, chooseInflater('zlib')].map((inflater: InflaterChoice) => {
        const job: BlockJob = {
          fd,
          offset: cog.offset,
          byteCount: cog.byteCount,
          compression: 8,
          predictor: 2,
          sampleType,
          blockWidth: SIZE,
          rows: SIZE,
          sparseFill: 0,
          positions,
        };
        return decodeBlockPixels(job, new DecoderState(inflater));
      });
    } finally {
      closeSync(fd);
    }
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pw-native-inflate-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('gives the same pixels, whether few rows are wanted (zlib head) or many (whole block)', async () => {
    const values = noise((n) => new Uint16Array(n), 7, 4_000, 400);
    const cog = await oneBlockCog('band.tif', values);
    for (const lastRow of [3, 60, 89, 90, 200, 255]) {
      const positions = Int32Array.from({ length: 40 }, (_, k) =>
        k === 0 ? lastRow * SIZE + 11 : ((k * 13) % (lastRow + 1)) * SIZE + ((k * 37) % SIZE),
      );
      const expected = [...positions].map((position) => values[position]);
      for (const outcome of decodeBoth(cog, 'Uint16Array', positions)) {
        expect(outcome, `rows down to ${lastRow}`).toEqual({
          ok: true,
          values: Float32Array.from(expected as number[]),
        });
      }
    }
  });

  it('gives the same 8-bit pixels (predictor 2, as SCL is stored) on both', async () => {
    const classes = noise((n) => new Uint8Array(n), 3, 12, 0);
    const cog = await oneBlockCog('scl.tif', classes);
    const positions = Int32Array.from({ length: 500 }, (_, k) => (k * 131) % (SIZE * SIZE));
    const expected = Float32Array.from(positions, (position) => classes[position] as number);
    for (const outcome of decodeBoth(cog, 'Uint8Array', positions)) {
      expect(outcome).toEqual({ ok: true, values: expected });
    }
  });

  it("reports a corrupt block with zlib's message on both", async () => {
    const cog = await oneBlockCog(
      'broken.tif',
      noise((n) => new Uint16Array(n), 5, 4_000, 400),
    );
    cog.bytes.fill(0xff, cog.offset + 2, cog.offset + 40);
    await writeFile(cog.path, cog.bytes);
    const [native, zlib] = decodeBoth(cog, 'Uint16Array', Int32Array.of((SIZE - 1) * SIZE));
    expect(zlib).toMatchObject({ ok: false, problem: 'failed' });
    expect(native).toEqual(zlib);
  });
});
