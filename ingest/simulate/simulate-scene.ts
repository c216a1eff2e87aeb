import { pixelCoverage, type MultiPolygon, type Polygon, type TileGrid } from '../../geo/index.ts';
import type { BandName } from '../types.ts';
import { dayOfYear, signatureOn, type CropSignatures } from './crop-signatures.ts';

export interface SimulatedParcel {
  /** WorldCereal crop code; must have a signature. */
  readonly cropCode: number | string;
  /** WGS84 `[lng, lat]`. */
  readonly geometry: Polygon | MultiPolygon;
}

export interface SceneSimulatorOptions {
  /** The 10 m grid of the scene; 20 m products get half its width and height (rounded up). */
  readonly grid: TileGrid;
  readonly parcels: readonly SimulatedParcel[];
  readonly signatures: CropSignatures;
  /** What grows outside the parcels (a crop code of the signatures, e.g. grassland). */
  readonly backgroundCropCode: string;
  /** Fixes the parcels' own deviations from their crop's mean. */
  readonly seed: number;
}

export interface SceneWeather {
  /** Share of the scene under cloud, 0-1; a shadow of the same size lies beside each cloud. */
  readonly cloudFraction: number;
  /** Fixes where clouds are and the pixel noise of this scene. */
  readonly seed: number;
}

/** One simulated acquisition: bands as Sentinel-2 L2A digital numbers (reflectance x 10 000). */
export interface SimulatedScene {
  readonly date: Date;
  /** Width and height of the 20 m products. */
  readonly width20: number;
  readonly height20: number;
  /** A band at 10 m on the grid (row-major). */
  band10(name: BandName): Uint16Array;
  /** A band at 20 m: the mean of each 2 x 2 block of its 10 m values. */
  band20(name: BandName): Uint16Array;
  /** Scene classification at 20 m: 9 cloud, 3 cloud shadow, 4 vegetation, 5 bare soil. */
  scl20(): Uint8Array;
}

export interface SceneSimulator {
  /** Which parcel (index + 1) each 10 m pixel belongs to, 0 for background (coverage >= 0.5). */
  readonly labels: Uint16Array;
  simulate(date: Date, weather: SceneWeather): SimulatedScene;
}

const CLEAR = 0;
const CLOUD = 1;
const SHADOW = 2;

/**
 * A scene simulator for demo and benchmark imagery: every pixel of a parcel draws its crop's
 * reflectance for the day of the year from the signatures, plus a deviation of the parcel's own
 * (so parcels of one crop differ, as fields do) and per-pixel noise; together they have the
 * signature's standard deviation. Clouds are discs with a darker shadow beside them, marked in the
 * SCL layer the way Sen2Cor marks them, so the masking path is exercised too. Deterministic for
 * given seeds. Real scenes are never copied: only the signatures' figures come from them.
 *
 * Memory: a label raster of 2 bytes per 10 m pixel, plus what the caller keeps of each band.
 */
export function createSceneSimulator(options: SceneSimulatorOptions): SceneSimulator {
  const { grid, signatures } = options;
  if (signatures.crops[options.backgroundCropCode] === undefined) {
    throw new RangeError(`backgroundCropCode ${options.backgroundCropCode} has no signature`);
  }
  if (options.parcels.length > 65_534) {
    throw new RangeError(`${options.parcels.length} parcels: at most 65 534 per simulated scene`);
  }
  const labels = rasterizeParcels(grid, options.parcels);
  const bandCount = signatures.bands.length;
  const rng = createRng(options.seed);
  // Each parcel's own deviation from its crop's mean, in standard deviations, per band.
  const parcelDeviation = new Float32Array(options.parcels.length * bandCount);
  for (let i = 0; i < parcelDeviation.length; i++) parcelDeviation[i] = rng.normal();
  const cropOf = options.parcels.map((p) => String(p.cropCode));
  for (const code of new Set(cropOf)) {
    if (signatures.crops[code] === undefined) {
      throw new RangeError(`parcel crop code ${code} has no signature`);
    }
  }

  return {
    labels,
    simulate(date, weather) {
      const day = dayOfYear(date);
      const width20 = Math.ceil(grid.width / 2);
      const height20 = Math.ceil(grid.height / 2);
      const sky = drawSky(width20, height20, weather);
      const codes = [options.backgroundCropCode, ...cropOf];
      const looks = new Map<string, { mean: Float32Array; sd: Float32Array }>();
      for (const code of new Set(codes)) looks.set(code, signatureOn(signatures, code, day));
      const cache = new Map<BandName, Uint16Array>();

      const band10 = (name: BandName): Uint16Array => {
        const cached = cache.get(name);
        if (cached !== undefined) return cached;
        const b = signatures.bands.indexOf(name);
        if (b === -1) throw new RangeError(`band ${name} is not in the signatures`);
        const means = new Float32Array(codes.length);
        const sds = new Float32Array(codes.length);
        codes.forEach((code, i) => {
          const look = looks.get(code);
          means[i] = look?.mean[b] ?? 0;
          sds[i] = look?.sd[b] ?? 0;
        });
        const noise = createNoiseTable(weather.seed * 31 + b * 7919 + 1);
        const out = new Uint16Array(grid.width * grid.height);
        for (let row = 0; row < grid.height; row++) {
          const skyRow = (row >> 1) * width20;
          for (let col = 0; col < grid.width; col++) {
            const p = row * grid.width + col;
            const label = labels[p] ?? 0;
            const sd = sds[label] ?? 0;
            const deviation = label === 0 ? 0 : (parcelDeviation[(label - 1) * bandCount + b] ?? 0);
            const z = noise.at(p);
            let value = (means[label] ?? 0) + sd * (0.8 * deviation + 0.6 * z);
            const state = sky[skyRow + (col >> 1)];
            if (state === CLOUD) value = 0.36 + 0.04 * z + 0.2 * value;
            else if (state === SHADOW) value *= 0.35;
            out[p] = Math.min(65_535, Math.max(1, Math.round(value * 10_000)));
          }
        }
        cache.set(name, out);
        return out;
      };

      return {
        date,
        width20,
        height20,
        band10,
        band20: (name) => downsample(band10(name), grid.width, grid.height, width20, height20),
        scl20: () => {
          const red = downsample(band10('red'), grid.width, grid.height, width20, height20);
          const nir = downsample(band10('nir'), grid.width, grid.height, width20, height20);
          const scl = new Uint8Array(width20 * height20);
          for (let i = 0; i < scl.length; i++) {
            const state = sky[i];
            if (state === CLOUD) scl[i] = 9;
            else if (state === SHADOW) scl[i] = 3;
            else {
              const r = red[i] ?? 0;
              const n = nir[i] ?? 0;
              scl[i] = (n - r) / Math.max(1, n + r) > 0.3 ? 4 : 5;
            }
          }
          return scl;
        },
      };
    },
  };
}

function rasterizeParcels(grid: TileGrid, parcels: readonly SimulatedParcel[]): Uint16Array {
  const labels = new Uint16Array(grid.width * grid.height);
  parcels.forEach((parcel, i) => {
    const coverage = pixelCoverage(grid, parcel.geometry);
    if (coverage === null) return;
    const { window, fractions } = coverage;
    for (let r = 0; r < window.rows; r++) {
      for (let c = 0; c < window.cols; c++) {
        if ((fractions[r * window.cols + c] ?? 0) >= 0.5) {
          labels[(window.row0 + r) * grid.width + window.col0 + c] = i + 1;
        }
      }
    }
  });
  return labels;
}

/** Cloud discs and their shadows (offset south-east, as under a morning sun from the south-east). */
function drawSky(width: number, height: number, weather: SceneWeather): Uint8Array {
  const sky = new Uint8Array(width * height).fill(CLEAR);
  const fraction = Math.min(1, Math.max(0, weather.cloudFraction));
  if (fraction === 0) return sky;
  if (fraction >= 1) return sky.fill(CLOUD);
  const rng = createRng(weather.seed * 17 + 3);
  const target = fraction * width * height;
  const maxRadius = Math.max(2, Math.min(width, height) / 6);
  let covered = 0;
  for (let attempt = 0; covered < target && attempt < 10_000; attempt++) {
    const radius = 1 + rng.uniform() * maxRadius;
    const cx = rng.uniform() * width;
    const cy = rng.uniform() * height;
    covered += disc(sky, width, height, cx + radius * 0.8, cy + radius * 0.8, radius, SHADOW, true);
    covered += disc(sky, width, height, cx, cy, radius, CLOUD, false);
  }
  return sky;
}

/** Paints a disc; returns how many pixels became cloud. Shadows never cover clouds. */
function disc(
  sky: Uint8Array,
  width: number,
  height: number,
  cx: number,
  cy: number,
  radius: number,
  state: number,
  underCloud: boolean,
): number {
  let newlyClouded = 0;
  const r2 = radius * radius;
  for (let y = Math.max(0, Math.floor(cy - radius)); y < Math.min(height, cy + radius); y++) {
    for (let x = Math.max(0, Math.floor(cx - radius)); x < Math.min(width, cx + radius); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > r2) continue;
      const i = y * width + x;
      if (underCloud && sky[i] === CLOUD) continue;
      if (state === CLOUD && sky[i] !== CLOUD) newlyClouded++;
      sky[i] = state;
    }
  }
  return newlyClouded;
}

function downsample(
  band: Uint16Array,
  width: number,
  height: number,
  width20: number,
  height20: number,
): Uint16Array {
  const out = new Uint16Array(width20 * height20);
  for (let r = 0; r < height20; r++) {
    for (let c = 0; c < width20; c++) {
      let sum = 0;
      let n = 0;
      for (let dr = 0; dr < 2; dr++) {
        const row = 2 * r + dr;
        if (row >= height) continue;
        for (let dc = 0; dc < 2; dc++) {
          const col = 2 * c + dc;
          if (col >= width) continue;
          sum += band[row * width + col] ?? 0;
          n++;
        }
      }
      out[r * width20 + c] = Math.round(sum / Math.max(1, n));
    }
  }
  return out;
}

/**
 * Per-pixel noise for whole tiles (10^8 pixels a band): standard normal values from a table of
 * 2^16, picked by a multiplicative hash of the pixel index and the table's own offset, which is
 * several times cheaper than drawing each one.
 */
function createNoiseTable(seed: number): { at(pixel: number): number } {
  const rng = createRng(seed);
  const table = new Float32Array(1 << 16);
  for (let i = 0; i < table.length; i++) table[i] = rng.normal();
  const offset = Math.floor(rng.uniform() * 0xffffffff) >>> 0;
  return { at: (pixel) => table[(Math.imul(pixel ^ offset, 0x9e3779b1) >>> 16) & 0xffff] ?? 0 };
}

/** A small seeded generator (mulberry32) with a cheap normal (sum of three uniforms). */
function createRng(seed: number): { uniform(): number; normal(): number } {
  let state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  // Irwin-Hall with three terms: mean 1.5, variance 1/4; scaled to unit variance.
  const normal = (): number => (uniform() + uniform() + uniform() - 1.5) * 2;
  return { uniform, normal };
}
