/**
 * The figures of a post-loan report as one CSV file (RFC 4180: fields with a comma, quote, CR or
 * LF are quoted, quotes doubled, CRLF line ends), for a spreadsheet: the first column `section`
 * says what a row is, the other columns are named once in the header and each section fills
 * its own (filter on `section`). Every figure of the HTML report is in it, plus the full series
 * the HTML only charts. Numbers with dot decimals and no exponent, times as ISO 8601 UTC.
 *
 * Sections, in file order: report, loan, farm, coverage_point, parcel (then its parcel_ndvi and
 * parcel_scene rows), herd (then its herd_count and herd_position rows), alert (then its
 * alert_event rows).
 */
import { summarizeEvidence } from './evidence-summary.ts';
import { percentOf } from './format.ts';
import type { ReportData } from './types.ts';

/** The columns after `section`, in header order. */
export const CSV_COLUMNS = [
  // report
  'report_id',
  'content_hash',
  'schema_version',
  'generated_at',
  'generated_by',
  'period_from',
  'period_to',
  'data_from',
  'data_to',
  'model_versions',
  'min_coverage_ratio',
  'critical_coverage_ratio',
  // loan
  'loan_id',
  'loan_reference',
  'loan_status',
  'amount',
  'currency',
  'disbursed_on',
  'matures_on',
  'officer_name',
  'officer_email',
  'borrower_id',
  'borrower_ref',
  'borrower_name',
  'borrower_registration_no',
  'branch_code',
  'branch_name',
  'balance_as_of',
  'alerts_critical',
  'alerts_warning',
  'alerts_info',
  'unvalued',
  // loan (at the end) and coverage_point
  'at',
  'balance',
  'crop_value',
  'herd_value',
  'total_value',
  'coverage_ratio',
  // farm
  'farm_id',
  'farm_code',
  'farm_name',
  // parcel, parcel_ndvi, parcel_scene
  'parcel_id',
  'parcel_code',
  'area_m2',
  'declared_crop_code',
  'declared_crop_name',
  'declared_area_m2',
  'observed_crop_code',
  'observed_crop_name',
  'observed_confidence',
  'planted_area_m2',
  'planted_pct_of_declared',
  'status',
  'status_reason',
  'valued_area_m2',
  'area_source',
  'tonnes_per_ha',
  'price_per_tonne',
  'value',
  'unvalued_reason',
  'ndvi',
  'scene_id',
  'clear_pixels',
  'total_pixels',
  'clear_pct',
  'model_version',
  // herd, herd_count, herd_position
  'herd_id',
  'herd_code',
  'species',
  'pledged_head_count',
  'counted_at_start',
  'counted_at_end',
  'min_counted',
  'missing_tag_count',
  'missing_tags',
  'value_per_head',
  'head_count',
  'tag_code',
  'lng',
  'lat',
  'inside',
  // alert, alert_event
  'alert_id',
  'kind',
  'severity',
  'title',
  'subject_type',
  'subject_id',
  'raised_at',
  'resolved_at',
  'evidence_summary',
  'evidence_json',
  'event_type',
  'by',
  'comment',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
export type CsvSection =
  | 'report'
  | 'loan'
  | 'farm'
  | 'coverage_point'
  | 'parcel'
  | 'parcel_ndvi'
  | 'parcel_scene'
  | 'herd'
  | 'herd_count'
  | 'herd_position'
  | 'alert'
  | 'alert_event';

type CsvValue = string | number | boolean | null | undefined;
type Row = { readonly section: CsvSection } & Partial<Record<CsvColumn, CsvValue>>;

/**
 * The report's CSV, with the report id and `contentHash` in the `report` row. A UTF-8 byte order
 * mark leads the text, so spreadsheets read names with accents right.
 * @example renderReportCsv(data, { contentHash }).split('\r\n')[0] // '\uFEFFsection,report_id,…'
 */
export function renderReportCsv(data: ReportData, options: { contentHash: string }): string {
  const lines = [['section', ...CSV_COLUMNS].map(csvField).join(',')];
  for (const row of reportRows(data, options.contentHash)) {
    lines.push([row.section, ...CSV_COLUMNS.map((c) => row[c])].map(csvField).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function reportRows(data: ReportData, contentHash: string): Row[] {
  const end = data.coverage.atEnd;
  const thresholds = data.coverage.thresholds;
  const rows: Row[] = [
    {
      section: 'report',
      report_id: data.reportId,
      content_hash: contentHash,
      schema_version: data.schemaVersion,
      generated_at: data.generatedAt,
      generated_by: data.generatedBy,
      period_from: data.period.from,
      period_to: data.period.to,
      data_from: data.dataRange?.from,
      data_to: data.dataRange?.to,
      model_versions: data.modelVersions.join(';'),
      min_coverage_ratio: thresholds?.minCoverageRatio,
      critical_coverage_ratio: thresholds?.criticalCoverageRatio,
      loan_id: data.loan.id,
      loan_reference: data.loan.reference,
    },
    {
      section: 'loan',
      loan_id: data.loan.id,
      loan_reference: data.loan.reference,
      loan_status: data.loan.status,
      amount: data.loan.amount,
      currency: data.loan.currency,
      disbursed_on: data.loan.disbursedOn,
      matures_on: data.loan.maturesOn,
      officer_name: data.loan.officer?.name,
      officer_email: data.loan.officer?.email,
      borrower_id: data.borrower.id,
      borrower_ref: data.borrower.ref,
      borrower_name: data.borrower.name,
      borrower_registration_no: data.borrower.registrationNo,
      branch_code: data.branch.code,
      branch_name: data.branch.name,
      balance_as_of: end.balanceAsOf,
      alerts_critical: data.alerts.filter((a) => a.severity === 'critical').length,
      alerts_warning: data.alerts.filter((a) => a.severity === 'warning').length,
      alerts_info: data.alerts.filter((a) => a.severity === 'info').length,
      unvalued: end.unvalued.join(';'),
      at: end.at,
      balance: end.balance,
      crop_value: end.cropValue,
      herd_value: end.herdValue,
      total_value: end.totalValue,
      coverage_ratio: end.coverageRatio,
    },
  ];
  for (const farm of data.farms) {
    rows.push({ section: 'farm', farm_id: farm.id, farm_code: farm.code, farm_name: farm.name });
  }
  for (const p of data.coverage.series.points) {
    rows.push({
      section: 'coverage_point',
      currency: data.coverage.series.currency,
      at: p.at,
      balance: p.balance,
      crop_value: p.cropValue,
      herd_value: p.herdValue,
      total_value: p.totalValue,
      coverage_ratio: p.coverageRatio,
    });
  }
  for (const p of data.parcels) {
    const valued = end.parcels.find((v) => v.parcelId === p.id);
    rows.push({
      section: 'parcel',
      parcel_id: p.id,
      parcel_code: p.code,
      farm_code: p.farmCode,
      area_m2: p.areaM2,
      declared_crop_code: p.declaredCropCode,
      declared_crop_name: p.declaredCropName,
      declared_area_m2: p.declaredAreaM2,
      observed_crop_code: p.observedCropCode,
      observed_crop_name: p.observedCropName,
      observed_confidence: p.observedConfidence,
      planted_area_m2: p.plantedAreaM2,
      planted_pct_of_declared: percentOf(p.plantedAreaM2, p.declaredAreaM2),
      status: p.status,
      status_reason: p.statusReason,
      valued_area_m2: valued?.valuedAreaM2,
      area_source: valued?.areaSource,
      tonnes_per_ha: valued?.tonnesPerHa,
      price_per_tonne: valued?.pricePerTonne,
      currency: valued === undefined ? undefined : end.currency,
      value: valued?.value,
      unvalued_reason: valued?.unvaluedReason,
    });
    for (const s of p.ndviSeries) {
      rows.push({ section: 'parcel_ndvi', parcel_code: p.code, at: s.date, ndvi: s.ndvi });
    }
    for (const s of p.scenes) {
      rows.push({
        section: 'parcel_scene',
        parcel_code: p.code,
        scene_id: s.sceneId,
        at: s.observedAt,
        clear_pixels: s.clearPixels,
        total_pixels: s.totalPixels,
        clear_pct: percentOf(s.clearPixels, s.totalPixels),
        model_version: s.modelVersion,
      });
    }
  }
  for (const h of data.herds) {
    const valued = end.herds.find((v) => v.herdId === h.id);
    rows.push({
      section: 'herd',
      herd_id: h.id,
      herd_code: h.code,
      farm_code: h.farmCode,
      species: h.species,
      pledged_head_count: h.pledgedHeadCount,
      counted_at_start: h.countedAtStart,
      counted_at_end: h.countedAtEnd,
      min_counted: h.minCounted,
      missing_tag_count: h.missingTagsAtEnd.length,
      missing_tags: h.missingTagsAtEnd.join(';'),
      value_per_head: valued?.valuePerHead,
      currency: valued === undefined ? undefined : end.currency,
      value: valued?.value,
      unvalued_reason: valued?.unvaluedReason,
    });
    for (const c of h.counts) {
      rows.push({
        section: 'herd_count',
        herd_code: h.code,
        at: c.at,
        head_count: c.headCount,
        pledged_head_count: h.pledgedHeadCount,
      });
    }
    for (const p of h.positions) {
      rows.push({
        section: 'herd_position',
        herd_code: h.code,
        tag_code: p.tagCode,
        at: p.observedAt,
        lng: p.lngLat[0],
        lat: p.lngLat[1],
        inside: p.inside,
      });
    }
  }
  const alerts = [...data.alerts].sort((a, b) => Date.parse(a.raisedAt) - Date.parse(b.raisedAt));
  for (const a of alerts) {
    rows.push({
      section: 'alert',
      alert_id: a.id,
      kind: a.kind,
      severity: a.severity,
      status: a.status,
      title: a.title,
      subject_type: a.subjectType,
      subject_id: a.subjectId,
      raised_at: a.raisedAt,
      resolved_at: a.resolvedAt,
      evidence_summary: summarizeEvidence(a.evidence, data).join('; '),
      evidence_json: JSON.stringify(a.evidence) ?? null,
    });
    for (const ev of a.events) {
      rows.push({
        section: 'alert_event',
        alert_id: a.id,
        at: ev.at,
        event_type: ev.type,
        by: ev.by,
        comment: ev.comment,
      });
    }
  }
  return rows;
}

/** One field: numbers with dot decimals and no exponent; null and undefined empty; quoted as needed. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'number') text = csvNumber(value);
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else text = value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `1e-7` → `0.0000001`: spreadsheets in every locale read plain dot decimals, not exponents. */
function csvNumber(n: number): string {
  if (!Number.isFinite(n)) return '';
  const text = String(n);
  if (!/e/i.test(text)) return text;
  return n.toFixed(20).replace(/\.?0+$/, '');
}
