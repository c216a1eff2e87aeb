import type { ParcelStatus } from '../../server/api-types.ts';

/** How the map draws one parcel status: never by colour alone (a pattern and a label too). */
export interface StatusAppearance {
  readonly label: string;
  /** A short mark drawn with the parcel's code, readable in greyscale. */
  readonly mark: string;
  /** Okabe-Ito, a palette that colour-blind people can tell apart. */
  readonly color: string;
  readonly pattern: 'solid' | 'cross' | 'stripes' | 'dots' | 'none';
  /** Outline dash in pixels; empty for a solid outline. */
  readonly lineDash: readonly number[];
}

/** Worst first, as the legend lists them. */
export const parcelStatuses: readonly ParcelStatus[] = [
  'mismatch',
  'area_shortfall',
  'cannot_verify',
  'verified',
  'no_observation',
];

const appearances: Readonly<Record<ParcelStatus, StatusAppearance>> = {
  mismatch: {
    label: 'crop mismatch',
    mark: '✗',
    color: '#D55E00',
    pattern: 'cross',
    lineDash: [],
  },
  area_shortfall: {
    label: 'area short',
    mark: '▽',
    color: '#E69F00',
    pattern: 'stripes',
    lineDash: [],
  },
  cannot_verify: {
    label: 'cannot verify',
    mark: '?',
    color: '#CC79A7',
    pattern: 'dots',
    lineDash: [6, 4],
  },
  verified: { label: 'verified', mark: '✓', color: '#009E73', pattern: 'solid', lineDash: [] },
  no_observation: {
    label: 'no observation yet',
    mark: '…',
    color: '#56B4E9',
    pattern: 'none',
    lineDash: [2, 4],
  },
};

export function statusAppearance(status: ParcelStatus): StatusAppearance {
  return appearances[status];
}

/** The status a parcel's properties carry, or `no_observation` when the service gives none. */
export function parcelStatusOf(properties: { status?: unknown }): ParcelStatus {
  const status = properties.status;
  return typeof status === 'string' && status in appearances
    ? (status as ParcelStatus)
    : 'no_observation';
}

/**
 * A 12 px SVG tile of the status's pattern, as a data: URL (no request leaves the page), or null
 * for a plain fill. The same tile fills the parcels and the legend's swatches.
 */
export function patternSvg(appearance: StatusAppearance): string | null {
  const c = appearance.color;
  let body: string;
  switch (appearance.pattern) {
    case 'cross':
      body = `<path d="M0 0L12 12M12 0L0 12" stroke="${c}" stroke-width="1.6"/>`;
      break;
    case 'stripes':
      body = `<path d="M-3 3L3 -3M0 12L12 0M9 15L15 9" stroke="${c}" stroke-width="2"/>`;
      break;
    case 'dots':
      body = `<circle cx="6" cy="6" r="1.8" fill="${c}"/>`;
      break;
    case 'solid':
    case 'none':
      return null;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="12" height="12">${body}</svg>`;
}

export function patternDataUrl(appearance: StatusAppearance): string | null {
  const svg = patternSvg(appearance);
  return svg === null ? null : `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
