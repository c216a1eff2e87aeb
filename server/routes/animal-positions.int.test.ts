import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

const portfolio = JSON.parse(
  readFileSync(new URL('../../fixtures/demo/portfolio.json', import.meta.url), 'utf8'),
) as { earTags: Array<{ tagCode: string; herdCode: string }> };
const krtTags = portfolio.earTags.filter((t) => t.herdCode === 'H-KRT-02').map((t) => t.tagCode);
const aalTag = portfolio.earTags.find((t) => t.herdCode.startsWith('H-AAL'))!.tagCode;

// Inside F-KRT-02 (see server/herds/herd-state.int.test.ts), and 1 km east of it.
const CENTRE = { lng: 3.0853, lat: 50.8347 };
const OUTSIDE = { lng: 3.105, lat: 50.8347 };
const HOUR_MS = 3_600_000;

describe.each(testBackends)('animal positions and herd counts on $name', (backend) => {
  let h: ApiHarness;
  let herdId: string;
  let farmId: string;
  let aalFarmId: string;
  // The middle of an hour, two hours ago, so the buckets are predictable.
  const hourStart = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;

  const insert = async (
    tagCode: string,
    farm: string,
    atMs: number,
    at: { lng: number; lat: number },
  ): Promise<void> => {
    await h.storage.query(
      `insert into tag_readings (observed_at, tag_code, farm_id, lat, lon) values ($1, $2, $3, $4, $5)`,
      [new Date(atMs), tagCode, farm, at.lat, at.lng],
    );
  };

  beforeAll(async () => {
    h = await createApiHarness(backend);
    herdId = await h.idOf('herds', 'code', 'H-KRT-02');
    farmId = await h.idOf('farms', 'code', 'F-KRT-02');
    aalFarmId = await h.idOf('farms', 'code', 'F-AAL-02');
    await h.storage.query('update ear_tags set bound_at = $2 where herd_id = $1', [
      herdId,
      new Date(hourStart - 24 * HOUR_MS),
    ]);
    // Hour 0: tags 0-2 inside (tag 0 twice), tag 3 outside. Hour 1: tag 0 inside, tag 1 moved out.
    await insert(krtTags[0]!, farmId, hourStart + 60_000, CENTRE);
    await insert(krtTags[0]!, farmId, hourStart + 120_000, CENTRE);
    await insert(krtTags[1]!, farmId, hourStart + 60_000, CENTRE);
    await insert(krtTags[2]!, farmId, hourStart + 60_000, CENTRE);
    await insert(krtTags[3]!, farmId, hourStart + 60_000, OUTSIDE);
    await insert(krtTags[0]!, farmId, hourStart + HOUR_MS + 60_000, CENTRE);
    await insert(krtTags[1]!, farmId, hourStart + HOUR_MS + 60_000, OUTSIDE);
    await insert(aalTag, aalFarmId, hourStart + 60_000, { lng: 4.2, lat: 51.0 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers the latest fix of each tag of the branch, none of another branch', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/animal-positions');
    expect(krt.status).toBe(200);
    const byTag = new Map(
      (krt.body.items as Array<{ tagCode: string; lng: number; observedAt: string }>).map((i) => [
        i.tagCode,
        i,
      ]),
    );
    expect([...byTag.keys()].sort()).toEqual(krtTags.slice(0, 4).sort());
    expect(byTag.get(krtTags[1]!)).toMatchObject({
      lng: OUTSIDE.lng,
      observedAt: new Date(hourStart + HOUR_MS + 60_000).toISOString(),
      herdId,
      farmId,
    });
    const aal = await h.call('aalOfficer', 'GET', '/api/animal-positions');
    expect(aal.body.items.map((i: { tagCode: string }) => i.tagCode)).toEqual([aalTag]);
    const admin = await h.call('admin', 'GET', '/api/animal-positions');
    expect(admin.body.items).toHaveLength(5);
    const recent = await h.call('krtOfficer', 'GET', '/api/animal-positions?maxAgeMs=60000');
    expect(recent.body.items).toEqual([]);
    expect((await h.call('krtOfficer', 'GET', '/api/animal-positions?maxAgeMs=0')).status).toBe(
      400,
    );
  });

  it('counts per hour the distinct pledged tags inside the geofence', async () => {
    const from = new Date(hourStart).toISOString();
    const to = new Date(hourStart + 2 * HOUR_MS).toISOString();
    const res = await h.call(
      'krtOfficer',
      'GET',
      `/api/herds/${herdId}/counts?from=${from}&to=${to}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      herdId,
      pledgedHeadCount: 110,
      bucketMs: HOUR_MS,
      buckets: [
        { start: from, headCount: 3 },
        { start: new Date(hourStart + HOUR_MS).toISOString(), headCount: 1 },
      ],
    });
    const def = await h.call('krtOfficer', 'GET', `/api/herds/${herdId}/counts`);
    expect(def.body.buckets.length).toBeGreaterThanOrEqual(24);
  });

  it('hides another branch’s herd and refuses a bad range', async () => {
    expect((await h.call('aalOfficer', 'GET', `/api/herds/${herdId}/counts`)).status).toBe(404);
    const bad = await h.call(
      'krtOfficer',
      'GET',
      `/api/herds/${herdId}/counts?from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z`,
    );
    expect(bad.status).toBe(400);
  });
});
