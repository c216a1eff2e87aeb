import type { FeatureLike } from 'ol/Feature.js';
import Circle from 'ol/style/Circle.js';
import Fill from 'ol/style/Fill.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import Text from 'ol/style/Text.js';

export type HerdCountStatus = 'complete' | 'short' | 'unknown';

/** Okabe-Ito, as for the parcels; the label says it in words too. */
export const herdCountAppearance: Readonly<
  Record<HerdCountStatus, { color: string; mark: string; label: string }>
> = {
  complete: { color: '#009E73', mark: '✓', label: 'head count meets the pledge' },
  short: { color: '#D55E00', mark: '!', label: 'fewer head than pledged' },
  unknown: { color: '#999999', mark: '?', label: 'head count unavailable' },
};

/** Compares the live head count with the pledge; null (no count) is `unknown`. */
export function herdCountStatus(
  headCount: number | null,
  pledgedHeadCount: number,
): HerdCountStatus {
  if (headCount === null) return 'unknown';
  return headCount >= pledgedHeadCount ? 'complete' : 'short';
}

/** The label under a herd's symbol, e.g. `H-KRT-02 ! 98 / 110 head`. */
export function herdLabel(
  code: string,
  headCount: number | null,
  pledgedHeadCount: number,
): string {
  const { mark } = herdCountAppearance[herdCountStatus(headCount, pledgedHeadCount)];
  return `${code} ${mark} ${headCount ?? '?'} / ${pledgedHeadCount} head`;
}

/** Pixels below its anchor (the farm's interior point, where the farm's name is) a herd is drawn. */
export const HERD_OFFSET_PX = 24;

/** A herd: a circle with its mark, coloured by count against pledge, and the count in words. */
export function herdStyle(feature: FeatureLike): Style[] {
  const headCount = feature.get('headCount') as number | null;
  const pledged = Number(feature.get('pledgedHeadCount') ?? 0);
  const status = herdCountStatus(headCount, pledged);
  const { color, mark } = herdCountAppearance[status];
  return [
    new Style({
      image: new Circle({
        radius: 11,
        fill: new Fill({ color }),
        stroke: new Stroke({ color: '#fff', width: 2 }),
        displacement: [0, -HERD_OFFSET_PX],
      }),
      text: new Text({
        text: mark,
        offsetY: HERD_OFFSET_PX,
        font: 'bold 13px system-ui, sans-serif',
        fill: new Fill({ color: '#fff' }),
      }),
    }),
    new Style({
      text: new Text({
        text: herdLabel(String(feature.get('code') ?? ''), headCount, pledged),
        font: '600 12px system-ui, sans-serif',
        offsetY: HERD_OFFSET_PX + 22,
        fill: new Fill({ color: '#1d2733' }),
        stroke: new Stroke({ color: '#fff', width: 3 }),
        overflow: true,
      }),
    }),
  ];
}
