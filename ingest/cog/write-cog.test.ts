import { fromArrayBuffer } from 'geotiff';
import { describe, expect, it } from 'vitest';
import { writeCog, type RasterArray } from './write-cog.ts';

async function readBack(bytes: Buffer) {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const tiff = await fromArrayBuffer(buffer as ArrayBuffer);
  return tiff.getImage();
}

function ramp<T extends RasterArray>(data: T, width: number): T {
  for (let i = 0; i < data.length; i++)
    data[i] = ((i % width) * 7 + Math.floor(i / width) * 13) % 3000;
  return data;
}

describe('writeCog', () => {
  it('round-trips int16 pixels through tiles that overhang the right and bottom edges', async () => {
    const width = 300;
    const height = 170;
    const data = ramp(new Int16Array(width * height), width);
    data[5] = -1000;
    const bytes = writeCog(
      {
        width,
        height,
        data,
        epsg: 32631,
        originX: 501360,
        originY: 5629680,
        pixelSize: 10,
        nodata: 0,
      },
      { tileSize: 128 },
    );
    const image = await readBack(bytes);
    expect([image.getWidth(), image.getHeight()]).toEqual([width, height]);
    expect([image.getTileWidth(), image.getTileHeight()]).toEqual([128, 128]);
    expect(image.getOrigin()).toEqual([501360, 5629680, 0]);
    expect(image.getResolution()).toEqual([10, -10, 0]);
    expect(image.getGeoKeys()?.ProjectedCSTypeGeoKey).toBe(32631);
    expect(image.getGDALNoData() ?? Number.NaN).toBe(0);
    const [band] = (await image.readRasters()) as unknown as Int16Array[];
    expect(Array.from(band ?? [])).toEqual(Array.from(data));
  });

  it('reads back a window that spans four tiles', async () => {
    const width = 256;
    const data = ramp(new Uint16Array(width * width), width);
    const image = await readBack(
      writeCog(
        { width, height: width, data, epsg: 32631, originX: 0, originY: 0, pixelSize: 20 },
        { tileSize: 64 },
      ),
    );
    const [window] = (await image.readRasters({
      window: [60, 50, 70, 80],
    })) as unknown as Uint16Array[];
    const expected: number[] = [];
    for (let r = 50; r < 80; r++)
      for (let c = 60; c < 70; c++) expected.push(data[r * width + c] ?? -1);
    expect(Array.from(window ?? [])).toEqual(expected);
  });

  it('writes float32 and uint8 rasters, compressed or not, and geographic grids', async () => {
    const floats = new Float32Array([0.25, -1.5, 3, Number.NaN]);
    const image = await readBack(
      writeCog(
        {
          width: 2,
          height: 2,
          data: floats,
          epsg: 4326,
          originX: 3,
          originY: 51,
          pixelSize: 0.001,
        },
        { compression: 'none', tileSize: 16 },
      ),
    );
    expect(image.getGeoKeys()?.GeographicTypeGeoKey).toBe(4326);
    const [values] = (await image.readRasters()) as unknown as Float32Array[];
    expect(Array.from(values ?? [])).toEqual([0.25, -1.5, 3, Number.NaN]);

    const bytes = new Uint8Array([1, 2, 3, 250, 251, 252]);
    const uint8 = await readBack(
      writeCog({
        width: 3,
        height: 2,
        data: bytes,
        epsg: 32631,
        originX: 0,
        originY: 0,
        pixelSize: 10,
      }),
    );
    const [read] = (await uint8.readRasters()) as unknown as Uint8Array[];
    expect(Array.from(read ?? [])).toEqual([1, 2, 3, 250, 251, 252]);
  });

  it('refuses data that does not match the stated size, and odd tile sizes', () => {
    const base = { epsg: 32631, originX: 0, originY: 0, pixelSize: 10 };
    expect(() => writeCog({ ...base, width: 3, height: 3, data: new Uint8Array(8) })).toThrow(
      'raster data has 8 values, expected 9',
    );
    expect(() =>
      writeCog({ ...base, width: 1, height: 1, data: new Uint8Array(1) }, { tileSize: 20 }),
    ).toThrow('tileSize 20: must be a multiple of 16');
  });
});
