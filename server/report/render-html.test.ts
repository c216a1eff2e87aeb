import { describe, expect, it } from 'vitest';
import { reportContentHash } from './content-hash.ts';
import { PDF_FOOTER_META, renderReportHtml } from './render-html.ts';
import { buildSampleReport } from './sample-report.ts';
import type { ReportData } from './types.ts';
import { escapeHtml } from './format.ts';

const hostile = `<script>alert("pwned")</script><img src=x onerror=alert(1)> & 'Zonen' "BV"`;

function render(data: ReportData): { html: string; hash: string } {
  const hash = reportContentHash(data);
  return { html: renderReportHtml(data, { contentHash: hash }), hash };
}

/** The sample with user input in every place a person can type into. */
function hostileSample(): ReportData {
  const data = buildSampleReport();
  const alerts = data.alerts.map((a, i) => ({
    ...a,
    title: `${a.title} ${hostile}`,
    events: a.events.map((ev) =>
      ev.comment === null ? ev : { ...ev, comment: `${ev.comment} ${hostile}` },
    ),
    evidence: i === 0 ? { ...(a.evidence as object), note: hostile } : a.evidence,
  }));
  return {
    ...data,
    generatedBy: `${hostile} <x@example>`,
    borrower: { ...data.borrower, name: hostile },
    farms: data.farms.map((f) => ({ ...f, name: `${f.name} ${hostile}` })),
    parcels: data.parcels.map((p) => ({
      ...p,
      statusReason: `${p.statusReason ?? ''} ${hostile}`,
    })),
    herds: data.herds.map((h) => ({ ...h, species: hostile })),
    alerts,
    coverage: { ...data.coverage, atEnd: { ...data.coverage.atEnd, borrowerName: hostile } },
  };
}

describe('renderReportHtml', () => {
  const data = buildSampleReport();
  const { html, hash } = render(data);

  it('shows the borrower, the loan and its figures', () => {
    expect(html).toContain(escapeHtml(data.borrower.name));
    expect(html).toContain(data.loan.reference);
    expect(html).toContain(data.branch.name);
    expect(html).toContain(escapeHtml(data.loan.officer?.name ?? '?'));
    expect(html).toContain('EUR 150\u202f000.00');
    expect(html).toContain(`EUR 98\u202f000.00`);
    expect(html).toContain(data.modelVersions[0]);
  });

  it('shows the report id and the content hash on the first page and in the footer line', () => {
    const firstPage = html.slice(0, html.indexOf('Borrower and loan'));
    expect(firstPage).toContain(hash);
    expect(firstPage).toContain(data.reportId);
    const footer = new RegExp(`<meta name="${PDF_FOOTER_META}" content="([^"]*)">`).exec(html)?.[1];
    expect(footer).toContain(hash);
    expect(footer).toContain(data.loan.reference);
  });

  it('shows every parcel, herd, alert and event of the report', () => {
    for (const p of data.parcels) {
      expect(html).toContain(`Parcel ${p.code}`);
      expect(html).toContain(escapeHtml(p.statusReason ?? '?'));
      for (const s of p.scenes) expect(html).toContain(s.sceneId);
    }
    for (const h of data.herds) {
      expect(html).toContain(`Herd ${h.code}`);
      for (const tag of h.missingTagsAtEnd) expect(html).toContain(tag);
    }
    let position = 0;
    for (const alert of data.alerts) {
      // In the order they were raised.
      const at = html.indexOf(escapeHtml(alert.title), position);
      expect(at, alert.title).toBeGreaterThan(position);
      position = at;
      for (const ev of alert.events) {
        if (ev.comment !== null) expect(html).toContain(escapeHtml(ev.comment));
      }
    }
    const eventRows = html.match(/<tr><td class="when">[^<]+ UTC<\/td>/g) ?? [];
    expect(eventRows).toHaveLength(data.alerts.reduce((n, a) => n + a.events.length, 0));
  });

  it('summarises the evidence in words', () => {
    expect(html).toContain('34 of 40 pledged head counted, 6 short');
    expect(html).toContain('Missing tags (6): ');
    expect(html).toContain('4 animals left the farm between 2026-05-27 22:41 UTC');
    expect(html).toContain('Declared Maize (1200), seen Permanent grass crops (9120)');
  });

  it('draws the map, the NDVI, herd and coverage charts as inline SVG', () => {
    expect(html.match(/<svg /g)).toHaveLength(1 + data.parcels.length + data.herds.length + 1);
    const outside = data.herds.flatMap((h) => h.positions).filter((p) => !p.inside).length;
    const inside = data.herds.flatMap((h) => h.positions).length - outside;
    expect(outside).toBeGreaterThan(0);
    // One mark per fix, plus one of each kind in the legend.
    expect(html.match(/<g stroke="#D55E00" stroke-width="1.8"><circle/g)).toHaveLength(outside + 1);
    expect(html.match(/<circle [^>]*r="3.2" fill="#0072B2"/g)).toHaveLength(inside + 1);
    expect(html).toContain('fill="url(#pw-map-mismatch)"');
    expect(html).toContain('fill="url(#pw-map-cannot_verify)"');
    expect(html).toContain('>200 m<');
  });

  it('is self-contained: no script, no request to anywhere', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/\s(src|href|srcset|action)=/i);
    expect(html).not.toMatch(/@import|url\((?!#)/i);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
  });

  it('escapes every text: a hostile borrower, farm, comment or evidence stays text', () => {
    const { html: bad } = render(hostileSample());
    expect(bad).not.toContain(hostile);
    expect(bad).not.toMatch(/<script|<img|onerror=alert\(1\)>/i);
    expect(bad).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;');
    expect(bad).toContain('&amp; &#39;Zonen&#39; &quot;BV&quot;');
    // The page's structure is intact: the same number of elements as without the hostile text.
    const tags = (h: string) => (h.match(/<[a-z]+[\s>]/g) ?? []).length;
    expect(tags(bad)).toBe(tags(html));
  });

  it('says when there is nothing to report', () => {
    const empty: ReportData = {
      ...data,
      dataRange: null,
      modelVersions: [],
      farms: [],
      parcels: [],
      herds: [],
      alerts: [],
      coverage: {
        ...data.coverage,
        atEnd: { ...data.coverage.atEnd, parcels: [], herds: [], coverageRatio: null },
        series: { ...data.coverage.series, points: [] },
      },
    };
    const out = render(empty).html;
    expect(out).toContain('No farm, parcel or animal position to draw.');
    expect(out).toContain('No parcel is pledged for this loan.');
    expect(out).toContain('No herd is pledged for this loan.');
    expect(out).toContain('No alert was raised for this loan in the period.');
    expect(out).toContain('no balance outstanding');
    expect(out).toContain('no data in the period');
  });
});
