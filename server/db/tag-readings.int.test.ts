import { afterEach, describe, expect, it } from 'vitest';
import { testBackends } from '../testing/databases.ts';
import { migrate } from './migrate.ts';
import type { Storage } from './storage.ts';
import { copyMinRows, escapeCopyText, writeTagReadings, type TagReading } from './tag-readings.ts';
import { insertMinimalFarm } from '../testing/minimal-farm.ts';

function readings(farmId: string, count: number, startMs = Date.UTC(2026, 10, 1)): TagReading[] {
  return Array.from({ length: count }, (_, i) => ({
    tagCode: `BE-${String(i % 50).padStart(4, '0')}`,
    observedAt: new Date(startMs + Math.floor(i / 50) * 60_000),
    farmId,
    gatewayId: null,
    lat: 50.005 + i * 1e-7,
    lon: 3.005,
    temperatureC: i % 7 === 0 ? null : 38.5,
    activity: 0.25,
    batteryPct: 87,
    rssi: -71,
  }));
}

describe.each(testBackends)('writeTagReadings on $name', (backend) => {
  let storage: Storage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  it('writes a batch and is idempotent on (tag, observed_at)', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const batch = readings(farmId, 5_000);

    const first = await storage.transaction((tx) => writeTagReadings(tx, batch));
    expect(first).toEqual({ inserted: 5_000, duplicates: 0 });

    // A retry of half the batch plus new rows: only the new rows land.
    const retry = [...batch.slice(0, 2_500), ...readings(farmId, 1_000, Date.UTC(2026, 10, 2))];
    const second = await storage.transaction((tx) => writeTagReadings(tx, retry));
    expect(second).toEqual({ inserted: 1_000, duplicates: 2_500 });

    const { rows } = await storage.query<{ n: number; tags: number; nulls: number }>(
      `select count(*)::int as n, count(distinct tag_code)::int as tags,
              count(*) filter (where temperature_c is null)::int as nulls
       from tag_readings`,
    );
    expect(rows[0]).toEqual({ n: 6_000, tags: 50, nulls: 858 });
  });

  it('keeps one copy of a reading repeated inside one batch', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const [one] = readings(farmId, 1);
    if (one === undefined) throw new Error('no reading');
    const result = await storage.transaction((tx) => writeTagReadings(tx, [one, one, one]));
    expect(result).toEqual({ inserted: 1, duplicates: 2 });
  });

  it('keeps the first copy of readings repeated inside a batch big enough for COPY', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const batch = readings(farmId, copyMinRows);
    const repeats = batch.slice(0, 5).map((reading) => ({ ...reading, lat: 10 }));
    const result = await storage.transaction((tx) => writeTagReadings(tx, [...batch, ...repeats]));
    expect(result).toEqual({ inserted: copyMinRows, duplicates: 5 });
    const { rows } = await storage.query<{ n: number }>(
      'select count(*)::int as n from tag_readings where lat = 10',
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('stores values exactly, odd tag codes included', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const reading: TagReading = {
      tagCode: 'odd\ttag\\with\nescapes',
      observedAt: new Date('2026-11-01T10:00:00.123Z'),
      farmId,
      gatewayId: null,
      lat: 50.0012345,
      lon: 3.0054321,
      temperatureC: 39.25,
      activity: null,
      batteryPct: 100,
      rssi: null,
    };
    await storage.transaction((tx) => writeTagReadings(tx, [reading]));
    const { rows } = await storage.query(
      `select tag_code, observed_at, lat, lon, temperature_c, activity, battery_pct, rssi from tag_readings`,
    );
    expect(rows).toEqual([
      {
        tag_code: reading.tagCode,
        observed_at: reading.observedAt,
        lat: 50.0012345,
        lon: 3.0054321,
        temperature_c: 39.25,
        activity: null,
        battery_pct: 100,
        rssi: null,
      },
    ]);
  });

  it('stores odd tag codes exactly in a batch big enough for COPY too', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const odd: TagReading = {
      tagCode: 'odd\ttag\\with\nescapes\r',
      observedAt: new Date('2026-11-01T10:00:00.123Z'),
      farmId,
      gatewayId: null,
      lat: 50.0012345,
      lon: 3.0054321,
      temperatureC: null,
      activity: 0.5,
      batteryPct: null,
      rssi: -80.5,
    };
    const batch = [...readings(farmId, copyMinRows), odd];
    const result = await storage.transaction((tx) => writeTagReadings(tx, batch));
    expect(result).toEqual({ inserted: copyMinRows + 1, duplicates: 0 });
    const { rows } = await storage.query(
      `select tag_code, observed_at, lat, lon, temperature_c, activity, battery_pct, rssi
         from tag_readings where tag_code like 'odd%'`,
    );
    expect(rows).toEqual([
      {
        tag_code: odd.tagCode,
        observed_at: odd.observedAt,
        lat: 50.0012345,
        lon: 3.0054321,
        temperature_c: null,
        activity: 0.5,
        battery_pct: null,
        rssi: -80.5,
      },
    ]);
  });

  it('rolls the whole batch back when one row breaks a constraint', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const batch = readings(farmId, 100);
    const bad = { ...batch[5], lat: 91 } as TagReading;
    await expect(
      storage.transaction((tx) => writeTagReadings(tx, [...batch.slice(0, 5), bad])),
    ).rejects.toThrow(/tag_readings.*check|violates check constraint/);
    const { rows } = await storage.query<{ n: number }>(
      'select count(*)::int as n from tag_readings',
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('refuses to delete a farm or gateway that readings refer to, as a foreign key would', async () => {
    storage = await backend.open();
    await migrate(storage);
    const farmId = await insertMinimalFarm(storage);
    const gateways = await storage.query<{ id: string; code: string }>(
      `insert into gateways (farm_id, code, name, secret_hash)
       select $1, code, code, 'not-a-real-hash' from unnest(array['GW-USED', 'GW-IDLE']) code
       returning id, code`,
      [farmId],
    );
    const used = gateways.rows.find((g) => g.code === 'GW-USED')?.id ?? '';
    const idle = gateways.rows.find((g) => g.code === 'GW-IDLE')?.id ?? '';
    await writeTagReadings(
      storage,
      readings(farmId, 3).map((r) => ({ ...r, gatewayId: used })),
    );

    const refused = storage.query('delete from gateways where id = $1', [used]);
    await expect(refused).rejects.toThrow(/cannot delete gateways .*: tag readings still refer/);
    await expect(refused).rejects.toMatchObject({ cause: { code: '23503' } });
    await storage.query('delete from gateways where id = $1', [idle]);
    await storage.query('update tag_readings set gateway_id = null');
    await storage.query('delete from gateways where id = $1', [used]);
    await expect(storage.query('delete from farms where id = $1', [farmId])).rejects.toThrow(
      /cannot delete farms .*: tag readings still refer/,
    );
    await storage.query('delete from tag_readings');
    await storage.query('delete from farms where id = $1', [farmId]);
    const { rows } = await storage.query<{ n: number }>(
      'select (select count(*) from farms)::int + (select count(*) from gateways)::int as n',
    );
    expect(rows[0]?.n).toBe(0);
  });
});

describe('escapeCopyText', () => {
  it('escapes the characters COPY text format reserves', () => {
    expect(escapeCopyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });
});
