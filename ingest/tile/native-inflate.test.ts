import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
    ).toThrow('inflatePick: values (a Float32Array) has the wrong type');
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
  let file: string;
  let noise: Uint16Array;
  let block: { offset: number; byteCount: number };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pw-native-inflate-'));
    let seed = 7;
    noise = Uint16Array.from({ length: SIZE * SIZE }, () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return 400 + (seed % 4_000);
    });
    file = join(root, 'band.tif');
    await writeFile(
      file,
      writeCog(
        {
          width: SIZE,
          height: SIZE,
          data: noise,
          epsg: 32631,
          originX: 0,
          originY: 0,
          pixelSize: 10,
        },
        { tileSize: SIZE },
      ),
    );
    const tiff = await fromFile(file);
    const directory = (await tiff.getImage()).fileDirectory;
    const offsets = (await directory.loadValue('TileOffsets')) as ArrayLike<number>;
    const counts = (await directory.loadValue('TileByteCounts')) as ArrayLike<number>;
    block = { offset: Number(offsets[0]), byteCount: Number(counts[0]) };
    await tiff.close();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function decodeWith(inflater: InflaterChoice, positions: Int32Array, fd: number) {
    const job: BlockJob = {
      fd,
      ...block,
      compression: 8,
      predictor: 2,
      sampleType: 'Uint16Array',
      blockWidth: SIZE,
      rows: SIZE,
      sparseFill: 0,
      positions,
    };
    return decodeBlockPixels(job, new DecoderState(inflater));
  }

  it('gives the same pixels, whether few rows are wanted (zlib head) or many (whole block)', () => {
    const fd = openSync(file, 'r');
    try {
      for (const lastRow of [3, 60, 89, 90, 200, 255]) {
        const positions = Int32Array.from({ length: 40 }, (_, k) =>
          k === 0 ? lastRow * SIZE + 11 : ((k * 13) % (lastRow + 1)) * SIZE + ((k * 37) % SIZE),
        );
        const expected = [...positions].map((position) => noise[position]);
        for (const inflater of [auto, chooseInflater('zlib')]) {
          const outcome = decodeWith(inflater, positions, fd);
          expect(outcome.ok, `${inflater.kind}, rows down to ${lastRow}`).toBe(true);
          if (outcome.ok) expect([...outcome.values]).toEqual(expected);
        }
      }
    } finally {
      closeSync(fd);
    }
  });

  it('gives the same 8-bit pixels (predictor 2, as SCL is stored) on both', async () => {
    let seed = 3;
    const classes = Uint8Array.from({ length: SIZE * SIZE }, () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % 12;
    });
    const path = join(root, 'scl.tif');
    await writeFile(
      path,
      writeCog(
        {
          width: SIZE,
          height: SIZE,
          data: classes,
          epsg: 32631,
          originX: 0,
          originY: 0,
          pixelSize: 20,
        },
        { tileSize: SIZE },
      ),
    );
    const tiff = await fromFile(path);
    const directory = (await tiff.getImage()).fileDirectory;
    const offsets = (await directory.loadValue('TileOffsets')) as ArrayLike<number>;
    const counts = (await directory.loadValue('TileByteCounts')) as ArrayLike<number>;
    await tiff.close();
    const fd = openSync(path, 'r');
    try {
      const positions = Int32Array.from({ length: 500 }, (_, k) => (k * 131) % (SIZE * SIZE));
      for (const inflater of [auto, chooseInflater('zlib')]) {
        const outcome = decodeBlockPixels(
          {
            fd,
            offset: Number(offsets[0]),
            byteCount: Number(counts[0]),
            compression: 8,
            predictor: 2,
            sampleType: 'Uint8Array',
            blockWidth: SIZE,
            rows: SIZE,
            sparseFill: 0,
            positions,
          },
          new DecoderState(inflater),
        );
        expect(outcome.ok, inflater.kind).toBe(true);
        if (outcome.ok) expect([...outcome.values]).toEqual([...positions].map((p) => classes[p]));
      }
    } finally {
      closeSync(fd);
    }
  });

  it("reports a corrupt block with zlib's message on both", async () => {
    const bytes = await readFile(file);
    bytes.fill(0xff, block.offset + 2, block.offset + 40);
    const broken = join(root, 'broken.tif');
    await writeFile(broken, bytes);
    const fd = openSync(broken, 'r');
    try {
      const positions = Int32Array.of((SIZE - 1) * SIZE);
      const [native, zlib] = [auto, chooseInflater('zlib')].map((inflater) =>
        decodeWith(inflater, positions, fd),
      );
      expect(zlib).toMatchObject({ ok: false, problem: 'failed' });
      expect(native).toEqual(zlib);
    } finally {
      closeSync(fd);
    }
  });
});
