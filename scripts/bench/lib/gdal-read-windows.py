"""Reads pixel windows of GeoTIFF files with GDAL: the reference reader of the satellite bench.

stdin: JSON {"files": [{"path": "...", "windows": [[x, y, width, height], ...]}, ...]}
stdout: JSON {"seconds": wall time of opening and reading, "cpu_seconds": CPU time of this process
(all threads) over the same span, "pixels": pixels read, "files": n}

Each file is opened once and its windows read in the given order into a reused buffer, as a
reader of a season's scenes would. GDAL's block cache keeps decoded tiles, so a tile shared by two
windows is decoded once, which is the behaviour our own reader is held to.
"""
import json
import resource
import sys
import time

from osgeo import gdal

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR")


def main() -> None:
    job = json.load(sys.stdin)
    pixels = 0
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    for entry in job["files"]:
        dataset = gdal.Open(entry["path"], gdal.GA_ReadOnly)
        band = dataset.GetRasterBand(1)
        for x, y, width, height in entry["windows"]:
            band.ReadRaster(x, y, width, height)
            pixels += width * height
        dataset = None
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    json.dump(
        {"seconds": seconds, "cpu_seconds": cpu_seconds, "pixels": pixels, "files": len(job["files"])},
        sys.stdout,
    )


main()
