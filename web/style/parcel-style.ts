import type { FeatureLike } from 'ol/Feature.js';
import Fill from 'ol/style/Fill.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import Text from 'ol/style/Text.js';
import type { ParcelStatus } from '../../server/api-types.ts';
import { parcelStatusOf, patternDataUrl, statusAppearance } from './parcel-status.ts';

/** Below this resolution (m/px) parcels are labelled with their code and status. */
export const PARCEL_LABEL_MAX_RESOLUTION = 12;

const areaStyles = new Map<ParcelStatus, Style[]>();

/** Fill (a light tint, then the pattern on top) and outline of one status; built once. */
function areaStylesOf(status: ParcelStatus): Style[] {
  let styles = areaStyles.get(status);
  if (styles === undefined) {
    const appearance = statusAppearance(status);
    const tint = appearance.pattern === 'none' ? 0.08 : 0.22;
    const pattern = patternDataUrl(appearance);
    styles = [
      new Style({
        fill: new Fill({ color: withAlpha(appearance.color, tint) }),
        stroke: new Stroke({
          color: appearance.color,
          width: 2,
          lineDash: [...appearance.lineDash],
        }),
      }),
      ...(pattern === null ? [] : [new Style({ fill: new Fill({ color: { src: pattern } }) })]),
    ];
    areaStyles.set(status, styles);
  }
  return styles;
}

/**
 * Parcels by status: an Okabe-Ito colour, a fill pattern, an outline dash and, close enough, a
 * label with the code and the status's mark and name, so colour is never the only cue.
 */
export function parcelStyle(feature: FeatureLike, resolution: number): Style[] {
  const status = parcelStatusOf(feature.getProperties());
  const area = areaStylesOf(status);
  if (resolution > PARCEL_LABEL_MAX_RESOLUTION) return area;
  const appearance = statusAppearance(status);
  return [
    ...area,
    new Style({
      text: new Text({
        text: `${String(feature.get('code') ?? '')}\n${appearance.mark} ${appearance.label}`,
        font: '500 11px system-ui, sans-serif',
        fill: new Fill({ color: '#1d2733' }),
        stroke: new Stroke({ color: '#fff', width: 3 }),
      }),
    }),
  ];
}

/** `#rrggbb` with an alpha, as an rgba() string. */
export function withAlpha(hex: string, alpha: number): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}
