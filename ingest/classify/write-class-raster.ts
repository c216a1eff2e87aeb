/**
 * The classified raster as a COG: a uint16 GeoTIFF of predicted crop codes (WorldCereal codes,
 * 0 = not classified / nodata) on the season's 10 m grid, tiled and DEFLATE-compressed.
 */
import { writeCog } from '../cog/write-cog.ts';
import type { ClassRaster } from './classify-parcels.ts';

/**
 * Encodes a {@link ClassRaster} as COG bytes (write them with `fs.writeFile`).
 *
 * @example await writeFile('classes.tif', classRasterToCog(result.raster));
 */
export function classRasterToCog(raster: ClassRaster): Buffer {
  const [a, b, originX, d, e, originY] = raster.transform;
  if (b !== 0 || d !== 0 || a <= 0 || e !== -a)
    throw new RangeError(
      `class raster transform [${raster.transform.join(', ')}] is not north-up with square pixels`,
    );
  return writeCog({
    width: raster.width,
    height: raster.height,
    data: raster.data,
    epsg: raster.epsg,
    originX,
    originY,
    pixelSize: a,
    nodata: 0,
  });
}
