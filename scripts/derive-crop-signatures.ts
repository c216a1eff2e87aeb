/**
 * Derives per-crop seasonal reflectance signatures from the real labelled Sentinel-2 scenes, for
 * the scene simulator (demo imagery and benchmark tiles): for every crop, band and 15-day bin of
 * the year, the mean and standard deviation of the clear pixels of its labelled parcels. Writes a
 * small JSON of figures to fixtures/sentinel2/crop-signatures.json; the scenes are never copied.
 *
 *   npx tsx scripts/derive-crop-signatures.ts [--data ../shared/data/sentinel2] [--out FILE]
 *
 * Parcels are shrunk by one 10 m pixel first (the imagery sits about a pixel off the labels) and
 * only whole pixels count; labels withheld in the data are not used.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadStac, readParcelSeason, BAND_NAMES, type ParcelInput } from '../ingest/index.ts';
import type { CropSignatures } from '../ingest/simulate/crop-signatures.ts';
import { dayOfYear } from '../ingest/simulate/crop-signatures.ts';

const BIN_DAYS = 15;

interface LabelFeature {
  readonly geometry: ParcelInput['geometry'];
  readonly properties: {
    parcel_id: string;
    crop_code?: number | null;
    crop_name?: string;
    label_withheld?: boolean;
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      data: { type: 'string', default: '../shared/data/sentinel2' },
      out: { type: 'string', default: 'fixtures/sentinel2/crop-signatures.json' },
    },
  });
  const seasons = ['flanders-2018', 'flanders-2019'];
  const binCount = Math.ceil(366 / BIN_DAYS);
  const bandCount = BAND_NAMES.length;
  type Acc = {
    name: string;
    parcels: Set<string>;
    n: Float64Array;
    sum: Float64Array;
    sumSq: Float64Array;
  };
  const crops = new Map<string, Acc>();

  for (const season of seasons) {
    const folder = path.join(values.data, season);
    const { items, failures } = await loadStac(path.join(folder, 'catalog.json'));
    if (failures.length > 0) console.error(`${season}: ${failures.length} STAC failures (ignored)`);
    const labels = JSON.parse(
      await readFile(path.join(folder, 'labels', 'parcels.geojson'), 'utf8'),
    ) as { features: LabelFeature[] };
    const labelled = labels.features.filter(
      (f) => f.properties.label_withheld !== true && typeof f.properties.crop_code === 'number',
    );
    const byId = new Map(labelled.map((f) => [f.properties.parcel_id, f.properties]));
    const result = await readParcelSeason(
      items,
      labelled.map((f) => ({ id: f.properties.parcel_id, geometry: f.geometry })),
      { bufferM: 10 },
    );
    for (const parcel of result.parcels) {
      const props = byId.get(parcel.parcelId);
      if (props?.crop_code === undefined || props.crop_code === null) continue;
      const code = String(props.crop_code);
      let acc = crops.get(code);
      if (acc === undefined) {
        acc = {
          name: props.crop_name ?? code,
          parcels: new Set(),
          n: new Float64Array(binCount),
          sum: new Float64Array(binCount * bandCount),
          sumSq: new Float64Array(binCount * bandCount),
        };
        crops.set(code, acc);
      }
      acc.parcels.add(`${season}/${parcel.parcelId}`);
      const { series } = parcel;
      series.dates.forEach((date, d) => {
        const bin = Math.min(binCount - 1, Math.floor((dayOfYear(date) - 1) / BIN_DAYS));
        for (let p = 0; p < series.pixelCount; p++) {
          if ((parcel.fractions[p] ?? 0) < 0.999) continue;
          const i = d * series.pixelCount + p;
          const pixel = BAND_NAMES.map((band) => series.bands[band][i] ?? Number.NaN);
          if (pixel.some((v) => !Number.isFinite(v))) continue;
          acc.n[bin] = (acc.n[bin] ?? 0) + 1;
          pixel.forEach((v, b) => {
            const k = bin * bandCount + b;
            acc.sum[k] = (acc.sum[k] ?? 0) + v;
            acc.sumSq[k] = (acc.sumSq[k] ?? 0) + v * v;
          });
        }
      });
    }
  }

  const sampleDays = Array.from(
    { length: binCount },
    (_, i) => i * BIN_DAYS + Math.ceil(BIN_DAYS / 2),
  );
  const out: CropSignatures = {
    description:
      'Per-crop Sentinel-2 L2A surface reflectance by 15-day bin of the year (mean and standard deviation of clear whole pixels of labelled parcels, shrunk by 10 m). Bins without a clear observation are interpolated from their neighbours. Figures only: made by scripts/derive-crop-signatures.ts.',
    derivedFrom: seasons.map(
      (s) =>
        `${s}: Copernicus Sentinel-2 L2A over the Flemish parcel register labels (see the data's README)`,
    ),
    bands: [...BAND_NAMES],
    sampleDays,
    crops: Object.fromEntries(
      [...crops]
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([code, acc]) => {
          const mean: (number | null)[][] = [];
          const sd: (number | null)[][] = [];
          for (let bin = 0; bin < binCount; bin++) {
            const n = acc.n[bin] ?? 0;
            mean.push(
              Array.from({ length: bandCount }, (_, b) =>
                n === 0 ? null : (acc.sum[bin * bandCount + b] ?? 0) / n,
              ),
            );
            sd.push(
              Array.from({ length: bandCount }, (_, b) => {
                if (n < 2) return null;
                const m = (acc.sum[bin * bandCount + b] ?? 0) / n;
                return Math.sqrt(Math.max(0, (acc.sumSq[bin * bandCount + b] ?? 0) / n - m * m));
              }),
            );
          }
          return [
            code,
            {
              name: acc.name,
              parcels: acc.parcels.size,
              pixelDates: Array.from(acc.n).reduce((a, b) => a + b, 0),
              mean: fillGaps(mean),
              sd: fillGaps(sd),
            },
          ];
        }),
    ),
  };
  // One line per bin: readable in a diff, small on disk.
  const json = JSON.stringify(out, roundNumbers, 1).replace(
    /\[\s+([-\d.,\s]+?)\s+\]/g,
    (_m, inner: string) => `[${inner.replace(/\s+/g, '')}]`,
  );
  await writeFile(values.out, `${json}\n`);
  for (const [code, crop] of Object.entries(out.crops)) {
    console.error(
      `${code} ${crop.name}: ${crop.parcels} parcels, ${crop.pixelDates} clear pixel-dates`,
    );
  }
  console.error(`wrote ${values.out}`);
}

/** Fills the empty bins of each band linearly from the nearest filled ones (cyclically). */
function fillGaps(rows: (number | null)[][]): number[][] {
  const n = rows.length;
  const filled = rows.map((row) => row.map((v) => v ?? Number.NaN));
  const bands = rows[0]?.length ?? 0;
  for (let b = 0; b < bands; b++) {
    const known = filled.flatMap((row, i) => (Number.isFinite(row[b]) ? [i] : []));
    if (known.length === 0) throw new Error(`band ${b} has no clear observation in any bin`);
    for (let i = 0; i < n; i++) {
      const row = filled[i];
      if (row === undefined || Number.isFinite(row[b])) continue;
      const before = [...known].reverse().find((k) => k < i) ?? (known.at(-1) ?? 0) - n;
      const after = known.find((k) => k > i) ?? (known[0] ?? 0) + n;
      const vb = filled[(before + n) % n]?.[b] ?? 0;
      const va = filled[after % n]?.[b] ?? 0;
      row[b] = vb + ((va - vb) * (i - before)) / (after - before);
    }
  }
  return filled;
}

function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value)
    ? Math.round(value * 1e4) / 1e4
    : value;
}

await main();
