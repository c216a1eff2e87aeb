/**
 * Colours of the map layers. Crops: the Okabe-Ito palette (told apart by colour-blind people) for
 * the crops of the demo and the default model, then a colour derived from the code for others.
 * NDVI: a ramp from bare soil (brown) through sparse (yellow) to dense canopy (dark green).
 */
export type Rgba = readonly [r: number, g: number, b: number, a: number];

const ALPHA = 210;

const CROP_COLOURS: Readonly<Record<number, Rgba>> = {
  1110: [230, 159, 0, ALPHA], // winter wheat: orange
  1200: [240, 228, 66, ALPHA], // maize: yellow
  1500: [213, 94, 0, ALPHA], // barley: vermilion
  1510: [204, 121, 167, ALPHA], // winter barley: reddish purple
  2130: [86, 180, 233, ALPHA], // cabbages: sky blue
  5100: [166, 118, 29, ALPHA], // potatoes: brown
  7900: [0, 114, 178, ALPHA], // other leguminous crops: blue
  8100: [148, 103, 189, ALPHA], // sugar beet: purple
  9120: [0, 158, 115, ALPHA], // permanent grass: bluish green
};

/** The colour of a crop code (0: none). */
export function cropColour(code: number): Rgba | null {
  if (code === 0) return null;
  const known = CROP_COLOURS[code];
  if (known !== undefined) return known;
  const hue = (Math.imul(code, 2654435761) >>> 0) % 360;
  const [r, g, b] = hslToRgb(hue, 0.55, 0.55);
  return [r, g, b, ALPHA];
}

/** The crop codes with a fixed colour. */
export const paletteCropCodes: readonly number[] = Object.keys(CROP_COLOURS).map(Number);

export const NDVI_STOPS: readonly { readonly ndvi: number; readonly colour: Rgba }[] = [
  { ndvi: -0.2, colour: [120, 90, 60, ALPHA] },
  { ndvi: 0.2, colour: [190, 160, 100, ALPHA] },
  { ndvi: 0.4, colour: [235, 225, 110, ALPHA] },
  { ndvi: 0.6, colour: [130, 190, 80, ALPHA] },
  { ndvi: 0.9, colour: [20, 110, 40, ALPHA] },
];

/** The colour of an NDVI value (-1..1), linear between the stops. */
export function ndviColour(ndvi: number): Rgba {
  const first = NDVI_STOPS[0] as (typeof NDVI_STOPS)[number];
  const last = NDVI_STOPS[NDVI_STOPS.length - 1] as (typeof NDVI_STOPS)[number];
  if (ndvi <= first.ndvi) return first.colour;
  if (ndvi >= last.ndvi) return last.colour;
  for (let i = 1; i < NDVI_STOPS.length; i++) {
    const hi = NDVI_STOPS[i] as (typeof NDVI_STOPS)[number];
    const lo = NDVI_STOPS[i - 1] as (typeof NDVI_STOPS)[number];
    if (ndvi <= hi.ndvi) {
      const t = (ndvi - lo.ndvi) / (hi.ndvi - lo.ndvi);
      const mix = (k: number) =>
        Math.round((lo.colour[k] ?? 0) * (1 - t) + (hi.colour[k] ?? 0) * t);
      return [mix(0), mix(1), mix(2), ALPHA];
    }
  }
  return last.colour;
}

/** `#rrggbb`. */
export function toHex(colour: Rgba): string {
  return `#${colour
    .slice(0, 3)
    .map((v) => v.toString(16).padStart(2, '0'))
    .join('')}`;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] =
    h < 60
      ? [c, x, 0]
      : h < 120
        ? [x, c, 0]
        : h < 180
          ? [0, c, x]
          : h < 240
            ? [0, x, c]
            : h < 300
              ? [x, 0, c]
              : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}
