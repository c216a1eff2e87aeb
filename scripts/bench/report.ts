/**
 * Suite `report`: issuing a branch's post-loan reports, as `pledgewatch report` does, loan by loan.
 *
 * One branch of 100 loans (each: a farm, 2-4 parcels with a season of Sentinel-2 observations,
 * one herd of pledged ear tags reporting every 3 hours, an alert), a 30-day period. The
 * cases, each over every loan in turn:
 *
 * - **assemble** (the baseline): the report's data from the database in one snapshot
 *   (`assembleReportSnapshot`: loan, parcels, herds, collateral at the end, the daily coverage
 *   series, alerts);
 * - **assemble + HTML + CSV**: `issueReport` as the API and the command line run it (one
 *   repeatable-read snapshot, content hash, both renderings, the `loan_reports` row);
 * - **assemble + PDF**: the same with a PDF from headless Chromium (launched before timing), one
 *   loan at a time and two at a time (`pledgewatch report`'s default concurrency); skipped with a
 *   message when there is no Chromium.
 *
 * Bounded by the number of loans and, per measurement, by a time cap.
 */
import { areaM2, bboxOf, type Polygon } from '../../geo/index.ts';
import { AlertBus } from '../../server/alerts/alert-bus.ts';
import { AlertEngine } from '../../server/alerts/engine.ts';
import type { ObservedCondition } from '../../server/alerts/types.ts';
import { migrate } from '../../server/db/migrate.ts';
import { openPgStorage } from '../../server/db/pg-storage.ts';
import type { Storage } from '../../server/db/storage.ts';
import { silentLogger } from '../../server/logger.ts';
import {
  assembleReportSnapshot,
  createPdfRenderer,
  issueReport,
  type PdfRenderer,
  type ReportFormat,
} from '../../server/report/index.ts';
import { createTestDatabase } from '../../server/testing/databases.ts';
import { findChromium, HOW_TO_GET_CHROMIUM } from '../../web/e2e/harness.ts';
import { formatCount } from './lib/format.ts';
import { chunk, startBudget, timeBatches } from './lib/measure.ts';
import { median, summarizeGroup, type CaseSamples } from './lib/stats.ts';
import type { BenchOptions, BenchSuite, Sample, SuiteResult } from './lib/types.ts';

interface Sizes {
  readonly loans: number;
  readonly tagsPerHerd: number;
  readonly repetitions: number;
  /** Per measurement (one case over the loans): stop after this long. */
  readonly maxMsPerMeasurement: number;
  /** The whole suite: no new measurement starts after this. */
  readonly budgetMs: number;
}

const fullSizes: Sizes = {
  loans: 100,
  tagsPerHerd: 12,
  repetitions: 2,
  maxMsPerMeasurement: 240_000,
  budgetMs: 20 * 60_000,
};
const quickSizes: Sizes = {
  loans: 20,
  tagsPerHerd: 12,
  repetitions: 1,
  maxMsPerMeasurement: 40_000,
  budgetMs: 4 * 60_000,
};

const PERIOD = { from: new Date('2026-06-01T00:00:00Z'), to: new Date('2026-07-01T00:00:00Z') };
const TITLE = 'post-loan reports of a branch: assemble, HTML + CSV, PDF';

// ---------------------------------------------------------------------------------------------
// The bench branch

const pad = (i: number): string => String(i).padStart(3, '0');

function square(lng: number, lat: number, size: number): Polygon {
  return {
    type: 'Polygon',
    coordinates: [
      [
        [lng, lat],
        [lng + size, lat],
        [lng + size, lat + size],
        [lng, lat + size],
        [lng, lat],
      ],
    ],
  };
}

function placed(geometry: Polygon) {
  const [minLng, minLat, maxLng, maxLat] = bboxOf(geometry);
  return { geometry, areaM2: areaM2(geometry), minLng, minLat, maxLng, maxLat };
}

/** Inserts the branch and its loans; returns the loan ids in reference order. */
async function insertBranch(storage: Storage, sizes: Sizes): Promise<string[]> {
  const loans = Array.from({ length: sizes.loans }, (_, i) => {
    const lng = 3 + (i % 10) * 0.03;
    const lat = 50 + Math.floor(i / 10) * 0.03;
    return {
      i,
      farm: placed(square(lng, lat, 0.02)),
      parcels: Array.from({ length: 2 + (i % 3) }, (_, j) =>
        placed(square(lng + 0.001 + j * 0.0045, lat + 0.001, 0.004)),
      ),
    };
  });
  await storage.query(
    `with b as (insert into branches (code, name) values ('BNCH', 'Bench branch') returning id)
     insert into users (branch_id, email, display_name, role)
     select id, 'bench.officer@example.invalid', 'Bench Officer', 'officer' from b`,
  );
  const rows = loans.map((l) => ({
    n: pad(l.i),
    boundary: l.farm.geometry,
    area_m2: l.farm.areaM2,
    min_lng: l.farm.minLng,
    min_lat: l.farm.minLat,
    max_lng: l.farm.maxLng,
    max_lat: l.farm.maxLat,
  }));
  await storage.query(
    `with x as (select * from jsonb_to_recordset($1::jsonb) as x(n text, boundary jsonb,
                  area_m2 float8, min_lng float8, min_lat float8, max_lng float8, max_lat float8)),
          br as (select id from branches where code = 'BNCH'),
          b as (insert into borrowers (branch_id, ref, name)
                select br.id, 'B-BENCH-' || x.n, 'Bench borrower ' || x.n from br, x returning id, ref),
          l as (insert into loans (borrower_id, branch_id, officer_id, reference, amount, balance,
                                   currency, disbursed_on, matures_on)
                select b.id, br.id, (select id from users where email = 'bench.officer@example.invalid'),
                       'L-BENCH-' || substr(b.ref, 9), 250000, 180000, 'EUR', '2025-01-15', '2035-01-15'
                  from b, br returning id)
     insert into farms (borrower_id, code, name, boundary, area_m2, min_lng, min_lat, max_lng, max_lat)
     select b.id, 'F-BENCH-' || x.n, 'Bench farm ' || x.n, x.boundary, x.area_m2, x.min_lng,
            x.min_lat, x.max_lng, x.max_lat
       from x join b on b.ref = 'B-BENCH-' || x.n`,
    [JSON.stringify(rows)],
  );
  const parcels = loans.flatMap((l) =>
    l.parcels.map((p, j) => ({
      n: pad(l.i),
      code: `P-BENCH-${pad(l.i)}-${j + 1}`,
      geometry: p.geometry,
      area_m2: p.areaM2,
      min_lng: p.minLng,
      min_lat: p.minLat,
      max_lng: p.maxLng,
      max_lat: p.maxLat,
    })),
  );
  await storage.query(
    `insert into parcels (farm_id, loan_id, code, geometry, area_m2, min_lng, min_lat, max_lng,
                          max_lat, declared_crop_code, declared_area_m2, season, season_start,
                          season_end)
     select f.id, l.id, x.code, x.geometry, x.area_m2, x.min_lng, x.min_lat, x.max_lng, x.max_lat,
            1200, x.area_m2, '2026', '2026-03-01', '2026-10-31'
       from jsonb_to_recordset($1::jsonb) as x(n text, code text, geometry jsonb, area_m2 float8,
              min_lng float8, min_lat float8, max_lng float8, max_lat float8)
       join farms f on f.code = 'F-BENCH-' || x.n
       join loans l on l.reference = 'L-BENCH-' || x.n`,
    [JSON.stringify(parcels)],
  );
  // A season of scenes every 5 days; every fourth one clouded over the parcel.
  await storage.query(
    `insert into parcel_observations (observed_at, parcel_id, scene_id, clear_pixels, total_pixels,
                                      ndvi_mean, predicted_crop_code, predicted_confidence,
                                      planted_area_m2, model_version)
     select d, p.id, 'S2_BENCH_' || to_char(d, 'YYYYMMDD'),
            case when k % 4 = 3 then 0 else 380 end, 400,
            case when k % 4 = 3 then null else 0.2 + 0.6 * sin(pi() * k / 48.0) end,
            case when k % 4 = 3 then null else 1200 end,
            case when k % 4 = 3 then null else 0.9 end,
            case when k % 4 = 3 then null else p.area_m2 * 0.95 end,
            'crop-type@sha256:bench'
       from parcels p,
            generate_series(0, 47) k,
            lateral (select timestamptz '2026-03-05 10:30:00+00' + k * interval '5 days' as d) s
      where p.code like 'P-BENCH-%'`,
  );
  await storage.query(
    `insert into herds (farm_id, loan_id, code, name, species, pledged_head_count, value_per_head,
                        currency)
     select f.id, l.id, 'H-BENCH-' || substr(f.code, 9), 'Bench herd', 'cattle', $1, 1500, 'EUR'
       from farms f join loans l on l.reference = 'L-BENCH-' || substr(f.code, 9)
      where f.code like 'F-BENCH-%'`,
    [sizes.tagsPerHerd],
  );
  await storage.query(
    `insert into ear_tags (herd_id, tag_code, bound_at)
     select h.id, 'T-' || substr(h.code, 9) || '-' || t, '2026-01-01'
       from herds h, generate_series(1, $1::int) t where h.code like 'H-BENCH-%'`,
    [sizes.tagsPerHerd],
  );
  // Every tag reports from its farm every 3 hours; one tag in five falls silent 5 days before
  // the end of the period (the herd's count drops).
  await storage.query(
    `insert into tag_readings (observed_at, tag_code, farm_id, lat, lon)
     select ts, e.tag_code, f.id,
            (f.min_lat + f.max_lat) / 2 + (t.n % 7) * 0.0005,
            (f.min_lng + f.max_lng) / 2 + (t.n % 5) * 0.0005
       from ear_tags e
       join herds h on h.id = e.herd_id
       join farms f on f.id = h.farm_id
       cross join lateral (select split_part(e.tag_code, '-', 3)::int as n) t
       cross join generate_series($1::timestamptz, $2::timestamptz, interval '3 hours') ts
      where h.code like 'H-BENCH-%'
        and not (t.n % 5 = 0 and ts > $2::timestamptz - interval '5 days')`,
    [new Date(PERIOD.from.getTime() - 86_400_000), PERIOD.to],
  );
  // Alerts through the engine: a herd short of its pledge on each loan, raised in the period.
  const herds = await storage.query<{
    id: string;
    farm_id: string;
    loan_id: string;
    branch_id: string;
  }>(
    `select h.id, h.farm_id, h.loan_id, l.branch_id from herds h join loans l on l.id = h.loan_id
      where h.code like 'H-BENCH-%'`,
  );
  const engine = new AlertEngine({
    storage,
    bus: new AlertBus(),
    now: () => new Date(PERIOD.to.getTime() - 4 * 86_400_000),
  });
  await engine.applyConditions(
    herds.rows.map((h): ObservedCondition => ({
      kind: 'herd_count_below_pledge',
      subjectType: 'herd',
      subjectId: h.id,
      active: true,
      severity: 'warning',
      title: 'Herd below its pledge',
      evidence: { pledgedHeadCount: sizes.tagsPerHerd },
      evidenceKey: 'short',
      context: { branchId: h.branch_id, loanId: h.loan_id, farmId: h.farm_id },
      raiseAfterMs: 0,
      clearAfterMs: 0,
    })),
  );
  const ids = await storage.query<{ id: string }>(
    `select id from loans where reference like 'L-BENCH-%' order by reference`,
  );
  return ids.rows.map((r) => r.id);
}

// ---------------------------------------------------------------------------------------------
// The measurements

interface Case {
  readonly id: string;
  readonly label: string;
  /** Loans in progress at once. */
  readonly concurrency: number;
  readonly run: (loanId: string) => Promise<void>;
}

async function run(options: BenchOptions): Promise<SuiteResult> {
  const sizes = options.quick ? quickSizes : fullSizes;
  const budget = startBudget(sizes.budgetMs);
  const database = await createTestDatabase();
  const storage = openPgStorage({ connectionString: database.url, poolMax: 4 });
  let renderer: PdfRenderer | null = null;
  try {
    await migrate(storage);
    options.log(`seeding ${sizes.loans} loans`);
    const seedStart = performance.now();
    const loanIds = await insertBranch(storage, sizes);
    const seedMs = performance.now() - seedStart;
    const counts = await storage.query<{ parcels: string; observations: string; readings: string }>(
      `select (select count(*) from parcels) as parcels,
              (select count(*) from parcel_observations) as observations,
              (select count(*) from tag_readings) as readings`,
    );
    options.log(`seeded in ${(seedMs / 1000).toFixed(1)} s: ${JSON.stringify(counts.rows[0])}`);
    const info = await storage.info();

    const issue = (formats: readonly ReportFormat[]) => async (loanId: string) => {
      await issueReport(
        storage,
        {
          loanId,
          ...PERIOD,
          generatedBy: 'bench report suite',
          generatedByUserId: null,
          formats,
        },
        { pdfRenderer: renderer ?? undefined },
      );
    };
    const assemble = async (loanId: string) => {
      await assembleReportSnapshot(storage, {
        loanId,
        ...PERIOD,
        generatedBy: 'bench report suite',
        now: new Date(),
      });
    };
    const cases: Case[] = [
      { id: 'assemble', label: 'assemble (baseline)', concurrency: 1, run: assemble },
      {
        id: 'html-csv',
        label: 'assemble + hash + store + HTML + CSV',
        concurrency: 1,
        run: issue(['html', 'csv']),
      },
    ];
    const skipped: string[] = [];
    const chromium = findChromium();
    if (chromium === null) {
      skipped.push(`assemble + PDF: ${HOW_TO_GET_CHROMIUM}`);
      options.log(`no PDF case: ${HOW_TO_GET_CHROMIUM}`);
    } else {
      renderer = createPdfRenderer({ chromiumPath: chromium, logger: silentLogger });
      cases.push(
        { id: 'pdf', label: 'assemble + hash + store + PDF', concurrency: 1, run: issue(['pdf']) },
        {
          id: 'pdf-2',
          label: 'the same, 2 loans at a time (the command’s default)',
          concurrency: 2,
          run: issue(['pdf']),
        },
      );
    }

    // Warm-up, untimed: JIT, the database's caches, and Chromium's launch.
    const first = loanIds[0];
    if (first === undefined) throw new Error('the bench branch has no loans');
    for (const c of cases) await c.run(first);
    const { data: sample } = await assembleReportSnapshot(storage, {
      loanId: first,
      ...PERIOD,
      generatedBy: 'bench',
      now: new Date(),
    });

    const samples = new Map<string, Sample[]>(cases.map((c) => [c.id, []]));
    for (let repetition = 1; repetition <= sizes.repetitions; repetition++) {
      for (const c of cases) {
        if (budget.isSpent()) {
          skipped.push(
            `${c.label} #${repetition}: the suite's ${sizes.budgetMs / 60_000} min budget was spent`,
          );
          continue;
        }
        const timed = await timeBatches(
          chunk(loanIds, c.concurrency),
          async (batch) => {
            await Promise.all(batch.map((loanId) => c.run(loanId)));
          },
          { maxMs: sizes.maxMsPerMeasurement, signal: options.signal },
        );
        const perSecond = (timed.count / timed.elapsedMs) * 1000;
        samples.get(c.id)?.push({
          repetition,
          count: timed.count,
          elapsedMs: timed.elapsedMs,
          perSecond,
          stoppedByTimeCap: timed.stoppedByTimeCap,
        });
        options.log(
          `${c.label} #${repetition}: ${timed.count} reports in ${(timed.elapsedMs / 1000).toFixed(1)} s, ${(timed.elapsedMs / Math.max(1, timed.count)).toFixed(0)} ms per loan`,
        );
      }
    }

    const caseSamples: CaseSamples[] = cases.map((c) => ({
      id: c.id,
      label: c.label,
      samples: samples.get(c.id) ?? [],
    }));
    const group = summarizeGroup(`${formatCount(sizes.loans)} loans`, 'assemble', caseSamples);
    const perLoanNotes = caseSamples.map((c) => {
      const ms = median(c.samples.map((s) => s.elapsedMs / Math.max(1, s.count)));
      const total = median(c.samples.map((s) => s.elapsedMs));
      return ms === null
        ? `${c.label}: not measured`
        : `${c.label}: ${ms.toFixed(0)} ms per loan (median of ${c.samples.length}); the branch's ${formatCount(sizes.loans)} loans in ${((total ?? 0) / 1000).toFixed(1)} s`;
    });
    return {
      suite: 'report',
      title: TITLE,
      unit: 'reports/s',
      method: [
        `One branch of ${sizes.loans} loans: each a farm, 2-4 parcels with a season of observations (every 5 days, one in four clouded), one herd of ${sizes.tagsPerHerd} pledged tags reporting every 3 hours (one in five silent for the last 5 days), one alert; period ${PERIOD.from.toISOString().slice(0, 10)} to ${PERIOD.to.toISOString().slice(0, 10)} (31 coverage points).`,
        `Each case issues every loan's report in turn (one at a time unless said), in this process against ${info.backend}; rate = reports / wall time, median of ${sizes.repetitions} repetition(s), cases round-robin; × baseline = median / median of assembling alone. Warm-up (and Chromium's launch) untimed.`,
        'The machine is shared (2 cores, other work running): compare ratios within this run, not absolute rates across runs.',
      ],
      environment: {
        backend: info.backend,
        postgres: info.serverVersion,
        timescaledb: info.timescaledbVersion ?? 'none',
        chromium: chromium ?? 'none',
        rows: JSON.stringify(counts.rows[0]),
        'sample report': `${sample.parcels.length} parcels, ${sample.herds.length} herd, ${sample.alerts.length} alert(s), ${sample.coverage.series.points.length} coverage points`,
      },
      parameters: { ...sizes, period: PERIOD, seedMs: Math.round(seedMs) },
      groups: [group],
      notes: perLoanNotes,
      skipped,
    };
  } finally {
    await renderer?.close();
    await storage.close();
    await database.drop();
  }
}

export const report: BenchSuite = {
  name: 'report',
  title: TITLE,
  needsDatabaseServer: true,
  run,
};
