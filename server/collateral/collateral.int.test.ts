import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateLoanCoverage } from '../alerts/coverage.ts';
import { RuleSettings } from '../alerts/settings.ts';
import type { Queryable } from '../db/storage.ts';
import { writeTagReadings, type TagReading } from '../db/tag-readings.ts';
import { computeHerdState, DEFAULT_MARGIN_M } from '../herds/index.ts';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import { coverageSeries, loanCollateralAt } from './index.ts';
import type { LoanCollateral } from './types.ts';

const LOAN = 'L-2024-0002'; // Kortrijk, farm F-KRT-02 (season 2026) with herd H-KRT-02
const AT = '2026-05-01T12:00:00.000Z';
const DAY_MS = 86_400_000;

const round2 = (n: number) => Math.round(n * 100) / 100;

describe.each(testBackends)('loan collateral on $name', (backend) => {
  let h: ApiHarness;
  let loanId: string;

  beforeAll(async () => {
    h = await createApiHarness(backend);
    loanId = await h.idOf('loans', 'reference', LOAN);
    // The seed binds the demo tags now; these tests look at the 2026 season, so bind them from
    // when the loan was granted (a tag is pledged only from its bound_at on).
    await h.storage.query(
      `update ear_tags set bound_at = '2024-02-01' where herd_id in (select id from herds where loan_id = $1)`,
      [loanId],
    );
  }, 60_000);
  afterAll(async () => {
    await h.close();
  });

  const collateral = async (at: string, user: 'krtOfficer' | 'admin' = 'krtOfficer') => {
    const res = await h.call(user, 'GET', `/api/loans/${loanId}/collateral?at=${at}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as LoanCollateral;
  };

  it('values each in-season parcel as area x yield x price of the settings valid that day', async () => {
    const settings = (await h.call('krtOfficer', 'GET', '/api/valuation')).body as {
      cropPrices: Array<{ cropCode: number; validFrom: string; pricePerTonne: number }>;
      cropYields: Array<{ cropCode: number; validFrom: string; tonnesPerHa: number }>;
    };
    const validOn = <T extends { cropCode: number; validFrom: string }>(rows: T[], code: number) =>
      rows
        .filter((r) => r.cropCode === code && r.validFrom <= AT.slice(0, 10))
        .sort((a, b) => b.validFrom.localeCompare(a.validFrom))[0];
    const { rows: parcels } = await h.storage.query<{
      code: string;
      declared_crop_code: number;
      declared_area_m2: number;
    }>(
      `select code, declared_crop_code, declared_area_m2 from parcels
        where loan_id = $1 and season_end >= $2::date order by code`,
      [loanId, AT.slice(0, 10)],
    );
    expect(parcels.length).toBeGreaterThan(0);

    const body = await collateral(AT);
    expect(body.parcels.map((p) => p.code)).toEqual(parcels.map((p) => p.code));
    for (const p of parcels) {
      const got = body.parcels.find((x) => x.code === p.code);
      const y = validOn(settings.cropYields, p.declared_crop_code);
      const price = validOn(settings.cropPrices, p.declared_crop_code);
      expect(got, p.code).toMatchObject({
        areaSource: 'declared',
        valuedAreaM2: Math.round(p.declared_area_m2),
        tonnesPerHa: y?.tonnesPerHa,
        pricePerTonne: price?.pricePerTonne,
        priceValidFrom: price?.validFrom,
        unvaluedReason: null,
        value: round2(
          (Math.round(p.declared_area_m2) / 10_000) *
            (y?.tonnesPerHa ?? NaN) *
            (price?.pricePerTonne ?? NaN),
        ),
      });
    }
    const cropValue = round2(body.parcels.reduce((s, p) => s + (p.value ?? 0), 0));
    expect(body.cropValue).toBe(cropValue);
    // No tag readings yet: nobody counted, every pledged tag missing, the herd worth 0.
    expect(body.herds).toHaveLength(1);
    expect(body.herds[0]).toMatchObject({ countedHeadCount: 0, value: 0, valueSource: 'herd' });
    expect(body.herds[0]?.missingTags).toHaveLength(body.herds[0]?.pledgedHeadCount ?? -1);
    expect(body.coverageRatio).toBe(Math.round((body.totalValue / body.balance) * 1000) / 1000);
    expect(body.unvalued).toEqual([]);
  });

  it('is a 404 for another branch’s officer, as every loan route', async () => {
    for (const path of ['collateral', 'coverage']) {
      const res = await h.call('aalOfficer', 'GET', `/api/loans/${loanId}/${path}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const unknown = await h.call(
      'admin',
      'GET',
      '/api/loans/00000000-0000-4000-8000-000000000000/collateral',
    );
    expect(unknown.status).toBe(404);
    for (const id of ['00000000-0000-4000-8000-000000000000', 'L-2024-0002']) {
      await expect(loanCollateralAt(h.storage, id, new Date(AT))).rejects.toThrow(
        `loan "${id}" not found`,
      );
      await expect(
        coverageSeries(h.storage, id, new Date('2026-01-01'), new Date(AT)),
      ).rejects.toThrow(`loan "${id}" not found`);
    }
  });

  it('changes the series from the day a new price is valid, and audits the write', async () => {
    const wheat = (await collateral(AT)).parcels.find((p) => p.declaredCropCode === 1110);
    expect(wheat, 'a winter wheat parcel on the loan').toBeDefined();
    const put = await h.call('admin', 'PUT', '/api/valuation/crop-prices/1110/2026-04-10', {
      pricePerTonne: 300,
      currency: 'EUR',
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ cropCode: 1110, validFrom: '2026-04-10', pricePerTonne: 300 });

    const res = await h.call(
      'krtOfficer',
      'GET',
      `/api/loans/${loanId}/coverage?from=2026-04-01T12:00:00Z&to=2026-04-20T12:00:00Z&points=20`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const points = res.body.points as Array<{ at: string; cropValue: number }>;
    expect(points).toHaveLength(20);
    expect(res.body.stepMs).toBe(DAY_MS);
    expect(points.at(-1)?.at).toBe('2026-04-20T12:00:00.000Z');
    const before = points.filter((p) => p.at < '2026-04-10');
    const after = points.filter((p) => p.at >= '2026-04-10');
    expect(before).toHaveLength(9);
    const areaHa = (wheat?.valuedAreaM2 ?? NaN) / 10_000;
    const lift = areaHa * (wheat?.tonnesPerHa ?? NaN) * (300 - (wheat?.pricePerTonne ?? NaN));
    for (const p of before) expect(p.cropValue).toBe(before[0]?.cropValue);
    for (const p of after) expect(p.cropValue).toBeCloseTo((before[0]?.cropValue ?? 0) + lift, 1);

    const audit = await h.storage.query<{ action: string; after: { pricePerTonne: number } }>(
      `select action, after from audit_log where entity_type = 'crop_prices' and entity_id = '1110/2026-04-10'`,
    );
    expect(audit.rows).toEqual([
      { action: 'create', after: expect.objectContaining({ pricePerTonne: 300 }) },
    ]);
    const removed = await h.call('admin', 'DELETE', '/api/valuation/crop-prices/1110/2026-04-10');
    expect(removed.status).toBe(204);
    expect(
      (await h.call('admin', 'DELETE', '/api/valuation/crop-prices/1110/2026-04-10')).status,
    ).toBe(404);
    const restored = await coverageSeries(
      h.storage,
      loanId,
      new Date('2026-04-01T12:00:00Z'),
      new Date('2026-04-20T12:00:00Z'),
      { points: 20 },
    );
    expect(restored.points.at(-1)?.cropValue).toBe(before[0]?.cropValue);
  });

  it('lets only admins write valuation settings', async () => {
    for (const user of ['krtOfficer', 'krtSupervisor'] as const) {
      const res = await h.call(user, 'PUT', '/api/valuation/crop-yields/1110/2026-01-01', {
        tonnesPerHa: 9,
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toMatch(/may not change crop yields: needs admin/);
      const del = await h.call(user, 'DELETE', '/api/valuation/crop-yields/1110/2024-01-01');
      expect(del.status).toBe(403);
    }
    expect((await h.call('krtOfficer', 'GET', '/api/valuation')).status).toBe(200);
    expect((await h.call(null, 'GET', '/api/valuation')).status).toBe(401);
    const yields = await h.storage.query(
      `select 1 from crop_yields where valid_from = '2026-01-01'`,
    );
    expect(yields.rows).toEqual([]);
  });

  it('refuses bad input with the field, the value and the rule', async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      [
        'GET',
        `/api/loans/${loanId}/coverage?points=0`,
        undefined,
        /query\.points: 0 out of range: must be in \[1, 400\]/,
      ],
      [
        'GET',
        `/api/loans/${loanId}/coverage?points=401`,
        undefined,
        /query\.points: 401 out of range/,
      ],
      [
        'GET',
        `/api/loans/${loanId}/coverage?from=2026-05-01T00:00:00Z&to=2026-05-01T00:00:00Z`,
        undefined,
        /query\.from: 2026-05-01T00:00:00\.000Z must be before to 2026-05-01T00:00:00\.000Z/,
      ],
      [
        'GET',
        `/api/loans/${loanId}/coverage?from=2025-01-01T00:00:00Z&to=2026-05-01T00:00:00Z`,
        undefined,
        /spans 485 days: at most 400 days/,
      ],
      [
        'GET',
        `/api/loans/${loanId}/collateral?at=yesterday`,
        undefined,
        /query\.at: "yesterday" is not an ISO 8601 timestamp/,
      ],
      [
        'PUT',
        '/api/valuation/livestock-values/llama/2026-01-01',
        { valuePerHead: 100, currency: 'EUR' },
        /param\.species: "llama" is not a species: must be one of cattle, sheep, goat, pig, horse/,
      ],
      [
        'PUT',
        '/api/valuation/crop-prices/1110/2026-01-01',
        { pricePerTonne: -5, currency: 'EUR' },
        /json\.pricePerTonne: -5 must be >= 0/,
      ],
      [
        'PUT',
        '/api/valuation/crop-prices/9999/2026-01-01',
        { pricePerTonne: 5, currency: 'EUR' },
        /param\.cropCode: 9999 is not a known crop type code/,
      ],
      [
        'PUT',
        '/api/valuation/crop-yields/1110/2026-02-31',
        { tonnesPerHa: 8 },
        /param\.validFrom: "2026-02-31" is not a calendar date/,
      ],
      [
        'PUT',
        '/api/valuation/livestock-values/cattle/2026-01-01',
        { valuePerHead: 100, currency: 'eur' },
        /json\.currency: "eur" is not a currency/,
      ],
    ];
    for (const [method, url, body, message] of cases) {
      const res = await h.call('admin', method, url, body);
      expect(res.status, url).toBe(400);
      expect(res.body.error.message, url).toMatch(message);
    }
    await expect(
      coverageSeries(h.storage, loanId, new Date(AT), new Date(Date.parse(AT) + DAY_MS), {
        points: 500,
      }),
    ).rejects.toThrow('points 500 out of range: must be an integer in [1, 400]');
  });

  it('uses the balance history: the old balance before a change, the new one after', async () => {
    const t0 = new Date();
    const old = await loanCollateralAt(h.storage, loanId, t0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const patched = await h.call('krtOfficer', 'PATCH', `/api/loans/${loanId}`, {
      balance: '1000.00',
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const t1 = new Date();

    const now = await collateral(t1.toISOString());
    expect(now.balance).toBe(1000);
    expect(Date.parse(now.balanceAsOf)).toBeGreaterThan(t0.getTime());
    expect((await collateral(t0.toISOString())).balance).toBe(old.balance);
    // Before the first history row (the loan's creation), the first row's balance.
    expect((await collateral('2020-01-01T00:00:00Z')).balance).toBe(old.balance);
    expect(old.balance).not.toBe(1000);

    const series = await coverageSeries(h.storage, loanId, new Date(t0.getTime() - 60_000), t1, {
      points: 2,
    });
    expect(series.points.map((p) => p.balance)).toEqual([old.balance, 1000]);
    const restore = await h.call('krtOfficer', 'PATCH', `/api/loans/${loanId}`, {
      balance: old.balance.toFixed(2),
    });
    expect(restore.status).toBe(200);
    const history = await h.storage.query<{ balance: string }>(
      'select balance from loan_balances where loan_id = $1 order by valid_from',
      [loanId],
    );
    expect(history.rows.map((r) => Number(r.balance))).toEqual([old.balance, 1000, old.balance]);
  });

  describe('a herd counted at a past moment', () => {
    let herdId: string;
    let farmId: string;
    let tags: string[];

    beforeAll(async () => {
      herdId = await h.idOf('herds', 'code', 'H-KRT-02');
      const farm = await h.storage.query<{ farm_id: string; lng: number; lat: number }>(
        `select p.farm_id, (p.min_lng + p.max_lng) / 2 as lng, (p.min_lat + p.max_lat) / 2 as lat
           from parcels p join herds h on h.farm_id = p.farm_id where h.id = $1 limit 1`,
        [herdId],
      );
      const inside = farm.rows[0]!;
      farmId = inside.farm_id;
      tags = (
        await h.storage.query<{ tag_code: string }>(
          'select tag_code from ear_tags where herd_id = $1 order by tag_code limit 5',
          [herdId],
        )
      ).rows.map((r) => r.tag_code);
      const at = Date.parse(AT);
      const fix = (tag: number, minutes: number, where: 'in' | 'out'): TagReading => ({
        tagCode: tags[tag]!,
        observedAt: new Date(at + minutes * 60_000),
        farmId,
        gatewayId: null,
        lat: Number(inside.lat),
        lon: Number(inside.lng) + (where === 'in' ? 0 : 0.05), // 0.05° east: about 3.5 km out
      });
      const readings = [
        fix(0, -10, 'in'), // fresh, inside: counted
        fix(1, -120, 'in'), // inside but 2 h old: stale
        fix(2, -5, 'out'), // fresh but outside the geofence
        fix(3, -30, 'in'), // inside, then a later fix outside: the latest counts
        fix(3, -5, 'out'),
        fix(4, -20, 'in'), // counted: the fix after `at` is ignored
        fix(4, +10, 'out'),
      ];
      await h.storage.transaction((tx) => writeTagReadings(tx, readings));
    });

    it('counts pledged tags whose latest fix is fresh and inside, as the herd state does', async () => {
      const body = await collateral(AT);
      const herd = body.herds[0]!;
      expect(herd.countedHeadCount).toBe(2);
      const pledged = (
        await h.storage.query<{ tag_code: string }>(
          'select tag_code from ear_tags where herd_id = $1',
          [herdId],
        )
      ).rows.map((r) => r.tag_code);
      expect(herd.missingTags).toEqual(
        pledged.filter((t) => t !== tags[0] && t !== tags[4]).sort(),
      );
      expect(herd.value).toBe(round2(2 * (herd.valuePerHead ?? NaN)));
      const state = await computeHerdState(h.storage, herdId, {
        at: new Date(AT),
        freshnessMs: herd.freshnessMs,
        marginM: DEFAULT_MARGIN_M,
      });
      expect(herd.countedHeadCount).toBe(state.headCount);

      // A day later every fix is stale; the series shows the count per herd at each point.
      const series = await coverageSeries(
        h.storage,
        loanId,
        new Date(Date.parse(AT) - DAY_MS),
        new Date(AT),
        { points: 2 },
      );
      expect(series.points.map((p) => p.headCounts[herdId])).toEqual([0, 2]);
      expect(series.points[1]?.herdValue).toBe(body.herdValue);
    });

    it('gives the coverage alert the same figures as the API', async () => {
      const api = await collateral(AT);
      const conditions = await evaluateLoanCoverage(h.storage, new RuleSettings(), new Date(AT));
      const alert = conditions.find((c) => c.subjectId === loanId);
      expect(alert?.evidence).toMatchObject({
        balance: api.balance,
        cropValue: api.cropValue,
        herdValue: api.herdValue,
        totalValue: api.totalValue,
        coverageRatio: api.coverageRatio,
        unvalued: api.unvalued,
      });
    });

    it('values all loans in the alert sweep with a fixed number of queries', async () => {
      let queries = 0;
      const counting: Queryable = {
        query: (sql, params, options) => {
          queries += 1;
          return h.storage.query(sql, params, options);
        },
        exec: (sql) => h.storage.exec(sql),
      };
      const conditions = await evaluateLoanCoverage(counting, new RuleSettings(), new Date(AT));
      expect(conditions.length).toBeGreaterThan(0);
      const forAllLoans = queries;
      queries = 0;
      await coverageSeries(counting, loanId, new Date('2026-01-01'), new Date(AT), { points: 400 });
      // One list of loans more than a 400-point series of one loan: nothing per loan or point.
      expect(forAllLoans).toBe(queries + 1);
      expect(queries).toBeLessThanOrEqual(12);
    });

    it('leaves a price or value in another currency unvalued, with the reason', async () => {
      const usd = await h.call('admin', 'PUT', '/api/valuation/crop-prices/9120/2026-04-25', {
        pricePerTonne: 160,
        currency: 'USD',
      });
      expect(usd.status).toBe(200);
      await h.storage.query('update herds set value_per_head = null where id = $1', [herdId]);
      const chf = await h.call(
        'admin',
        'PUT',
        '/api/valuation/livestock-values/cattle/2026-04-30',
        {
          valuePerHead: 2000,
          currency: 'CHF',
        },
      );
      expect(chf.status).toBe(200);

      const body = await collateral(AT);
      const grass = body.parcels.filter((p) => p.declaredCropCode === 9120);
      expect(grass.length).toBeGreaterThan(0);
      for (const p of grass) {
        expect(p).toMatchObject({
          value: null,
          unvaluedReason: 'currency_mismatch',
          priceCurrency: 'USD',
        });
      }
      expect(body.herds[0]).toMatchObject({
        valueSource: 'portfolio',
        valueCurrency: 'CHF',
        valueValidFrom: '2026-04-30',
        value: null,
        unvaluedReason: 'currency_mismatch',
      });
      expect(body.unvalued).toEqual([...grass.map((p) => `parcel ${p.code}`), 'herd H-KRT-02']);
      expect(body.herdValue).toBe(0);
      expect(body.cropValue).toBe(round2(body.parcels.reduce((s, p) => s + (p.value ?? 0), 0)));

      // The day before, the EUR portfolio value for cattle (valid from an earlier date) applies.
      const before = await collateral('2026-04-29T12:00:00Z');
      expect(before.herds[0]).toMatchObject({ valueSource: 'portfolio', valueCurrency: 'EUR' });
      expect(before.herds[0]?.unvaluedReason).toBeNull();
    });
  });
});
