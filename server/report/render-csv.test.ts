import { describe, expect, it } from 'vitest';
import { reportContentHash } from './content-hash.ts';
import { CSV_COLUMNS, csvField, renderReportCsv } from './render-csv.ts';
import { buildSampleReport } from './sample-report.ts';
import type { ReportData } from './types.ts';

/**
 * A small RFC 4180 reader: fields separated by commas, records by CRLF, a quoted field may hold
 * commas, CR, LF and doubled quotes. Throws on anything the RFC does not allow.
 */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error(`unterminated quoted field at ${i}`);
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    } else {
      const end = text.slice(i).search(/,|\r\n/);
      field = end < 0 ? text.slice(i) : text.slice(i, i + end);
      if (/["\r\n]/.test(field))
        throw new Error(`bare quote or line break in ${JSON.stringify(field)}`);
      i = end < 0 ? text.length : i + end;
    }
    record.push(field);
    if (text[i] === ',') {
      i += 1;
    } else if (text.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
      if (i === text.length) return records;
    } else {
      throw new Error(`expected , or CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 10))}`);
    }
  }
}

type CsvRow = Record<string, string> & { section: string };

function readReport(data: ReportData): { rows: CsvRow[]; hash: string; text: string } {
  const hash = reportContentHash(data);
  const text = renderReportCsv(data, { contentHash: hash });
  expect(text.startsWith('\uFEFF')).toBe(true);
  const [header, ...records] = parseCsv(text.slice(1));
  expect(header).toEqual(['section', ...CSV_COLUMNS]);
  const rows = records.map((r) => {
    expect(r).toHaveLength(header?.length ?? 0);
    return Object.fromEntries((header ?? []).map((name, i) => [name, r[i] ?? ''])) as CsvRow;
  });
  return { rows, hash, text };
}

const num = (text: string | undefined): number | null =>
  text === undefined || text === '' ? null : Number(text);
const textOrNull = (text: string | undefined): string | null =>
  text === undefined || text === '' ? null : text;

describe('renderReportCsv', () => {
  const data = buildSampleReport();
  const { rows, hash, text } = readReport(data);
  const section = (name: string) => rows.filter((r) => r.section === name);

  it('ends every line with CRLF, one line per row (the sample has no line break in a field)', () => {
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    expect(text.split('\r\n')).toHaveLength(rows.length + 2);
  });

  it('puts the report id and content hash in the report row', () => {
    const [report] = section('report');
    expect(section('report')).toHaveLength(1);
    expect(report?.['report_id']).toBe(data.reportId);
    expect(report?.['content_hash']).toBe(hash);
    expect(report?.['period_from']).toBe(data.period.from);
    expect(report?.['data_to']).toBe(data.dataRange?.to);
    expect(report?.['model_versions']).toBe(data.modelVersions.join(';'));
    expect(num(report?.['min_coverage_ratio'])).toBe(data.coverage.thresholds?.minCoverageRatio);
  });

  it('gives the loan and its figures at the end of the period', () => {
    const [loan] = section('loan');
    const end = data.coverage.atEnd;
    expect(loan?.['loan_reference']).toBe(data.loan.reference);
    expect(loan?.['borrower_name']).toBe(data.borrower.name);
    expect(num(loan?.['amount'])).toBe(data.loan.amount);
    expect(num(loan?.['balance'])).toBe(end.balance);
    expect(num(loan?.['crop_value'])).toBe(end.cropValue);
    expect(num(loan?.['herd_value'])).toBe(end.herdValue);
    expect(num(loan?.['total_value'])).toBe(end.totalValue);
    expect(num(loan?.['coverage_ratio'])).toBe(end.coverageRatio);
    expect(num(loan?.['alerts_critical'])).toBe(1);
    expect(num(loan?.['alerts_warning'])).toBe(2);
  });

  it('has every coverage point with its figures', () => {
    const points = section('coverage_point');
    expect(points.map((p) => p['at'])).toEqual(data.coverage.series.points.map((p) => p.at));
    expect(
      points.map((p) => [
        num(p['balance']),
        num(p['crop_value']),
        num(p['herd_value']),
        num(p['total_value']),
        num(p['coverage_ratio']),
      ]),
    ).toEqual(
      data.coverage.series.points.map((p) => [
        p.balance,
        p.cropValue,
        p.herdValue,
        p.totalValue,
        p.coverageRatio,
      ]),
    );
  });

  it('has every parcel with its areas, crops, status, value, NDVI and scenes', () => {
    const parcels = section('parcel');
    expect(parcels.map((p) => p['parcel_code'])).toEqual(data.parcels.map((p) => p.code));
    for (const p of data.parcels) {
      const row = parcels.find((r) => r['parcel_code'] === p.code);
      const valued = data.coverage.atEnd.parcels.find((v) => v.parcelId === p.id);
      expect(num(row?.['declared_area_m2'])).toBe(p.declaredAreaM2);
      expect(num(row?.['planted_area_m2'])).toBe(p.plantedAreaM2);
      expect(num(row?.['observed_crop_code'])).toBe(p.observedCropCode);
      expect(textOrNull(row?.['status_reason'])).toBe(p.statusReason);
      expect(num(row?.['value'])).toBe(valued?.value);
      const ndvi = section('parcel_ndvi').filter((r) => r['parcel_code'] === p.code);
      expect(ndvi.map((r) => [r['at'], num(r['ndvi'])])).toEqual(
        p.ndviSeries.map((s) => [s.date, s.ndvi]),
      );
      const scenes = section('parcel_scene').filter((r) => r['parcel_code'] === p.code);
      expect(
        scenes.map((r) => [r['scene_id'], r['at'], num(r['clear_pixels']), num(r['total_pixels'])]),
      ).toEqual(p.scenes.map((s) => [s.sceneId, s.observedAt, s.clearPixels, s.totalPixels]));
    }
    const mismatch = parcels.find((r) => r['status'] === 'mismatch');
    expect(num(mismatch?.['planted_pct_of_declared'])).toBe(97.3);
  });

  it('has every herd with its counts over the period and the missing tags', () => {
    const [herd] = section('herd');
    const h = data.herds[0];
    expect(num(herd?.['counted_at_start'])).toBe(h?.countedAtStart);
    expect(num(herd?.['counted_at_end'])).toBe(h?.countedAtEnd);
    expect(num(herd?.['min_counted'])).toBe(h?.minCounted);
    expect(herd?.['missing_tags']?.split(';')).toEqual(h?.missingTagsAtEnd);
    expect(section('herd_count').map((r) => [r['at'], num(r['head_count'])])).toEqual(
      h?.counts.map((c) => [c.at, c.headCount]),
    );
    const positions = section('herd_position');
    expect(positions).toHaveLength(h?.positions.length ?? -1);
    expect(positions.filter((p) => p['inside'] === 'false')).toHaveLength(4);
    expect(positions.map((p) => [num(p['lng']), num(p['lat'])])).toEqual(
      h?.positions.map((p) => p.lngLat),
    );
  });

  it('has every alert in order, each followed by its events', () => {
    const alertsAndEvents = rows.filter(
      (r) => r.section === 'alert' || r.section === 'alert_event',
    );
    const expected = data.alerts.flatMap((a) => [
      ['alert', a.id, a.severity, a.status, a.raisedAt, a.title],
      ...a.events.map((ev) => ['alert_event', a.id, ev.type, ev.at, ev.by ?? '', ev.comment ?? '']),
    ]);
    expect(
      alertsAndEvents.map((r) =>
        r.section === 'alert'
          ? [r.section, r['alert_id'], r['severity'], r['status'], r['raised_at'], r['title']]
          : [r.section, r['alert_id'], r['event_type'], r['at'], r['by'], r['comment']],
      ),
    ).toEqual(expected);
    const first = section('alert')[0];
    expect(JSON.parse(first?.['evidence_json'] ?? 'null')).toEqual(data.alerts[0]?.evidence);
    expect(first?.['evidence_summary']).toContain('4 animals left the farm');
  });

  it('quotes commas, quotes and line breaks so they come back unchanged', () => {
    const tricky = 'Said "no", then:\r\nleft; twice,\nreally';
    const changed = {
      ...data,
      borrower: { ...data.borrower, name: 'Smet, "Jan" & Co\nBV' },
      alerts: data.alerts.map((a) => ({
        ...a,
        events: a.events.map((ev) => ({ ...ev, comment: tricky })),
      })),
    };
    const { rows: back } = readReport(changed);
    expect(back.find((r) => r.section === 'loan')?.['borrower_name']).toBe('Smet, "Jan" & Co\nBV');
    for (const ev of back.filter((r) => r.section === 'alert_event'))
      expect(ev['comment']).toBe(tricky);
  });

  it('writes numbers with dot decimals and no exponent', () => {
    expect(csvField(1234.5)).toBe('1234.5');
    expect(csvField(1e-7)).toBe('0.0000001');
    expect(csvField(-0.25)).toBe('-0.25');
    expect(csvField(null)).toBe('');
    expect(csvField(true)).toBe('true');
    const numeric = rows.flatMap((r) =>
      Object.values(r).filter((f) => f.trim() !== '' && Number.isFinite(Number(f))),
    );
    expect(numeric.length).toBeGreaterThan(300);
    for (const field of numeric) expect(field).toMatch(/^-?\d+(\.\d+)?$/);
  });
});
