/**
 * An alert's evidence in words: the counts, missing tags, positions, crops, areas and scene ids
 * that the alert rules put in it, as short plain-text lines (the caller escapes them). Evidence
 * is free-form JSON; every reader here checks the shape it needs and skips what it does not
 * know, and the report prints the raw evidence next to these lines, so nothing is hidden.
 */
import { formatDate, formatDateTime, formatDuration, formatNumber, formatRatio } from './format.ts';
import type { ReportData } from './types.ts';

type Evidence = Readonly<Record<string, unknown>>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] | null =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
const record = (v: unknown): Evidence | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Evidence) : null;

/** `a, b, c` with at most `max` items and `(+n more)`. */
function listOf(items: readonly string[], max = 12): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} (+${items.length - max} more)` : shown;
}

/** Crop code to name, from what the report knows (declared and observed crops of its parcels). */
function cropNames(data: ReportData): Map<number, string> {
  const names = new Map<number, string>();
  for (const p of data.parcels) {
    if (p.declaredCropCode !== null && p.declaredCropName !== null) {
      names.set(p.declaredCropCode, p.declaredCropName);
    }
    if (p.observedCropCode !== null && p.observedCropName !== null) {
      names.set(p.observedCropCode, p.observedCropName);
    }
  }
  return names;
}

type Reader = (e: Evidence, data: ReportData) => string | null;

const readers: readonly Reader[] = [
  (e) => {
    const pledged = num(e['pledgedHeadCount']);
    const counted = num(e['headCount']);
    if (pledged === null || counted === null) return null;
    const short = num(e['shortfall']);
    const pct = num(e['shortfallPct']);
    const at = str(e['at']);
    return (
      `${formatNumber(counted)} of ${formatNumber(pledged)} pledged head counted` +
      (short !== null ? `, ${formatNumber(short)} short` : '') +
      (pct !== null ? ` (${formatNumber(pct, 1)} %)` : '') +
      (at !== null ? ` at ${formatDateTime(at)}` : '')
    );
  },
  (e) => {
    const tags = strings(e['missingTags']);
    return tags !== null && tags.length > 0
      ? `Missing tags (${tags.length}): ${listOf(tags)}`
      : null;
  },
  (e) => {
    const tags = strings(e['outsideTags']);
    return tags !== null && tags.length > 0
      ? `Tags outside the fence (${tags.length}): ${listOf(tags)}`
      : null;
  },
  (e) => {
    const tags = strings(e['tags']);
    const count = num(e['count']);
    if (tags === null || count === null) return null;
    const from = str(e['from']);
    const to = str(e['to']);
    const window = num(e['windowMs']);
    return (
      `${formatNumber(count)} animals left the farm` +
      (from !== null && to !== null
        ? ` between ${formatDateTime(from)} and ${formatDateTime(to)}`
        : '') +
      (window !== null ? ` (within ${formatDuration(window)})` : '') +
      `: ${listOf(tags)}`
    );
  },
  (e) => {
    const tag = str(e['tagCode']);
    if (tag === null) return null;
    const distance = num(e['distanceM']);
    const position = record(e['position']);
    const lng = num(position?.['lng']);
    const lat = num(position?.['lat']);
    const battery = num(e['batteryPct']);
    const temperature = num(e['temperatureC']);
    const lastSeen = str(e['lastSeenAt']);
    const silentFor = num(e['silentForMs']);
    const parts = [`Tag ${tag}`];
    if (distance !== null) parts.push(`${formatNumber(distance, 1)} m outside the fence`);
    if (lng !== null && lat !== null)
      parts.push(`at ${lat.toFixed(6)}, ${lng.toFixed(6)} (lat, lng)`);
    if (battery !== null) parts.push(`battery ${formatNumber(battery)} %`);
    if (temperature !== null) parts.push(`temperature ${formatNumber(temperature, 1)} °C`);
    if (silentFor !== null) parts.push(`silent for ${formatNumber(silentFor / 3_600_000, 1)} h`);
    if (lastSeen !== null) parts.push(`last seen ${formatDateTime(lastSeen)}`);
    return parts.join(', ');
  },
  (e, data) => {
    const declared = num(e['declaredCropCode']);
    const predicted = num(e['predictedCropCode']);
    if (declared === null && predicted === null) return null;
    const names = cropNames(data);
    const crop = (code: number | null): string =>
      code === null ? 'none' : `${names.get(code) ?? 'crop'} (${code})`;
    const confidence = num(e['confidence']);
    return (
      `Declared ${crop(declared)}, seen ${crop(predicted)}` +
      (confidence !== null ? `, confidence ${formatNumber(confidence, 2)}` : '')
    );
  },
  (e) => {
    const declared = num(e['declaredAreaM2']);
    const planted = num(e['plantedAreaM2']);
    if (declared === null || planted === null) return null;
    const pct = num(e['shortfallPct']);
    return (
      `Planted ${formatNumber(planted / 10_000, 2)} ha of ${formatNumber(declared / 10_000, 2)} ha declared` +
      (pct !== null ? ` (${formatNumber(pct, 1)} % short)` : '')
    );
  },
  (e) => {
    const days = num(e['daysWithoutClear']);
    if (days === null) return null;
    const last = str(e['lastClearObservationAt']);
    return (
      `${formatNumber(days, 1)} days without a clear view` +
      (last !== null ? ` (last clear ${formatDate(last)})` : ', never clear')
    );
  },
  (e) => {
    const drop = num(e['dropFraction']);
    const peak = record(e['peak']);
    const latest = record(e['latest']);
    if (drop === null) return null;
    const peakValue = num(peak?.['value']);
    const latestValue = num(latest?.['value']);
    return (
      `NDVI fell ${formatNumber(drop * 100, 1)} %` +
      (peakValue !== null && latestValue !== null
        ? ` from ${formatNumber(peakValue, 2)} to ${formatNumber(latestValue, 2)}`
        : '')
    );
  },
  (e) => {
    const harvested = str(e['harvestedAt']);
    const daysEarly = num(e['daysEarly']);
    if (harvested === null || daysEarly === null) return null;
    return `Harvested ${formatDate(harvested)}, ${formatNumber(daysEarly, 1)} days before the season end`;
  },
  (e) => {
    const tagCount = num(e['tagHeadCount']);
    const cameraCount = num(e['cameraHeadCount']);
    if (tagCount === null || cameraCount === null) return null;
    return `Tags count ${formatNumber(tagCount)} head, cameras ${formatNumber(cameraCount)}`;
  },
  (e) => {
    const ratio = e['coverageRatio'];
    const balance = num(e['balance']);
    if (balance === null || (ratio !== null && num(ratio) === null)) return null;
    const currency = str(e['currency']) ?? '';
    const crop = num(e['cropValue']) ?? 0;
    const herd = num(e['herdValue']) ?? 0;
    const min = num(e['minCoverageRatio']);
    return (
      `Coverage ${formatRatio(num(ratio))}: crops ${currency} ${formatNumber(crop, 2)} + herds ${currency} ${formatNumber(herd, 2)} against a balance of ${currency} ${formatNumber(balance, 2)}` +
      (min !== null ? ` (minimum ${formatRatio(min)})` : '')
    );
  },
  (e) => {
    const scenes = Array.isArray(e['scenes']) ? (e['scenes'] as unknown[]).map(record) : [];
    const described = scenes.flatMap((s) => {
      const id = str(s?.['sceneId']);
      if (id === null) return [];
      const clear = num(s?.['clearFraction']);
      return [`${id}${clear !== null ? ` (${formatNumber(clear * 100)} % clear)` : ''}`];
    });
    return described.length > 0 ? `Scenes: ${listOf(described, 8)}` : null;
  },
];

/**
 * Plain-text lines saying what `evidence` shows; empty when it holds nothing the readers know
 * (the raw evidence is printed anyway).
 * @example summarizeEvidence({ pledgedHeadCount: 40, headCount: 34 }, data)
 *   // ['34 of 40 pledged head counted']
 */
export function summarizeEvidence(evidence: unknown, data: ReportData): string[] {
  const e = record(evidence);
  if (e === null) return [];
  return readers.map((read) => read(e, data)).filter((line): line is string => line !== null);
}
