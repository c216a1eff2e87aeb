import { writeFile } from 'node:fs/promises';
import { writeArrayBuffer } from 'geotiff';

/** A tiny single-band GeoTIFF for tests. */
export interface TestCogSpec {
  /** Row-major values, `width * height` of them. */
  values: Uint16Array | Uint8Array;
  width: number;
  height: number;
  /** Outer corner of pixel (0, 0). */
  originX: number;
  originY: number;
  pixelSizeM: number;
  epsg: number;
  /** Written as GDAL_NODATA when given. */
  nodata?: number;
}

/**
 * Writes a tiny uncompressed, single-strip GeoTIFF with geotiff.js's `writeArrayBuffer` (test
 * helper; real COGs are tiled and compressed, which only changes how geotiff.js decodes them).
 *
 * @param path - Where to write.
 * @param spec - Values, size, grid and CRS.
 * @returns The file's bytes (to truncate in tests).
 * @example
 * ```ts
 * await writeTestCog('/tmp/b.tif', { values, width: 8, height: 8, originX: 501360,
 *   originY: 5629680, pixelSizeM: 10, epsg: 32631 });
 * ```
 */
export async function writeTestCog(path: string, spec: TestCogSpec): Promise<Uint8Array> {
  const bits = spec.values instanceof Uint8Array ? 8 : 16;
  const geographic = spec.epsg === 4326;
  const buffer = writeArrayBuffer(spec.values, {
    width: spec.width,
    height: spec.height,
    BitsPerSample: [bits],
    SampleFormat: [1],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 1,
    ModelPixelScale: [spec.pixelSizeM, spec.pixelSizeM, 0],
    ModelTiepoint: [0, 0, 0, spec.originX, spec.originY, 0],
    GTModelTypeGeoKey: geographic ? 2 : 1,
    GTRasterTypeGeoKey: 1,
    ...(geographic ? { GeographicTypeGeoKey: 4326 } : { ProjectedCSTypeGeoKey: spec.epsg }),
    ...(spec.nodata === undefined ? {} : { GDAL_NODATA: `${spec.nodata}\0` }),
  });
  const bytes = new Uint8Array(buffer);
  await writeFile(path, bytes);
  return bytes;
}
