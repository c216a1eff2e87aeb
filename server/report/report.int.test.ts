/**
 * The post-loan report over the API on both backends, against the demo portfolio: its figures are
 * the collateral API's for the same period; a herd that lost animals shows the drop, the missing
 * tags and the alerts with their handling, in order; an issued report is found again by its
 * content hash (and only in its branch); bad periods and formats are 400s naming the field; a PDF
 * comes from a real Chromium when there is one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, HOW_TO_GET_CHROMIUM } from '../../web/e2e/harness.ts';
import { AlertBus } from '../alerts/alert-bus.ts';
import { AlertEngine } from '../alerts/engine.ts';
import { HerdMonitor } from '../alerts/herd-monitor.ts';
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { writeTagReadings, type TagReading } from '../db/tag-readings.ts';
import { silentLogger } from '../logger.ts';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import { reportContentHash } from './content-hash.ts';
import { createPdfRenderer } from './pdf-renderer.ts';
import type { ReportData } from './types.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
// F-KRT-02's east edge is the meridian 3.0902574 between lat 50.8323487 and 50.8370525.
const EAST_EDGE_LNG = 3.0902574;
const LAT = 50.8347;
const DEG_LNG_PER_M = 1 / (111_320 * Math.cos((LAT * Math.PI) / 180));
const east = (m: number): number => EAST_EDGE_LNG + m * DEG_LNG_PER_M;

describe.each(testBackends)('post-loan report on $name', (backend) => {
  let h: ApiHarness;
  let loanId: string;
  let herdId: string;
  let farmId: string;
  let tags: string[];

  const reportUrl = (id: string, query: Record<string, string>) =>
    `/api/loans/${id}/report?${new URLSearchParams(query).toString()}`;

  const writeReadings = async (readings: TagReading[]) => {
    await h.storage.transaction((tx) => writeTagReadings(tx, readings));
  };

  beforeAll(async () => {
    h = await createApiHarness(backend);
    loanId = await h.idOf('loans', 'reference', 'L-2024-0002');
    herdId = await h.idOf('herds', 'code', 'H-KRT-02');
    farmId = await h.idOf('farms', 'code', 'F-KRT-02');
    tags = (
      await h.storage.query<{ tag_code: string }>(
        'select tag_code from ear_tags where herd_id = $1 order by tag_code',
        [herdId],
      )
    ).rows.map((r) => r.tag_code);
    // The demo binds the tags when it is loaded (now): pledge them from the start of the year,
    // so the periods below, which lie in the past, see them pledged.
    await h.storage.query(`update ear_tags set bound_at = '2026-01-01T00:00:00Z'`);
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  it('says what the collateral API says for the same period', async () => {
    const from = new Date('2026-09-01T00:00:00Z');
    const to = new Date('2026-10-01T00:00:00Z');
    // Some tags report inside the farm through the month, the last fixes just before `to`.
    const inside: TagReading[] = [];
    for (const [i, tag] of tags.slice(0, 40).entries()) {
      for (const atMs of [from.getTime() - 20 * MIN, from.getTime() + 10 * HOUR]) {
        inside.push({
          tagCode: tag,
          observedAt: new Date(atMs),
          farmId,
          gatewayId: null,
          lat: LAT,
          lon: east(-150),
        });
      }
      if (i < 30) {
        inside.push({
          tagCode: tag,
          observedAt: new Date(to.getTime() - 15 * MIN),
          farmId,
          gatewayId: null,
          lat: LAT,
          lon: east(-150),
        });
      }
    }
    await writeReadings(inside);
    // Two clear scenes and a clouded one over a parcel of the loan.
    const parcelId = await h.idOf('parcels', 'code', 'P-KRT-02-1');
    await h.storage.query(
      `insert into parcel_observations (observed_at, parcel_id, scene_id, clear_pixels, total_pixels,
                                        ndvi_mean, predicted_crop_code, predicted_confidence,
                                        planted_area_m2, model_version)
       values ('2026-09-05T10:30:00Z', $1, 'S2A_TEST_0905', 400, 420, 0.71, 9120, 0.9, 41000, 'crop-type@sha256:test'),
              ('2026-09-12T10:30:00Z', $1, 'S2B_TEST_0912', 0, 420, null, null, null, null, 'crop-type@sha256:test'),
              ('2026-09-20T10:30:00Z', $1, 'S2A_TEST_0920', 410, 420, 0.64, 9120, 0.88, 40500, 'crop-type@sha256:test')`,
      [parcelId],
    );

    const report = await h.call(
      'krtOfficer',
      'GET',
      reportUrl(loanId, { from: from.toISOString(), to: to.toISOString(), format: 'json' }),
    );
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toContain('application/json');
    const data = report.body as ReportData;
    // The hash in the header is the hash of the data answered.
    expect(report.headers.get('x-report-content-hash')).toBe(reportContentHash(data));
    expect(report.headers.get('x-report-id')).toBe(data.reportId);

    const collateral = await h.call(
      'krtOfficer',
      'GET',
      `/api/loans/${loanId}/collateral?at=${encodeURIComponent(to.toISOString())}`,
    );
    expect(collateral.status).toBe(200);
    expect(data.coverage.atEnd).toEqual(collateral.body);

    const points = data.coverage.series.points.length;
    expect(points).toBe(31);
    const coverage = await h.call(
      'krtOfficer',
      'GET',
      `/api/loans/${loanId}/coverage?${new URLSearchParams({
        from: from.toISOString(),
        to: to.toISOString(),
        points: String(points),
      }).toString()}`,
    );
    expect(coverage.status).toBe(200);
    expect(data.coverage.series).toEqual(coverage.body);

    // The herd's figures are the series' and the valuation's.
    const herd = data.herds.find((x) => x.code === 'H-KRT-02');
    expect(herd?.counts.map((c) => c.headCount)).toEqual(
      data.coverage.series.points.map((p) => p.headCounts[herdId]),
    );
    expect(herd?.countedAtStart).toBe(40);
    expect(herd?.countedAtEnd).toBe(30);
    const valuedHerd = data.coverage.atEnd.herds.find((x) => x.herdId === herdId);
    expect(herd?.countedAtEnd).toBe(valuedHerd?.countedHeadCount);
    expect(herd?.missingTagsAtEnd).toEqual(valuedHerd?.missingTags);
    expect(herd?.positions).toHaveLength(40);
    expect(herd?.positions.every((p) => p.inside)).toBe(true);

    // The parcel: the clear scenes in the NDVI series, all three among the scenes used.
    const parcel = data.parcels.find((p) => p.code === 'P-KRT-02-1');
    expect(parcel?.ndviSeries.map((n) => n.ndvi.toFixed(2))).toEqual(['0.71', '0.64']);
    expect(parcel?.scenes.map((s) => s.sceneId)).toEqual([
      'S2A_TEST_0905',
      'S2B_TEST_0912',
      'S2A_TEST_0920',
    ]);
    const valuedParcel = data.coverage.atEnd.parcels.find((p) => p.parcelId === parcelId);
    expect(parcel?.observedCropCode).toBe(valuedParcel?.latestObservation?.predictedCropCode);
    expect(parcel?.plantedAreaM2).toBe(valuedParcel?.latestObservation?.plantedAreaM2);
    expect(data.modelVersions).toContain('crop-type@sha256:test');
    expect(data.dataRange).toEqual({
      from: new Date(from.getTime() - 20 * MIN).toISOString(),
      to: new Date(to.getTime() - 15 * MIN).toISOString(),
    });
    expect(data.loan.reference).toBe('L-2024-0002');
    expect(data.branch.code).toBe('KRT');
    expect(data.generatedBy).toContain('lies.vermeulen@pledgewatch.example');
  });

  it('shows a herd losing animals: the drop, the missing tags, the alerts and their handling', async () => {
    const t0 = Date.now() - 5 * HOUR;
    const walkers = tags.slice(50, 53);
    const silent = tags.slice(53, 55);
    const herdTags = tags.slice(50, 80);
    let clock = new Date(t0);
    const engine = new AlertEngine({ storage: h.storage, bus: new AlertBus(), now: () => clock });
    const monitor = new HerdMonitor({ engine });
    await monitor.reload();
    // Hourly fixes of 30 tags: all inside before the period starts; then three walk out through
    // the east fence and two fall silent. Each batch goes to the alert engine as the ingest does.
    const fixTimes = [t0 - 10 * MIN, t0 + 50 * MIN, t0 + 110 * MIN, t0 + 170 * MIN, t0 + 230 * MIN];
    for (const [step, atMs] of fixTimes.entries()) {
      const batch: TagReading[] = [];
      for (const tag of herdTags) {
        if (silent.includes(tag) && step > 0) continue;
        const out = walkers.includes(tag) && step >= 2;
        batch.push({
          tagCode: tag,
          observedAt: new Date(atMs),
          farmId,
          gatewayId: null,
          lat: LAT,
          lon: out ? east(400) : east(-150),
        });
      }
      await writeReadings(batch);
      clock = new Date(atMs + 30_000);
      monitor.onCommitted({ readings: batch, cameraCounts: [] });
      await monitor.drain();
    }
    // A tag silent for an hour is news on this herd (a supervisor's setting); the sweep, late in
    // the period, raises the silent tags: alerts at a second moment, after the walk-out.
    const setting = await h.call('krtSupervisor', 'PUT', '/api/alert-settings', {
      rule: 'tag_silent',
      scopeType: 'herd',
      scopeId: herdId,
      params: { silenceMs: HOUR },
    });
    expect(setting.status).toBe(200);
    clock = new Date(t0 + 235 * MIN);
    await monitor.sweep();
    const from = new Date(t0);
    const to = new Date(t0 + 4 * HOUR);

    const raised = await h.call('krtOfficer', 'GET', `/api/alerts?status=open&limit=100`);
    expect(raised.status).toBe(200);
    const massExit = (raised.body.items as Array<{ id: string; kind: string }>).find(
      (a) => a.kind === 'mass_exit',
    );
    expect(massExit).toBeDefined();
    const ack = await h.call('krtOfficer', 'POST', `/api/alerts/${massExit?.id}/acknowledge`, {
      comment: 'called the farmer: three cows broke through the east fence',
    });
    expect(ack.status).toBe(200);
    const comment = await h.call('krtSupervisor', 'POST', `/api/alerts/${massExit?.id}/comment`, {
      comment: 'visit booked for Thursday',
    });
    expect(comment.status).toBe(200);

    const report = await h.call(
      'krtOfficer',
      'GET',
      reportUrl(loanId, { from: from.toISOString(), to: to.toISOString(), format: 'json' }),
    );
    expect(report.status).toBe(200);
    const data = report.body as ReportData;
    const herd = data.herds.find((x) => x.id === herdId);
    expect(herd?.countedAtStart).toBe(30);
    expect(herd?.countedAtEnd).toBe(25);
    expect(herd?.countedAtStart).toBeGreaterThan(herd?.countedAtEnd ?? Infinity);
    expect(herd?.minCounted).toBe(25);
    expect(herd?.missingTagsAtEnd).toEqual(expect.arrayContaining([...walkers, ...silent]));
    for (const tag of walkers) {
      expect(herd?.positions.find((p) => p.tagCode === tag)?.inside).toBe(false);
    }

    // The alerts of the period, in raising order: each walker's and the mass exit, then the
    // silent tags (the two that fell silent among them).
    const raisedAts = data.alerts.map((a) => a.raisedAt);
    expect(raisedAts).toEqual([...raisedAts].sort());
    const kinds = data.alerts.map((a) => a.kind);
    expect(kinds.filter((k) => k === 'tag_outside_geofence')).toHaveLength(3);
    const firstSilent = kinds.indexOf('tag_silent');
    expect(firstSilent).toBeGreaterThan(kinds.lastIndexOf('tag_outside_geofence'));
    expect(firstSilent).toBeGreaterThan(kinds.indexOf('mass_exit'));
    const silentTags = data.alerts
      .filter((a) => a.kind === 'tag_silent')
      .map((a) => (a.evidence as { tagCode?: string }).tagCode);
    expect(silentTags).toEqual(expect.arrayContaining(silent));
    expect(silentTags).not.toContain(herdTags[10]);
    const exit = data.alerts.find((a) => a.kind === 'mass_exit');
    expect(exit?.id).toBe(massExit?.id);
    expect(exit?.status).toBe('acknowledged');
    expect(exit?.severity).toBe('critical');
    expect(exit?.events.map((e) => [e.type, e.by, e.comment])).toEqual([
      ['raised', 'system', null],
      [
        'acknowledged',
        'Lies Vermeulen',
        'called the farmer: three cows broke through the east fence',
      ],
      ['commented', 'Annelies Vanhoutte', 'visit booked for Thursday'],
    ]);
    const eventTimes = exit?.events.map((e) => e.at) ?? [];
    expect(eventTimes).toEqual([...eventTimes].sort());
    // The tag alerts carry the loan; a tag alert of the herd without one is found by its subject.
    expect(data.alerts.every((a) => Date.parse(a.raisedAt) >= t0)).toBe(true);
  });

  it('finds an issued report by its content hash, in its branch only', async () => {
    const report = await h.call(
      'krtOfficer',
      'GET',
      reportUrl(loanId, { from: '2026-08-01', to: '2026-10-01', format: 'csv' }),
    );
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toContain('text/csv');
    expect(report.headers.get('content-disposition')).toBe(
      'attachment; filename="report-L-2024-0002-2026-08-01-2026-10-01.csv"',
    );
    const hash = report.headers.get('x-report-content-hash') ?? '';
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(String(report.body)).toContain(hash);

    const issued = await h.call('krtSupervisor', 'GET', `/api/reports/${hash}`);
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({
      reportId: report.headers.get('x-report-id'),
      contentHash: hash,
      loanId,
      loanReference: 'L-2024-0002',
      branchCode: 'KRT',
      period: { from: '2026-08-01T00:00:00.000Z', to: '2026-10-01T00:00:00.000Z' },
      generatedBy: expect.stringContaining('Lies Vermeulen'),
      pdfSha256: null,
    });
    // The stored data gives the same hash again: a filed copy can be checked against it.
    const stored = await h.call('krtOfficer', 'GET', `/api/reports/${hash}/data`);
    expect(stored.status).toBe(200);
    expect(reportContentHash(stored.body as ReportData)).toBe(hash);

    const unknown = await h.call('krtOfficer', 'GET', `/api/reports/${'0'.repeat(64)}`);
    expect(unknown.status).toBe(404);
    expect((await h.call('aalOfficer', 'GET', `/api/reports/${hash}`)).status).toBe(404);
    expect((await h.call('aalOfficer', 'GET', `/api/reports/${hash}/data`)).status).toBe(404);
    // And another branch's loan is a 404 too, as for every loan route.
    expect((await h.call('aalOfficer', 'GET', reportUrl(loanId, { format: 'json' }))).status).toBe(
      404,
    );
  });

  it('serves HTML inline and refuses bad periods and formats before issuing anything', async () => {
    const html = await h.call(
      'krtOfficer',
      'GET',
      reportUrl(loanId, { from: '2026-09-01', to: '2026-09-15' }),
    );
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.headers.get('content-disposition')).toBe(
      'inline; filename="report-L-2024-0002-2026-09-01-2026-09-15.html"',
    );
    expect(String(html.body)).toContain(html.headers.get('x-report-content-hash'));

    const count = async () =>
      Number(
        (await h.storage.query<{ n: string }>('select count(*) as n from loan_reports')).rows[0]?.n,
      );
    const before = await count();
    const cases: Array<[Record<string, string>, string]> = [
      [{ from: 'yesterday' }, 'query.from "yesterday" must be an ISO 8601 timestamp'],
      [{ from: '2026-02-30' }, 'query.from "2026-02-30" is not a calendar date'],
      [{ from: '2026-05-01', to: '2026-04-01' }, 'must be before query.to'],
      [{ from: '2025-01-01', to: '2026-04-01' }, 'at most 400 days'],
      [{ format: 'docx' }, 'query.format "docx" must be one of html, pdf, csv, json'],
    ];
    for (const [query, message] of cases) {
      const answer = await h.call('krtOfficer', 'GET', reportUrl(loanId, query));
      expect(answer.status, JSON.stringify(query)).toBe(400);
      expect(answer.body.error.message).toContain(message);
    }
    expect(await count()).toBe(before);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await h.call(null, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/loans/{id}/report',
        '/reports/{contentHash}',
        '/reports/{contentHash}/data',
      ]),
    );
    expect(Object.keys(doc.body.paths['/loans/{id}/report'].get.responses['200'].content)).toEqual([
      'text/html',
      'application/pdf',
      'text/csv',
      'application/json',
    ]);
    expect(doc.body.components.schemas).toHaveProperty('ReportData');
    expect(doc.body.components.schemas).toHaveProperty('IssuedReport');
  });

  it('answers 503 for a PDF where no renderer is configured', async () => {
    const answer = await h.call('krtOfficer', 'GET', reportUrl(loanId, { format: 'pdf' }));
    expect(answer.status).toBe(503);
    expect(answer.body.error.message).toMatch(/Chromium/);
  });

  const chromium = findChromium();
  it.skipIf(chromium === null)(
    `renders a PDF with Chromium${chromium === null ? ` (skipped: ${HOW_TO_GET_CHROMIUM})` : ''}`,
    async () => {
      const renderer = createPdfRenderer({
        chromiumPath: chromium ?? undefined,
        logger: silentLogger,
      });
      try {
        const app = createApp({
          config: loadConfig({ PW_DATA_DIR: h.dataDir }),
          storage: h.storage,
          storageInfo: await h.storage.info(),
          logger: silentLogger,
          startedAt: new Date(),
          alertBus: new AlertBus(),
          pdfRenderer: renderer,
        });
        const response = await app.request(
          reportUrl(loanId, { from: '2026-09-01', to: '2026-10-01', format: 'pdf' }),
          { headers: h.as('krtOfficer') },
        );
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/pdf');
        expect(response.headers.get('content-disposition')).toBe(
          'attachment; filename="report-L-2024-0002-2026-09-01-2026-10-01.pdf"',
        );
        const pdf = Buffer.from(await response.arrayBuffer());
        expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        // The issued record carries the PDF's own hash.
        const hash = response.headers.get('x-report-content-hash') ?? '';
        const issued = await h.call('krtOfficer', 'GET', `/api/reports/${hash}`);
        const { createHash } = await import('node:crypto');
        expect(issued.body.pdfSha256).toBe(createHash('sha256').update(pdf).digest('hex'));
      } finally {
        await renderer.close();
      }
    },
    120_000,
  );
});
