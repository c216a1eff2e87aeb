/**
 * How the report writes text, numbers and dates for people (HTML and SVG): every string escaped,
 * dot decimals with thin-space thousands (unambiguous in every language the bank works in), and
 * times in UTC with the zone written out.
 */

const htmlEscapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text made safe for HTML and SVG element content and quoted attribute values. Names, comments
 * and evidence are user input: everything that reaches the report goes through here.
 * @example escapeHtml('<b>&') // '&lt;b&gt;&amp;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => htmlEscapes[c] ?? c);
}

const thinSpace = '\u202f';

/**
 * `12345.678` with `decimals` 2 → `12 345.68` (narrow no-break space between thousands).
 * Non-finite numbers print as `–`.
 */
export function formatNumber(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return '–';
  const fixed = Math.abs(value).toFixed(decimals);
  const [whole = '0', fraction] = fixed.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, thinSpace);
  const sign = value < 0 && Number(fixed) !== 0 ? '−' : '';
  return `${sign}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** `EUR 12 345.00`; null: `–`. */
export function formatMoney(value: number | null, currency: string): string {
  return value === null ? '–' : `${currency} ${formatNumber(value, 2)}`;
}

/** Square metres as hectares with 2 decimals: `11.20 ha`; null: `–`. */
export function formatHectares(areaM2: number | null): string {
  return areaM2 === null ? '–' : `${formatNumber(areaM2 / 10_000, 2)} ha`;
}

/** A ratio such as coverage (1.263) as `1.263`; null: `–`. */
export function formatRatio(ratio: number | null): string {
  return ratio === null ? '–' : formatNumber(ratio, 3);
}

/** `part / whole` in percent with one decimal, or null when either is missing or whole is 0. */
export function percentOf(part: number | null, whole: number | null): number | null {
  if (part === null || whole === null || whole === 0) return null;
  return Math.round((part / whole) * 1000) / 10;
}

export function formatPercent(percent: number | null): string {
  return percent === null ? '–' : `${formatNumber(percent, 1)} %`;
}

/** An ISO timestamp as `2026-07-01 08:15 UTC`; a bad one is shown as given, never dropped. */
export function formatDateTime(iso: string | null): string {
  if (iso === null) return '–';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** An ISO date or timestamp as its UTC calendar date `2026-07-01`. */
export function formatDate(iso: string | null): string {
  if (iso === null) return '–';
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) return iso;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Date(t).toISOString().slice(0, 10);
}

/** A duration in milliseconds as the largest whole unit: `30 min`, `1 h`, `7 d`. */
export function formatDuration(ms: number): string {
  const units: ReadonlyArray<readonly [number, string]> = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${formatNumber(ms / size)} ${unit}`;
  }
  return `${formatNumber(ms)} ms`;
}
