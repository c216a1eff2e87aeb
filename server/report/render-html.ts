/**
 * The post-loan report as one self-contained HTML document: inline CSS and SVG, no script, no
 * request to anywhere (a Content-Security-Policy forbids it too), laid out for the screen and
 * for A4 paper (the PDF is this page printed by Chromium). Every text from the data is escaped:
 * names, comments and evidence are user input.
 */
import { farmMapSvg } from './report-map-svg.ts';
import { timeChartSvg } from './report-svg.ts';
import { summarizeEvidence } from './evidence-summary.ts';
import {
  escapeHtml,
  formatDate,
  formatDateTime,
  formatHectares,
  formatMoney,
  formatNumber,
  formatPercent,
  formatRatio,
  percentOf,
} from './format.ts';
import { parcelStatusStyles, reportStatusOf } from './parcel-status-palette.ts';
import type { ReportAlert, ReportData, ReportHerd, ReportParcel } from './types.ts';

/** The name of the <meta> that carries the footer line the PDF prints on every page. */
export const PDF_FOOTER_META = 'pledgewatch-pdf-footer';

const severityLooks: Readonly<Record<ReportAlert['severity'], { mark: string; color: string }>> = {
  critical: { mark: '‼', color: '#D55E00' },
  warning: { mark: '!', color: '#E69F00' },
  info: { mark: 'i', color: '#56B4E9' },
};

const e = escapeHtml;

/**
 * The report of `data` as an HTML document; `contentHash` is {@link reportContentHash} of the
 * same data, shown on the first page and (through a <meta>) in the PDF's footer.
 * @example renderReportHtml(data, { contentHash: reportContentHash(data) })
 */
export function renderReportHtml(data: ReportData, options: { contentHash: string }): string {
  const hash = options.contentHash;
  const title = `Post-loan report ${data.loan.reference} – ${data.borrower.name}`;
  const footer = `${data.loan.reference} · ${data.borrower.name} · report ${data.reportId} · sha256 ${hash}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="${PDF_FOOTER_META}" content="${e(footer)}">`,
    `<meta name="pledgewatch-report-id" content="${e(data.reportId)}">`,
    `<meta name="pledgewatch-content-hash" content="${e(hash)}">`,
    `<title>${e(title)}</title>`,
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    '<main>',
    headerSection(data, hash),
    loanSection(data),
    summarySection(data),
    mapSection(data),
    coverageSection(data),
    valuationSection(data),
    parcelsSection(data),
    herdsSection(data),
    alertsSection(data),
    signatureSection(),
    '</main>',
    '</body>',
    '</html>',
  ].join('\n');
}

function rows(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('');
}

function headerSection(data: ReportData, hash: string): string {
  const range =
    data.dataRange === null
      ? 'no data in the period'
      : `${e(formatDateTime(data.dataRange.from))} to ${e(formatDateTime(data.dataRange.to))}`;
  const models =
    data.modelVersions.length === 0
      ? 'none (no crop observation in the period)'
      : data.modelVersions.map((m) => `<code>${e(m)}</code>`).join('<br>');
  return `<header class="first">
<p class="kicker">PledgeWatch · post-loan report</p>
<h1>Loan ${e(data.loan.reference)} <span class="sep">·</span> ${e(data.borrower.name)}</h1>
<p class="period">Period ${e(formatDateTime(data.period.from))} to ${e(formatDateTime(data.period.to))} <span class="note">(end excluded)</span></p>
<table class="facts ident">${rows([
    ['Report id', `<code>${e(data.reportId)}</code>`],
    ['Content hash (sha256)', `<code class="hash">${e(hash)}</code>`],
    ['Generated', `${e(formatDateTime(data.generatedAt))} by ${e(data.generatedBy)}`],
    ['Data time range', range],
    ['Crop model', models],
    ['Report schema', `version ${e(String(data.schemaVersion))}`],
  ])}</table>
<p class="note">The content hash is the sha256 of this report's data as canonical JSON (keys sorted, no whitespace). The same data gives the same hash; any changed figure, name or date gives another, so a filed copy can be checked against the data the service kept.</p>
</header>`;
}

function loanSection(data: ReportData): string {
  const { loan, borrower, branch } = data;
  const end = data.coverage.atEnd;
  return `<section class="keep"><h2>Borrower and loan</h2>
<div class="cols">
<table class="facts">${rows([
    ['Borrower', e(borrower.name)],
    ['Borrower ref.', e(borrower.ref)],
    ['Registration no.', e(borrower.registrationNo ?? '–')],
    ['Branch', `${e(branch.name)} (${e(branch.code)})`],
    [
      'Loan officer',
      loan.officer === null ? '–' : `${e(loan.officer.name)} &lt;${e(loan.officer.email)}&gt;`,
    ],
  ])}</table>
<table class="facts">${rows([
    ['Loan reference', e(loan.reference)],
    ['Status', e(loan.status)],
    ['Amount', e(formatMoney(loan.amount, loan.currency))],
    [
      'Balance',
      `${e(formatMoney(end.balance, end.currency))} <span class="note">since ${e(formatDate(end.balanceAsOf))}</span>`,
    ],
    [
      'Disbursed / matures',
      `${e(formatDate(loan.disbursedOn))} / ${e(formatDate(loan.maturesOn))}`,
    ],
  ])}</table>
</div></section>`;
}

interface CoverageVerdict {
  readonly mark: string;
  readonly color: string;
  readonly text: string;
}

function coverageVerdict(data: ReportData): CoverageVerdict {
  const ratio = data.coverage.atEnd.coverageRatio;
  const t = data.coverage.thresholds;
  if (ratio === null) return { mark: '–', color: '#bbbbbb', text: 'no balance outstanding' };
  if (t === undefined) {
    return {
      mark: '?',
      color: '#bbbbbb',
      text: 'the coverage thresholds are not recorded in this report',
    };
  }
  if (ratio < t.criticalCoverageRatio) {
    return {
      mark: '‼',
      color: '#D55E00',
      text: `critical: below ${formatRatio(t.criticalCoverageRatio)}`,
    };
  }
  if (ratio < t.minCoverageRatio) {
    return {
      mark: '!',
      color: '#E69F00',
      text: `warning: below the minimum ${formatRatio(t.minCoverageRatio)} (critical below ${formatRatio(t.criticalCoverageRatio)})`,
    };
  }
  return {
    mark: '✓',
    color: '#009E73',
    text: `covered: at least the minimum ${formatRatio(t.minCoverageRatio)} (warning below it, critical below ${formatRatio(t.criticalCoverageRatio)})`,
  };
}

function summarySection(data: ReportData): string {
  const end = data.coverage.atEnd;
  const verdict = coverageVerdict(data);
  const bySeverity = (['critical', 'warning', 'info'] as const).map(
    (s) =>
      `${severityLooks[s].mark} ${s}: <strong>${data.alerts.filter((a) => a.severity === s).length}</strong>`,
  );
  const statusCounts = Object.entries(parcelStatusStyles)
    .map(([status, style]) => ({
      style,
      count: data.parcels.filter((p) => reportStatusOf(p.status) === status).length,
    }))
    .filter((x) => x.count > 0)
    .map((x) => `${e(x.style.mark)} ${e(x.style.label)}: <strong>${x.count}</strong>`);
  const herdLines = data.herds.map(
    (h) =>
      `${e(h.code)}: ${formatNumber(h.countedAtEnd)} of ${formatNumber(h.pledgedHeadCount)} pledged head (${formatNumber(h.missingTagsAtEnd.length)} tags missing)`,
  );
  return `<section class="keep summary"><h2>Summary at the end of the period</h2>
<p class="verdict" style="border-color:${verdict.color}"><span class="badge" style="background:${verdict.color}">${e(verdict.mark)}</span> Coverage ratio <strong>${e(formatRatio(end.coverageRatio))}</strong> × the balance · ${e(verdict.text)}</p>
<div class="cols">
<table class="facts figures">${rows([
    ['Crop value', `<span class="num">${e(formatMoney(end.cropValue, end.currency))}</span>`],
    ['Herd value', `<span class="num">${e(formatMoney(end.herdValue, end.currency))}</span>`],
    [
      'Collateral value',
      `<span class="num"><strong>${e(formatMoney(end.totalValue, end.currency))}</strong></span>`,
    ],
    ['Loan balance', `<span class="num">${e(formatMoney(end.balance, end.currency))}</span>`],
    ['Valued at', e(formatDateTime(end.at))],
  ])}</table>
<table class="facts">${rows([
    ['Alerts raised', `${data.alerts.length} · ${bySeverity.join(' · ')}`],
    ['Parcels', statusCounts.length === 0 ? 'none' : statusCounts.join('<br>')],
    ['Herds', herdLines.length === 0 ? 'none' : herdLines.join('<br>')],
    ['Unvalued', end.unvalued.length === 0 ? 'nothing' : end.unvalued.map(e).join(', ')],
  ])}</table>
</div></section>`;
}

function mapSection(data: ReportData): string {
  return `<section class="keep"><h2>Map of the farms</h2>
<figure>${farmMapSvg(data)}<figcaption>Farms: ${data.farms.map((f) => `${e(f.code)} ${e(f.name)}`).join('; ') || 'none'}. Parcels by their status at the end of the period; each pledged animal at its latest fix in the period.</figcaption></figure>
</section>`;
}

function coverageSection(data: ReportData): string {
  const series = data.coverage.series;
  const t = data.coverage.thresholds;
  const points = series.points;
  const ratios = points.map((p) => p.coverageRatio).filter((r): r is number => r !== null);
  const lowest = points.reduce<(typeof points)[number] | null>(
    (low, p) =>
      p.coverageRatio !== null &&
      (low === null || low.coverageRatio === null || p.coverageRatio < low.coverageRatio)
        ? p
        : low,
    null,
  );
  const chart = timeChartSvg({
    title: `Coverage ratio of loan ${data.loan.reference} over the period`,
    fromMs: Date.parse(series.from),
    toMs: Date.parse(series.to),
    yLabel: 'coverage ratio',
    yDecimals: 2,
    includeZero: true,
    series: [
      {
        label: 'coverage',
        color: '#0072B2',
        mark: 'circle',
        points: points.map((p) => ({ atMs: Date.parse(p.at), value: p.coverageRatio })),
      },
    ],
    referenceLines:
      t === undefined
        ? []
        : [
            {
              label: `minimum ${formatRatio(t.minCoverageRatio)}`,
              value: t.minCoverageRatio,
              color: '#E69F00',
              dash: '6 3',
            },
            {
              label: `critical ${formatRatio(t.criticalCoverageRatio)}`,
              value: t.criticalCoverageRatio,
              color: '#D55E00',
              dash: '2 3',
            },
          ],
  });
  const first = points[0];
  const last = points[points.length - 1];
  const tableRows = [
    ['start', first],
    ['lowest', lowest],
    ['end', last],
  ] as const;
  return `<section class="keep"><h2>Coverage over the period</h2>
<figure>${chart}<figcaption>Collateral value / loan balance, every ${e(formatStep(series.stepMs))} (${points.length} points; all of them are in the CSV).</figcaption></figure>
<table class="grid"><thead><tr><th></th><th>at</th><th class="num">balance</th><th class="num">crops</th><th class="num">herds</th><th class="num">total</th><th class="num">coverage</th></tr></thead><tbody>${tableRows
    .map(([label, p]) =>
      p === undefined || p === null
        ? ''
        : `<tr><th scope="row">${label}</th><td>${e(formatDateTime(p.at))}</td><td class="num">${e(formatNumber(p.balance, 2))}</td><td class="num">${e(formatNumber(p.cropValue, 2))}</td><td class="num">${e(formatNumber(p.herdValue, 2))}</td><td class="num">${e(formatNumber(p.totalValue, 2))}</td><td class="num">${e(formatRatio(p.coverageRatio))}</td></tr>`,
    )
    .join('')}</tbody></table>
${ratios.length === 0 ? '<p class="note">No coverage ratio in the period (no balance outstanding).</p>' : ''}
</section>`;
}

function formatStep(stepMs: number): string {
  if (stepMs % 86_400_000 === 0)
    return `${stepMs / 86_400_000} day${stepMs === 86_400_000 ? '' : 's'}`;
  if (stepMs % 3_600_000 === 0) return `${stepMs / 3_600_000} h`;
  return `${Math.round(stepMs / 60_000)} min`;
}

function valuationSection(data: ReportData): string {
  const end = data.coverage.atEnd;
  const parcelRows = end.parcels
    .map(
      (p) =>
        `<tr><td class="code">${e(p.code)}</td><td>${e(p.declaredCropName ?? '–')}</td><td class="num">${e(formatHectares(p.valuedAreaM2))}</td><td>${e(p.areaSource)}</td><td class="num">${p.tonnesPerHa === null ? '–' : e(formatNumber(p.tonnesPerHa, 2))}</td><td class="num">${p.pricePerTonne === null ? '–' : e(formatMoney(p.pricePerTonne, p.priceCurrency ?? end.currency))}</td><td class="num">${e(formatMoney(p.value, end.currency))}</td><td>${e(p.unvaluedReason ?? '')}</td></tr>`,
    )
    .join('');
  const herdRows = end.herds
    .map(
      (h) =>
        `<tr><td class="code">${e(h.code)}</td><td>${e(h.species)}</td><td class="num">${formatNumber(h.countedHeadCount)} / ${formatNumber(h.pledgedHeadCount)}</td><td class="num">${e(formatMoney(h.valuePerHead, h.valueCurrency ?? end.currency))}</td><td>${e(h.valueSource ?? '–')}</td><td class="num">${e(formatMoney(h.value, end.currency))}</td><td>${e(h.unvaluedReason ?? '')}</td></tr>`,
    )
    .join('');
  return `<section class="keep"><h2>Collateral valuation at the end of the period</h2>
<p class="note">Crops: valued area (ha) × expected yield (t/ha) × price (per t); herds: counted head × value per head; in ${e(end.currency)}, with the portfolio settings valid on ${e(formatDate(end.at))}.</p>
<table class="grid keep"><thead><tr><th>parcel</th><th>declared crop</th><th class="num">valued area</th><th>area from</th><th class="num">t/ha</th><th class="num">price per t</th><th class="num">value</th><th>unvalued because</th></tr></thead><tbody>${parcelRows || '<tr><td colspan="8">no parcel pledged</td></tr>'}</tbody></table>
<table class="grid keep"><thead><tr><th>herd</th><th>species</th><th class="num">counted / pledged</th><th class="num">value per head</th><th>value from</th><th class="num">value</th><th>unvalued because</th></tr></thead><tbody>${herdRows || '<tr><td colspan="7">no herd pledged</td></tr>'}</tbody></table>
</section>`;
}

function parcelsSection(data: ReportData): string {
  return `<section><h2>Parcels</h2>
${data.parcels.length === 0 ? '<p>No parcel is pledged for this loan.</p>' : data.parcels.map((p) => parcelBlock(p, data)).join('\n')}
</section>`;
}

function parcelBlock(p: ReportParcel, data: ReportData): string {
  const style = parcelStatusStyles[reportStatusOf(p.status)];
  const planted = percentOf(p.plantedAreaM2, p.declaredAreaM2);
  const chart = timeChartSvg({
    title: `NDVI of parcel ${p.code} over the period`,
    fromMs: Date.parse(data.period.from),
    toMs: Date.parse(data.period.to),
    yLabel: 'NDVI',
    yMin: 0,
    yMax: 1,
    yDecimals: 1,
    heightPx: 170,
    series: [
      {
        label: 'NDVI (clear sky)',
        color: '#009E73',
        mark: 'circle',
        points: p.ndviSeries.map((s) => ({ atMs: Date.parse(s.date), value: s.ndvi })),
      },
    ],
  });
  // One crop model for the whole report (the usual case): named once at the top, not per scene.
  const soleModel = data.modelVersions.length === 1 ? data.modelVersions[0] : undefined;
  const showModel = p.scenes.some((s) => s.modelVersion !== null && s.modelVersion !== soleModel);
  const scenes = p.scenes
    .map(
      (s) =>
        `<tr><td><code>${e(s.sceneId)}</code></td><td class="when">${e(formatDate(s.observedAt))}</td><td class="num">${e(formatPercent(percentOf(s.clearPixels, s.totalPixels)))}</td><td class="num">${formatNumber(s.clearPixels)} / ${formatNumber(s.totalPixels)}</td>${showModel ? `<td><code>${e(s.modelVersion ?? '–')}</code></td>` : ''}</tr>`,
    )
    .join('');
  const columns = showModel ? 5 : 4;
  return `<article class="parcel" id="parcel-${e(p.code)}">
<div class="keep">
<h3><span class="badge" style="background:${style.color}">${e(style.mark)}</span> Parcel ${e(p.code)} <span class="sub">farm ${e(p.farmCode)} · ${e(style.label)}</span></h3>
<table class="grid compare"><thead><tr><th></th><th>crop</th><th class="num">area</th></tr></thead><tbody>
<tr><th scope="row">declared</th><td>${e(cropLabel(p.declaredCropName, p.declaredCropCode))}</td><td class="num">${e(formatHectares(p.declaredAreaM2))}</td></tr>
<tr><th scope="row">observed</th><td>${e(cropLabel(p.observedCropName, p.observedCropCode))}${p.observedConfidence === null ? '' : ` <span class="note">(confidence ${e(formatNumber(p.observedConfidence, 2))})</span>`}</td><td class="num">${e(formatHectares(p.plantedAreaM2))} planted</td></tr>
<tr><th scope="row">parcel</th><td></td><td class="num">${e(formatHectares(p.areaM2))}</td></tr>
</tbody></table>
<p>Planted vs declared: <strong>${e(formatPercent(planted))}</strong>. Status: <strong>${e(style.label)}</strong>${p.statusReason === null ? '' : ` – ${e(p.statusReason)}`}</p>
<figure>${chart}</figure>
</div>
<table class="grid scenes"><thead><tr><th>scene used</th><th>date</th><th class="num">clear</th><th class="num">clear / parcel pixels</th>${showModel ? '<th>model</th>' : ''}</tr></thead><tbody>${scenes || `<tr><td colspan="${columns}">no scene over the parcel in the period</td></tr>`}</tbody></table>
${soleModel === undefined || showModel ? '' : `<p class="note">Classified with <code>${e(soleModel)}</code>.</p>`}
</article>`;
}

function cropLabel(name: string | null, code: number | null): string {
  if (code === null) return name ?? '–';
  return `${name ?? 'crop'} (${code})`;
}

function herdsSection(data: ReportData): string {
  return `<section><h2>Herds</h2>
${data.herds.length === 0 ? '<p>No herd is pledged for this loan.</p>' : data.herds.map((h) => herdBlock(h, data)).join('\n')}
</section>`;
}

function herdBlock(h: ReportHerd, data: ReportData): string {
  const chart = timeChartSvg({
    title: `Counted head of herd ${h.code} against the pledge`,
    fromMs: Date.parse(data.period.from),
    toMs: Date.parse(data.period.to),
    yLabel: 'head',
    includeZero: true,
    heightPx: 180,
    series: [
      {
        label: 'counted',
        color: '#0072B2',
        mark: 'square',
        points: h.counts.map((c) => ({ atMs: Date.parse(c.at), value: c.headCount })),
      },
    ],
    referenceLines: [
      {
        label: `pledged ${formatNumber(h.pledgedHeadCount)}`,
        value: h.pledgedHeadCount,
        color: '#D55E00',
        dash: '6 3',
      },
    ],
  });
  const change = h.countedAtEnd - h.countedAtStart;
  const outside = h.positions.filter((p) => !p.inside).map((p) => p.tagCode);
  return `<article class="herd keep" id="herd-${e(h.code)}">
<h3>Herd ${e(h.code)} <span class="sub">farm ${e(h.farmCode)} · ${e(h.species)}</span></h3>
<table class="grid counts"><thead><tr><th class="num">pledged</th><th class="num">counted at start</th><th class="num">counted at end</th><th class="num">lowest count</th><th class="num">change</th></tr></thead>
<tbody><tr><td class="num">${formatNumber(h.pledgedHeadCount)}</td><td class="num">${formatNumber(h.countedAtStart)}</td><td class="num">${formatNumber(h.countedAtEnd)}</td><td class="num">${formatNumber(h.minCounted)}</td><td class="num">${change > 0 ? '+' : ''}${formatNumber(change)}</td></tr></tbody></table>
<figure>${chart}</figure>
<p><strong>Missing tags at the end (${h.missingTagsAtEnd.length}):</strong> ${h.missingTagsAtEnd.length === 0 ? 'none' : h.missingTagsAtEnd.map((t) => `<code>${e(t)}</code>`).join(', ')}</p>
${outside.length === 0 ? '' : `<p><strong>Latest fix outside the fence (${outside.length}):</strong> ${outside.map((t) => `<code>${e(t)}</code>`).join(', ')}</p>`}
</article>`;
}

function subjectName(alert: ReportAlert, data: ReportData): string {
  const byId = (items: ReadonlyArray<{ id: string; code: string }>) =>
    items.find((x) => x.id === alert.subjectId)?.code;
  const evidenceTag =
    typeof alert.evidence === 'object' && alert.evidence !== null && 'tagCode' in alert.evidence
      ? String((alert.evidence as { tagCode: unknown }).tagCode)
      : undefined;
  const code =
    alert.subjectType === 'parcel'
      ? byId(data.parcels)
      : alert.subjectType === 'herd'
        ? byId(data.herds)
        : alert.subjectType === 'farm'
          ? byId(data.farms)
          : alert.subjectType === 'loan' && alert.subjectId === data.loan.id
            ? data.loan.reference
            : alert.subjectType === 'ear_tag'
              ? evidenceTag
              : undefined;
  return `${alert.subjectType.replace('_', ' ')} ${code ?? alert.subjectId}`;
}

function alertsSection(data: ReportData): string {
  const ordered = [...data.alerts].sort((a, b) => Date.parse(a.raisedAt) - Date.parse(b.raisedAt));
  return `<section><h2>Alerts raised in the period (${ordered.length})</h2>
${ordered.length === 0 ? '<p>No alert was raised for this loan in the period.</p>' : ordered.map((a, i) => alertBlock(a, i + 1, data)).join('\n')}
</section>`;
}

function alertBlock(alert: ReportAlert, n: number, data: ReportData): string {
  const look = severityLooks[alert.severity];
  const summary = summarizeEvidence(alert.evidence, data);
  const raw = rawEvidence(alert.evidence);
  const events = alert.events
    .map(
      (ev) =>
        `<tr><td class="when">${e(formatDateTime(ev.at))}</td><td>${e(ev.type)}</td><td>${e(ev.by ?? 'system')}</td><td class="comment">${ev.comment === null ? '' : e(ev.comment)}</td></tr>`,
    )
    .join('');
  return `<article class="alert" id="alert-${e(alert.id)}" style="border-left-color:${look.color}">
<h3><span class="badge" style="background:${look.color}">${e(look.mark)}</span> ${n}. ${e(alert.title)}</h3>
<p class="meta">${e(alert.severity)} · <code>${e(alert.kind)}</code> · ${e(subjectName(alert, data))} · raised ${e(formatDateTime(alert.raisedAt))} · now <strong>${e(alert.status)}</strong>${alert.resolvedAt === null ? '' : ` (resolved ${e(formatDateTime(alert.resolvedAt))})`}</p>
${summary.length === 0 ? '' : `<ul class="evidence">${summary.map((line) => `<li>${e(line)}</li>`).join('')}</ul>`}
<p class="raw"><span class="note">Evidence as recorded:</span> <code>${e(raw)}</code></p>
<table class="grid events"><thead><tr><th>when</th><th>what</th><th>by</th><th>comment</th></tr></thead><tbody>${events || '<tr><td colspan="4">no event recorded</td></tr>'}</tbody></table>
<p class="note">Alert id <code>${e(alert.id)}</code></p>
</article>`;
}

/** The evidence as compact JSON; very large evidence is cut (the full text is in the CSV). */
function rawEvidence(evidence: unknown): string {
  const text = JSON.stringify(evidence) ?? 'null';
  const max = 4000;
  return text.length > max
    ? `${text.slice(0, max)}… (${formatNumber(text.length - max)} more characters in the CSV)`
    : text;
}

function signatureSection(): string {
  const line = '<td class="line"></td>';
  return `<section class="keep signatures"><h2>Signatures</h2>
<table class="sign"><thead><tr><th></th><th>name</th><th>date</th><th>signature</th></tr></thead><tbody>
<tr><th scope="row">Prepared by</th>${line}${line}${line}</tr>
<tr><th scope="row">Reviewed by</th>${line}${line}${line}</tr>
</tbody></table>
</section>`;
}

const css = `
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: #111; background: #fff; font: 10pt/1.4 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h1 .sep { color: #888; }
h2 { font-size: 13pt; margin: 7mm 0 2.5mm; padding-bottom: 1mm; border-bottom: 1.5px solid #333; break-after: avoid; }
h3 { font-size: 11pt; margin: 5mm 0 2mm; break-after: avoid; }
h3 .sub { font-weight: normal; color: #555; font-size: 9.5pt; }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 8.5pt; color: #555; margin: 0 0 1mm; }
.period { margin: 0 0 3mm; font-size: 11pt; }
.note { color: #555; font-size: 8.5pt; }
code { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8.5pt; }
code.hash { word-break: break-all; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 0 0 3mm; }
th, td { text-align: left; vertical-align: top; padding: 1.2mm 2mm; }
.facts th { width: 34%; color: #444; font-weight: normal; }
.facts td, .facts th { border-bottom: 0.5px solid #ddd; }
.ident th { width: 26%; }
.grid { font-size: 9pt; }
.scenes { font-size: 8.5pt; }
.scenes td, .scenes th { padding: 0.6mm 2mm; }
.grid th, .grid td { border: 0.5px solid #bbb; }
.grid thead th { background: #eee; font-weight: bold; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.cols { display: flex; gap: 6mm; }
.cols > table { flex: 1; }
.verdict { border: 2px solid; border-radius: 2mm; padding: 2mm 3mm; font-size: 11pt; }
.badge { display: inline-block; min-width: 5mm; padding: 0 1.2mm; border-radius: 1mm; color: #000; font-weight: bold; text-align: center; }
figure { margin: 0 0 3mm; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: #555; margin-top: 1mm; }
.evidence { margin: 1mm 0 2mm; padding-left: 5mm; }
.raw code { word-break: break-all; color: #333; font-size: 7.5pt; }
.events .comment { width: 50%; }
.when, .code { white-space: nowrap; }
.alert { border-left: 1mm solid #ccc; padding-left: 3mm; margin-bottom: 5mm; }
.alert .meta { margin: 0 0 1mm; }
.sign th, .sign td { border: 0.5px solid #999; }
.sign td.line { height: 16mm; }
.sign thead th { background: #eee; }
.sign tbody th { width: 20%; }
@media print {
  main { max-width: none; padding: 0; }
  .keep, article.herd, tr, figure { break-inside: avoid; }
  .alert { break-inside: avoid-page; }
  a { color: inherit; text-decoration: none; }
}
`;
