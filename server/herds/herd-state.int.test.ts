import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import { computeHerdState, type HerdStateOptions } from './herd-state.ts';

interface DemoPortfolio {
  earTags: Array<{ tagCode: string; herdCode: string }>;
}

const portfolio = JSON.parse(
  readFileSync(new URL('../../fixtures/demo/portfolio.json', import.meta.url), 'utf8'),
) as DemoPortfolio;
const krtTags = portfolio.earTags.filter((t) => t.herdCode === 'H-KRT-02').map((t) => t.tagCode);

// F-KRT-02 spans lng 3.0803845-3.0902574, lat 50.8321518-50.8372617; its east edge is the meridian
// 3.0902574 between lat 50.8323487 and 50.8370525.
const CENTRE = { lng: 3.0853, lat: 50.8347 };
const EAST_EDGE_LNG = 3.0902574;
/** Degrees of longitude per metre at the centre's latitude (WGS84, good to 0.5 %). */
const DEG_LNG_PER_M = 1 / (111_320 * Math.cos((CENTRE.lat * Math.PI) / 180));
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

interface Reading {
  tagCode: string;
  farmId: string;
  agoMs: number;
  lng?: number;
  lat?: number;
  temperatureC?: number | null;
  batteryPct?: number | null;
}

describe.each(testBackends)('herd state on $name', (backend) => {
  let h: ApiHarness;
  let herdId: string;
  let aalHerdId: string;
  let farmId: string;
  let otherKrtFarmId: string;
  let aalFarmId: string;
  let at: Date;

  const insertReadings = async (readings: readonly Reading[]): Promise<void> => {
    const params: unknown[] = [];
    const values = readings.map((r) => {
      params.push(
        new Date(at.getTime() - r.agoMs),
        r.tagCode,
        r.farmId,
        r.lat ?? CENTRE.lat,
        r.lng ?? CENTRE.lng,
        r.temperatureC === undefined ? 38.6 : r.temperatureC,
        r.batteryPct === undefined ? 80 : r.batteryPct,
      );
      const n = params.length;
      return `($${n - 6}, $${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
    });
    await h.storage.query(
      `insert into tag_readings (observed_at, tag_code, farm_id, lat, lon, temperature_c, battery_pct)
       values ${values.join(', ')}`,
      params as never[],
    );
  };
  /** Every pledged tag of H-KRT-02 in the middle of its farm, 5 minutes ago. */
  const allInside = (): Reading[] =>
    krtTags.map((tagCode) => ({ tagCode, farmId, agoMs: 5 * MINUTE_MS }));
  const state = (options: Partial<HerdStateOptions> = {}) =>
    computeHerdState(h.storage, herdId, {
      at,
      freshnessMs: HOUR_MS,
      marginM: 10,
      ...options,
    });

  beforeAll(async () => {
    h = await createApiHarness(backend);
    herdId = await h.idOf('herds', 'code', 'H-KRT-02');
    aalHerdId = await h.idOf('herds', 'code', 'H-AAL-02');
    farmId = await h.idOf('farms', 'code', 'F-KRT-02');
    otherKrtFarmId = await h.idOf('farms', 'code', 'F-KRT-01');
    aalFarmId = await h.idOf('farms', 'code', 'F-AAL-02');
    at = new Date();
    // The demo seed binds the tags at now(): bind them a day before `at` instead.
    await h.storage.query('update ear_tags set bound_at = $2 where herd_id = $1', [
      herdId,
      new Date(at.getTime() - 24 * HOUR_MS),
    ]);
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(async () => {
    await h.storage.query('delete from tag_readings');
    await h.storage.query('delete from camera_counts');
    await h.storage.query(`delete from alert_rule_settings where rule = 'tag_silent'`);
    await h.storage.query(`delete from ear_tags where herd_id = $1 and tag_code = $2`, [
      aalHerdId,
      krtTags[0] ?? '',
    ]);
  });

  it('counts every pledged tag inside the geofence: head count = pledged', async () => {
    expect(krtTags).toHaveLength(110);
    await insertReadings(allInside());
    const s = await state();
    expect(s).toMatchObject({
      herdCode: 'H-KRT-02',
      farmId,
      species: 'cattle',
      pledgedHeadCount: 110,
      taggedCount: 110,
      headCount: 110,
      shortfall: 0,
      silenceSource: 'default',
      silenceMs: 6 * HOUR_MS,
    });
    expect(s.reconciliation).toEqual({
      missing: [],
      outside: [],
      withinMargin: [],
      silent: [],
      unpledgedSeen: [],
      doublePledged: [],
    });
    expect(s.liveness.batteryLow).toEqual([]);
    expect(s.liveness.temperatureOutOfRange).toEqual([]);
  });

  it('drops k tags that walked out beyond the margin and lists them with their distance', async () => {
    const walkers = krtTags.slice(0, 3);
    await insertReadings([
      ...allInside(),
      // Earlier inside, now 500 m east of the fence: only the latest fix counts.
      ...walkers.map((tagCode, i) => ({
        tagCode,
        farmId,
        agoMs: MINUTE_MS,
        lng: EAST_EDGE_LNG + (500 + i) * DEG_LNG_PER_M,
      })),
    ]);
    const s = await state();
    expect(s.headCount).toBe(107);
    expect(s.shortfall).toBe(3);
    expect(s.reconciliation.outside.map((o) => o.tagCode)).toEqual(walkers);
    s.reconciliation.outside.forEach((o, i) => {
      expect(o.distanceM).toBeCloseTo(500 + i, -1);
      expect(Math.abs(o.distanceM - (500 + i))).toBeLessThan(3);
      expect(o.lat).toBe(CENTRE.lat);
      expect(o.reportingFarmId).toBe(farmId);
      expect(o.observedAt).toBe(new Date(at.getTime() - MINUTE_MS).toISOString());
    });
    expect(s.reconciliation.missing).toEqual([]);
  });

  it('still counts a tag 3 m outside with a 10 m margin, and lists it as within the margin', async () => {
    const [edgeTag] = krtTags;
    await insertReadings([
      ...allInside().slice(1),
      {
        tagCode: String(edgeTag),
        farmId,
        agoMs: MINUTE_MS,
        lng: EAST_EDGE_LNG + 3 * DEG_LNG_PER_M,
      },
    ]);
    const s = await state();
    expect(s.headCount).toBe(110);
    expect(s.reconciliation.outside).toEqual([]);
    expect(s.reconciliation.withinMargin).toHaveLength(1);
    expect(s.reconciliation.withinMargin[0]?.tagCode).toBe(edgeTag);
    expect(Math.abs((s.reconciliation.withinMargin[0]?.distanceM ?? 0) - 3)).toBeLessThan(0.1);

    const strict = await state({ marginM: 0 });
    expect(strict.headCount).toBe(109);
    expect(strict.reconciliation.outside.map((o) => o.tagCode)).toEqual([edgeTag]);
  });

  it('reports tags without a fresh fix as missing and old or never-seen tags as silent', async () => {
    const stale = krtTags.slice(0, 4); // last fix 2 h ago: missing, not yet silent
    const quiet = krtTags.slice(4, 6); // last fix 7 h ago: missing and silent
    const never = krtTags.slice(6, 8); // no reading at all
    await insertReadings([
      ...allInside().slice(8),
      ...stale.map((tagCode) => ({ tagCode, farmId, agoMs: 2 * HOUR_MS })),
      ...quiet.map((tagCode) => ({ tagCode, farmId, agoMs: 7 * HOUR_MS })),
      // A reading after `at` does not exist yet at `at`.
      ...never.map((tagCode) => ({ tagCode, farmId, agoMs: -MINUTE_MS })),
    ]);
    const s = await state();
    expect(s.headCount).toBe(102);
    expect(s.reconciliation.missing).toEqual([
      ...stale.map((tagCode) => ({
        tagCode,
        lastSeenAt: new Date(at.getTime() - 2 * HOUR_MS).toISOString(),
      })),
      ...quiet.map((tagCode) => ({
        tagCode,
        lastSeenAt: new Date(at.getTime() - 7 * HOUR_MS).toISOString(),
      })),
      ...never.map((tagCode) => ({ tagCode, lastSeenAt: null })),
    ]);
    expect(s.reconciliation.silent).toEqual([
      ...quiet.map((tagCode) => ({
        tagCode,
        lastSeenAt: new Date(at.getTime() - 7 * HOUR_MS).toISOString(),
        silentForMs: 7 * HOUR_MS,
      })),
      ...never.map((tagCode) => ({ tagCode, lastSeenAt: null, silentForMs: null })),
    ]);

    // The herd's own silence timeout (8 h) wins over the default.
    await h.storage.query(
      `insert into alert_rule_settings (rule, scope_type, scope_id, params)
       values ('tag_silent', 'herd', $1, $2)`,
      [herdId, JSON.stringify({ silenceMs: 8 * HOUR_MS })],
    );
    const perHerd = await state();
    expect(perHerd.silenceSource).toBe('herd');
    expect(perHerd.silenceMs).toBe(8 * HOUR_MS);
    expect(perHerd.reconciliation.silent.map((x) => x.tagCode)).toEqual(never);
    // ...and the caller's default applies only without one.
    await h.storage.query(`delete from alert_rule_settings where rule = 'tag_silent'`);
    const shortDefault = await state({ silenceMs: HOUR_MS + 30 * MINUTE_MS });
    expect(shortDefault.reconciliation.silent.map((x) => x.tagCode)).toEqual([
      ...stale,
      ...quiet,
      ...never,
    ]);
  });

  it('counts only tags bound at `at`, and ignores a malformed silence setting', async () => {
    const unbound = String(krtTags[0]);
    await insertReadings(allInside());
    await h.storage.query(
      `update ear_tags set unbound_at = $3 where herd_id = $1 and tag_code = $2`,
      [herdId, unbound, new Date(at.getTime() - MINUTE_MS)],
    );
    await h.storage.query(
      `insert into alert_rule_settings (rule, scope_type, scope_id, params)
       values ('tag_silent', 'herd', $1, $2)`,
      [herdId, JSON.stringify({ silenceMs: 'soon' })],
    );
    try {
      const s = await state();
      expect(s.taggedCount).toBe(109);
      expect(s.headCount).toBe(109);
      expect(s.silenceSource).toBe('default');
      // Seen on the farm but no longer pledged here.
      expect(s.reconciliation.unpledgedSeen.map((u) => u.tagCode)).toEqual([unbound]);
      // Before the unbinding it was pledged and counted.
      const before = await state({ at: new Date(at.getTime() - 2 * MINUTE_MS) });
      expect(before.taggedCount).toBe(110);
      expect(before.headCount).toBe(110);
    } finally {
      await h.storage.query(
        `update ear_tags set unbound_at = null where herd_id = $1 and tag_code = $2`,
        [herdId, unbound],
      );
    }
  });

  it('lists tags seen on the farm that are not pledged in the herd', async () => {
    await insertReadings([
      ...allInside(),
      { tagCode: 'STRAY-0001', farmId, agoMs: 10 * MINUTE_MS },
      { tagCode: 'STRAY-0001', farmId, agoMs: 2 * MINUTE_MS, lng: 3.086 },
      { tagCode: 'STRAY-OLD', farmId, agoMs: 3 * HOUR_MS },
      { tagCode: 'ELSEWHERE', farmId: otherKrtFarmId, agoMs: MINUTE_MS },
    ]);
    const s = await state();
    expect(s.headCount).toBe(110);
    expect(s.reconciliation.unpledgedSeen).toEqual([
      {
        tagCode: 'STRAY-0001',
        observedAt: new Date(at.getTime() - 2 * MINUTE_MS).toISOString(),
        lng: 3.086,
        lat: CENTRE.lat,
        reportingFarmId: farmId,
      },
    ]);
  });

  it('finds a double pledge and whether the tag reported from two farms', async () => {
    const doubled = String(krtTags[0]);
    await h.storage.query(
      `insert into ear_tags (herd_id, tag_code, bound_at) values ($1, $2, now() - interval '1 day')`,
      [aalHerdId, doubled],
    );
    await insertReadings([
      ...allInside(),
      { tagCode: doubled, farmId: aalFarmId, agoMs: 20 * MINUTE_MS, lng: 4.028, lat: 50.772 },
    ]);
    const s = await state();
    expect(s.reconciliation.doublePledged).toEqual([
      {
        tagCode: doubled,
        otherPledges: [
          {
            herdId: aalHerdId,
            herdCode: 'H-AAL-02',
            farmId: aalFarmId,
            branchId: expect.any(String),
          },
        ],
        reportingFarmIds: [aalFarmId, farmId].sort(),
        reportedFromTwoFarms: true,
      },
    ]);
    // Its latest fix is on this farm: it still counts here.
    expect(s.headCount).toBe(110);

    // Reported from one farm only within a 10-minute window.
    const narrow = await state({ freshnessMs: 10 * MINUTE_MS });
    expect(narrow.reconciliation.doublePledged[0]).toMatchObject({
      reportingFarmIds: [farmId],
      reportedFromTwoFarms: false,
    });

    // The other herd sees the same double pledge from its side; its head count misses the tag.
    const aal = await computeHerdState(h.storage, aalHerdId, {
      at,
      freshnessMs: HOUR_MS,
      marginM: 10,
    });
    expect(aal.reconciliation.doublePledged.map((d) => d.otherPledges[0]?.herdCode)).toEqual([
      'H-KRT-02',
    ]);
    expect(aal.reconciliation.outside.map((o) => o.tagCode)).toEqual([doubled]);

    // Over the API, a KRT officer learns of the pledge in branch AAL but not which herd or farm.
    const api = await h.call(
      'krtOfficer',
      'GET',
      `/api/herds/${herdId}/state?at=${at.toISOString()}`,
    );
    expect(api.status).toBe(200);
    expect(api.body.reconciliation.doublePledged).toEqual([
      {
        tagCode: doubled,
        otherPledges: [{ herdId: null, herdCode: null, farmId: null, inYourBranch: false }],
        reportingFarmIds: expect.arrayContaining([farmId, null]),
        reportedFromTwoFarms: true,
      },
    ]);
    expect(JSON.stringify(api.body)).not.toContain(aalHerdId);
    expect(JSON.stringify(api.body)).not.toContain(aalFarmId);
    const admin = await h.call('admin', 'GET', `/api/herds/${herdId}/state?at=${at.toISOString()}`);
    expect(admin.body.reconciliation.doublePledged[0].otherPledges[0].herdCode).toBe('H-AAL-02');
  });

  it('lists low batteries and temperatures out of range per tag, with adjustable limits', async () => {
    const [low, edge, hot, cold, olderLow, staleLow] = krtTags;
    await insertReadings([
      ...allInside().slice(6),
      { tagCode: String(low), farmId, agoMs: MINUTE_MS, batteryPct: 10 },
      { tagCode: String(edge), farmId, agoMs: MINUTE_MS, batteryPct: 15 },
      { tagCode: String(hot), farmId, agoMs: MINUTE_MS, temperatureC: 41.2 },
      { tagCode: String(cold), farmId, agoMs: MINUTE_MS, temperatureC: 37 },
      // The latest reading has no battery value: the latest fresh one that has counts.
      { tagCode: String(olderLow), farmId, agoMs: 20 * MINUTE_MS, batteryPct: 12 },
      { tagCode: String(olderLow), farmId, agoMs: MINUTE_MS, batteryPct: null },
      // A low battery outside the freshness window is not a current condition.
      { tagCode: String(staleLow), farmId, agoMs: 2 * HOUR_MS, batteryPct: 5 },
      { tagCode: String(staleLow), farmId, agoMs: MINUTE_MS, batteryPct: null },
    ]);
    const s = await state();
    expect(s.liveness).toMatchObject({
      batteryLowPct: 15,
      temperatureMinC: 37.5,
      temperatureMaxC: 40.5,
    });
    expect(s.liveness.batteryLow.map((b) => [b.tagCode, b.batteryPct])).toEqual(
      [
        [low, 10],
        [olderLow, 12],
      ].sort(),
    );
    expect(s.liveness.temperatureOutOfRange.map((t) => [t.tagCode, t.temperatureC])).toEqual(
      [
        [hot, 41.2],
        [cold, 37],
      ].sort(),
    );
    const tuned = await state({ batteryLowPct: 20, temperatureMinC: 36.5, temperatureMaxC: 41.5 });
    expect(tuned.liveness.batteryLow.map((b) => b.tagCode).sort()).toEqual(
      [low, edge, olderLow].sort(),
    );
    expect(tuned.liveness.temperatureOutOfRange).toEqual([]);
    await expect(state({ temperatureMinC: 41, temperatureMaxC: 40 })).rejects.toThrow(
      'temperatureMinC 41 must be below temperatureMaxC 40',
    );
  });

  it('gives the latest count per camera and zone within the window, for the herd’s species', async () => {
    const camA = await h.idOf('cameras', 'code', 'CAM-KRT-02-A');
    const camB = await h.idOf('cameras', 'code', 'CAM-KRT-02-B');
    const count = (
      cameraId: string,
      agoMs: number,
      headCount: number,
      zone: string | null,
      species = 'cattle',
    ) =>
      h.storage.query(
        `insert into camera_counts (camera_id, farm_id, observed_at, species, head_count, zone)
         values ($1, $2, $3, $4, $5, $6)`,
        [cameraId, farmId, new Date(at.getTime() - agoMs), species, headCount, zone],
      );
    await count(camA, 30 * MINUTE_MS, 40, 'north paddock');
    await count(camA, 5 * MINUTE_MS, 42, 'north paddock');
    await count(camA, 6 * MINUTE_MS, 7, 'gate');
    await count(camA, 4 * MINUTE_MS, 3, 'gate', 'sheep');
    await count(camB, 2 * HOUR_MS, 60, null); // stale
    await count(camB, 10 * MINUTE_MS, 55, null); // the camera's own zone
    const s = await state();
    expect(s.cameras).toEqual([
      {
        cameraId: camA,
        cameraCode: 'CAM-KRT-02-A',
        zones: [
          {
            zone: 'gate',
            headCount: 7,
            confidence: null,
            observedAt: new Date(at.getTime() - 6 * MINUTE_MS).toISOString(),
          },
          {
            zone: 'north paddock',
            headCount: 42,
            confidence: null,
            observedAt: new Date(at.getTime() - 5 * MINUTE_MS).toISOString(),
          },
        ],
      },
      {
        cameraId: camB,
        cameraCode: 'CAM-KRT-02-B',
        zones: [
          {
            zone: 'feed alley',
            headCount: 55,
            confidence: null,
            observedAt: new Date(at.getTime() - 10 * MINUTE_MS).toISOString(),
          },
        ],
      },
    ]);
  });

  it('answers the state over the API to its branch and 404 to another branch', async () => {
    await insertReadings([
      ...allInside().slice(1),
      { tagCode: String(krtTags[0]), farmId, agoMs: MINUTE_MS, lng: EAST_EDGE_LNG + 0.01 },
    ]);
    const url = `/api/herds/${herdId}/state?at=${encodeURIComponent(at.toISOString())}&freshnessMs=${HOUR_MS}`;
    const krt = await h.call('krtOfficer', 'GET', url);
    expect(krt.status).toBe(200);
    expect(krt.body).toMatchObject({
      herdId,
      at: at.toISOString(),
      freshnessMs: HOUR_MS,
      marginM: 10,
      pledgedHeadCount: 110,
      headCount: 109,
      shortfall: 1,
    });
    expect(krt.body.reconciliation.outside[0]).toMatchObject({
      tagCode: krtTags[0],
      reportingFarmId: farmId,
    });
    expect((await h.call('aalOfficer', 'GET', url)).status).toBe(404);
    expect((await h.call('aalOfficer', 'GET', `/api/herds/${aalHerdId}/state`)).status).toBe(200);
    expect((await h.call(null, 'GET', url)).status).toBe(401);
    const bad = await h.call('krtOfficer', 'GET', `/api/herds/${herdId}/state?freshnessMs=abc`);
    expect(bad.status).toBe(400);
    const badAt = await h.call('krtOfficer', 'GET', `/api/herds/${herdId}/state?at=yesterday`);
    expect(badAt.status).toBe(400);
    // Without parameters: now, with the defaults; the readings are fresh enough.
    const now = await h.call('krtOfficer', 'GET', `/api/herds/${herdId}/state`);
    expect(now.status).toBe(200);
    expect(now.body.freshnessMs).toBe(HOUR_MS);
  });
});
