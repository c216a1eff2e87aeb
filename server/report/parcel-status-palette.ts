/**
 * How the report draws a parcel status: the same Okabe-Ito colours, fill patterns, outlines and
 * marks as the web map (web/style/parcel-status.ts), copied here as data because the server may
 * not import web/. A test compares the two, so they cannot drift apart unnoticed.
 */
export type ReportParcelStatus =
  'mismatch' | 'area_shortfall' | 'cannot_verify' | 'verified' | 'no_observation';

export interface StatusStyle {
  readonly label: string;
  readonly mark: string;
  readonly color: string;
  readonly pattern: 'solid' | 'cross' | 'stripes' | 'dots' | 'none';
  readonly lineDash: readonly number[];
}

/** Worst first, as the legend lists them. */
export const reportParcelStatuses: readonly ReportParcelStatus[] = [
  'mismatch',
  'area_shortfall',
  'cannot_verify',
  'verified',
  'no_observation',
];

export const parcelStatusStyles: Readonly<Record<ReportParcelStatus, StatusStyle>> = {
  mismatch: { label: 'crop mismatch', mark: '✗', color: '#D55E00', pattern: 'cross', lineDash: [] },
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

/** A report parcel's status (null or unknown: no observation yet). */
export function reportStatusOf(status: string | null): ReportParcelStatus {
  return status !== null && status in parcelStatusStyles
    ? (status as ReportParcelStatus)
    : 'no_observation';
}

/**
 * The SVG body of a 12 px pattern tile for `style` (as the web map's `patternSvg`), or null for a
 * plain fill.
 */
export function patternTileSvg(style: StatusStyle): string | null {
  const c = style.color;
  switch (style.pattern) {
    case 'cross':
      return `<path d="M0 0L12 12M12 0L0 12" stroke="${c}" stroke-width="1.6"/>`;
    case 'stripes':
      return `<path d="M-3 3L3 -3M0 12L12 0M9 15L15 9" stroke="${c}" stroke-width="2"/>`;
    case 'dots':
      return `<circle cx="6" cy="6" r="1.8" fill="${c}"/>`;
    case 'solid':
    case 'none':
      return null;
  }
}
