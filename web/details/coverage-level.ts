import { severityAppearance } from '../alerts/alert-order.ts';

/**
 * The coverage thresholds of the `collateral_coverage_below_threshold` alert rule's defaults
 * (server/alerts/rules/collateral-coverage.ts): below 1.2 a warning, below 1.0 critical.
 */
export const COVERAGE_WARNING_BELOW = 1.2;
export const COVERAGE_CRITICAL_BELOW = 1.0;

// The API gives the ratio to 3 decimals: show them, so 0.999 never reads as 1.00.
const ratioFormat = new Intl.NumberFormat('en-GB', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 3,
});
const percentFormat = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 });

/** A coverage ratio as the panel writes it: `0.999`, `1.20`. */
export function formatRatio(ratio: number): string {
  return ratioFormat.format(ratio);
}

export type CoverageLevel = 'critical' | 'warning' | 'covered' | 'no_balance';

/** How the loan panel shows a coverage ratio: a colour, a mark and words, never colour alone. */
export interface CoverageAppearance {
  readonly level: CoverageLevel;
  readonly color: string;
  /** Black or white, whichever reads on `color` (WCAG contrast >= 4.5). */
  readonly textColor: string;
  readonly mark: string;
  /** e.g. `0.84 × the balance (84 %) · ‼ critical: below 1.0`. */
  readonly text: string;
}

/**
 * The level of a coverage ratio (collateral value / balance), in the alerts panel's severity
 * colours (Okabe-Ito); a ratio at or above 1.2 is covered (Okabe-Ito bluish green, ✓); null (no
 * balance outstanding) is neutral.
 *
 * @example coverageAppearance(1.1).text // '1.10 × the balance (110 %) · ! warning: below 1.2'
 */
export function coverageAppearance(ratio: number | null): CoverageAppearance {
  if (ratio === null)
    return {
      level: 'no_balance',
      color: '#e8e8e8',
      textColor: '#000000',
      mark: '–',
      text: 'no balance outstanding',
    };
  const figure = `${ratioFormat.format(ratio)} × the balance (${percentFormat.format(ratio * 100)} %)`;
  if (ratio < COVERAGE_CRITICAL_BELOW || ratio < COVERAGE_WARNING_BELOW) {
    const level = ratio < COVERAGE_CRITICAL_BELOW ? 'critical' : 'warning';
    const look = severityAppearance(level);
    const threshold = level === 'critical' ? COVERAGE_CRITICAL_BELOW : COVERAGE_WARNING_BELOW;
    return {
      level,
      color: look.color,
      textColor: look.textColor,
      mark: look.mark,
      text: `${figure} · ${look.mark} ${look.label}: below ${threshold.toFixed(1)}`,
    };
  }
  return {
    level: 'covered',
    color: '#009E73',
    textColor: '#000000',
    mark: '✓',
    text: `${figure} · ✓ covered (at least ${COVERAGE_WARNING_BELOW.toFixed(1)})`,
  };
}
