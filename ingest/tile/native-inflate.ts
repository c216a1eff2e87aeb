/**
 * The inflater that COG blocks are decoded with: libdeflate through the project's small addon
 * (`native/inflate.c`, built by `scripts/build-native-inflate.sh`) when it is built, Node's zlib
 * otherwise. Both give the same bytes; libdeflate inflates this project's Sentinel-2 blocks
 * 2.2-2.3x faster, and inflating is most of a season's read.
 *
 * The process chooses once, before the first block (the service from `PW_INFLATE`, through
 * {@link setInflateSetting}): `auto` (the default: libdeflate when the addon loads), `libdeflate`
 * (fail when it does not load) or `zlib`. Decode workers get the setting when they start.
 */
import { createRequire } from 'node:module';

/** The addon's functions (see `native/inflate.c`). */
export interface NativeInflate {
  /** A whole zlib stream into `target`; returns the bytes written. Throws on a bad stream. */
  inflateInto(source: Uint8Array, target: Uint8Array): number;
  /**
   * The same, then for 8- or 16-bit unsigned samples: predictor 2 undone over the rows down to
   * the last wanted one, and the samples at `positions` put into `values`. Returns the bytes
   * written; when they do not reach the last wanted row, `values` is left alone.
   */
  inflatePick(
    source: Uint8Array,
    target: Uint8Array,
    bytesPerSample: 1 | 2,
    predictor: 1 | 2,
    width: number,
    positions: Int32Array,
    values: Float32Array,
  ): number;
}

export type InflaterChoice =
  | { readonly kind: 'libdeflate'; readonly addon: NativeInflate }
  | { readonly kind: 'zlib'; readonly reason: string };

const ADDON_PATH = './native/build/inflate.node';
const SETTINGS = ['auto', 'libdeflate', 'zlib'] as const;

/** Which inflater to use: see the module's comment. */
export type InflateSetting = (typeof SETTINGS)[number];

let setting: InflateSetting = 'auto';
let chosen: InflaterChoice | undefined;

/**
 * Sets this thread's inflater setting (and the one decode workers started later get). Throws
 * when the value is not a setting, naming the allowed ones.
 */
export function setInflateSetting(value: string): void {
  setting = checkSetting(value);
  chosen = undefined;
}

/** This thread's inflater setting. */
export function inflateSetting(): InflateSetting {
  return setting;
}

/**
 * The inflater of this thread (each worker thread loads the addon for itself), chosen once.
 * Throws when the setting is `libdeflate` and the addon does not load, naming the fix.
 */
export function blockInflater(): InflaterChoice {
  chosen ??= chooseInflater(setting);
  return chosen;
}

function checkSetting(value: string): InflateSetting {
  if (!(SETTINGS as readonly string[]).includes(value)) {
    throw new Error(`PW_INFLATE is "${value}"; it must be one of ${SETTINGS.join(', ')}`);
  }
  return value as InflateSetting;
}

/** The inflater a setting asks for (see {@link blockInflater}). */
export function chooseInflater(value: string): InflaterChoice {
  const wanted = checkSetting(value);
  if (wanted === 'zlib') return { kind: 'zlib', reason: 'PW_INFLATE=zlib' };
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as Partial<NativeInflate>;
    if (typeof addon.inflateInto !== 'function' || typeof addon.inflatePick !== 'function') {
      throw new Error('it predates this version (no inflatePick); rebuild it');
    }
    return { kind: 'libdeflate', addon: addon as NativeInflate };
  } catch (error) {
    const reason = `the libdeflate addon did not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); build it with scripts/build-native-inflate.sh`;
    if (wanted === 'libdeflate') throw new Error(`PW_INFLATE=libdeflate but ${reason}`);
    return { kind: 'zlib', reason };
  }
}
