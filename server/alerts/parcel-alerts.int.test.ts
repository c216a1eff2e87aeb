/**
 * The satellite job's entry point on both backends: a summary that contradicts the parcel's
 * declaration raises the parcel's alerts with the scenes as evidence, a later agreeing summary
 * resolves them by the system; and the loan coverage sweep values crops from prices and yields.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { testBackends } from '../testing/databases.ts';
import { AlertBus } from './alert-bus.ts';
import { evaluateLoanCoverage } from './coverage.ts';
import { AlertEngine } from './engine.ts';
import { evaluateParcelConditions } from './parcel-alerts.ts';
import type { ParcelObservationSummary } from './rules/parcel-summary.ts';
import { RuleSettings } from './settings.ts';

describe.each(testBackends)('parcel alerts on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;
  let engine: AlertEngine;
  let parcel: { id: string; declared_crop_code: number; declared_area_m2: number; loan_id: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-parcel-alerts-'));
    storage = await backend.open();
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    engine = new AlertEngine({ storage, bus: new AlertBus() });
    const { rows } = await storage.query<typeof parcel>(
      `select id, declared_crop_code, declared_area_m2, loan_id from parcels
        where declared_crop_code is not null and declared_area_m2 is not null and loan_id is not null
        order by code limit 1`,
    );
    if (rows[0] === undefined) throw new Error('the demo has no declared, pledged parcel');
    parcel = rows[0];
  });

  afterAll(async () => {
    await storage?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  const summary = (overrides: Partial<ParcelObservationSummary>): ParcelObservationSummary => ({
    at: new Date(),
    predictedCropCode: Number(parcel.declared_crop_code),
    predictedConfidence: 0.92,
    plantedAreaM2: Number(parcel.declared_area_m2),
    status: 'growing',
    harvestedAt: null,
    lastClearObservationAt: new Date(),
    ndvi: { peak: null, latest: null },
    scenes: [
      {
        sceneId: 'S2B_MSIL2A_20260510T103619_N0510_R008_T31UES',
        observedAt: '2026-05-10T10:36:19Z',
        clearFraction: 0.97,
        ndviMean: 0.64,
      },
    ],
    ...overrides,
  });
  const openKinds = async (): Promise<string[]> =>
    (
      await storage.query<{ kind: string }>(
        `select kind from alerts where subject_id = $1 and status <> 'resolved' order by kind`,
        [parcel.id],
      )
    ).rows.map((r) => r.kind);

  it('raises crop_mismatch and planted_area_short with the scenes as evidence, then clears them', async () => {
    const declared = Number(parcel.declared_crop_code);
    const other = String(declared).startsWith('2') ? 1110 : 2130;
    const { events } = await evaluateParcelConditions(
      engine,
      parcel.id,
      summary({ predictedCropCode: other, plantedAreaM2: Number(parcel.declared_area_m2) * 0.5 }),
    );
    expect(events.map((e) => `${e.type}:${e.alert.kind}`).sort()).toEqual([
      'raised:crop_mismatch',
      'raised:planted_area_short',
    ]);
    expect(await openKinds()).toEqual(['crop_mismatch', 'planted_area_short']);
    const evidence = await storage.query<{ evidence: { scenes: Array<{ sceneId: string }> } }>(
      `select evidence from alerts where subject_id = $1 and kind = 'crop_mismatch'`,
      [parcel.id],
    );
    expect(evidence.rows[0]?.evidence.scenes[0]?.sceneId).toMatch(/^S2B_MSIL2A_20260510/);

    const cleared = await evaluateParcelConditions(engine, parcel.id, summary({}));
    expect(cleared.events.map((e) => e.type)).toEqual(['resolved', 'resolved']);
    expect(await openKinds()).toEqual([]);
  });

  it('refuses an unknown parcel', async () => {
    await expect(
      evaluateParcelConditions(engine, '00000000-0000-0000-0000-000000000001', summary({})),
    ).rejects.toThrow(/parcel .* not found/);
  });

  it('values a loan from planted area x yield x price against its balance', async () => {
    const code = Number(parcel.declared_crop_code);
    await storage.query(
      `insert into crop_yields (crop_code, valid_from, tonnes_per_ha) values ($1, '2000-01-01', 8)
       on conflict do nothing`,
      [code],
    );
    await storage.query(
      `insert into crop_prices (crop_code, valid_from, price_per_tonne, currency)
       values ($1, '2000-01-01', 200, 'EUR') on conflict do nothing`,
      [code],
    );
    // Within the demo parcels' season (2018); a parcel whose season has ended is no collateral.
    const inSeason = new Date('2018-06-01T00:00:00Z');
    const conditions = await evaluateLoanCoverage(storage, new RuleSettings(), inSeason);
    const loan = conditions.find((c) => c.subjectId === parcel.loan_id);
    expect(loan).toBeDefined();
    const parcels = (loan?.evidence['parcels'] ?? []) as Array<{
      parcelId: string;
      value: number | null;
    }>;
    const valued = parcels.find((p) => p.parcelId === parcel.id);
    expect(valued?.value).toBeCloseTo(
      (Math.round(Number(parcel.declared_area_m2)) / 10_000) * 8 * 200,
      1,
    );
    expect(loan?.kind).toBe('collateral_coverage_below_threshold');
  });
});
