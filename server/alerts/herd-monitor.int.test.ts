/**
 * The herd monitor on both backends, fed as the ingest batcher feeds it (committed readings):
 * a fence-walker gives one alert, a group walking out is a mass exit, battery and temperature use
 * per-device settings, and the sweep finds silent tags with a per-device timeout.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import type { TagReading } from '../db/tag-readings.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { testBackends } from '../testing/databases.ts';
import { AlertBus, type AlertEventView } from './alert-bus.ts';
import { AlertEngine } from './engine.ts';
import { HerdMonitor } from './herd-monitor.ts';

const portfolio = JSON.parse(
  readFileSync(new URL('../../fixtures/demo/portfolio.json', import.meta.url), 'utf8'),
) as { earTags: Array<{ tagCode: string; herdCode: string }> };
const tags = portfolio.earTags.filter((t) => t.herdCode === 'H-KRT-02').map((t) => t.tagCode);

// F-KRT-02's east edge is the meridian 3.0902574 between lat 50.8323487 and 50.8370525.
const EAST_EDGE_LNG = 3.0902574;
const LAT = 50.8347;
const DEG_LNG_PER_M = 1 / (111_320 * Math.cos((LAT * Math.PI) / 180));
const east = (m: number): number => EAST_EDGE_LNG + m * DEG_LNG_PER_M;

describe.each(testBackends)('herd monitor on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;
  let farmId: string;
  let monitor: HerdMonitor;
  let engine: AlertEngine;
  const published: AlertEventView[] = [];
  /** The kinds of each bus publish (one per committed engine change), in order. */
  const publishes: string[][] = [];
  const t0 = Date.now() - 60 * 60_000;

  const reading = (
    tagCode: string,
    atMs: number,
    lng: number,
    extra: Partial<TagReading> = {},
  ): TagReading => ({
    tagCode,
    observedAt: new Date(atMs),
    farmId,
    gatewayId: null,
    lat: LAT,
    lon: lng,
    ...extra,
  });
  const feed = async (readings: TagReading[]): Promise<void> => {
    monitor.onCommitted({ readings, cameraCounts: [] });
    await monitor.drain();
  };
  const alertsFor = async (tagCode: string, kind: string) =>
    (
      await storage.query<{
        id: string;
        status: string;
        severity: string;
        evidence: Record<string, unknown>;
      }>(
        `select a.id, a.status, a.severity, a.evidence from alerts a
           join ear_tags e on e.id = a.subject_id
          where e.tag_code = $1 and a.kind = $2 order by a.raised_at`,
        [tagCode, kind],
      )
    ).rows;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-herdmon-'));
    storage = await backend.open();
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir });
    farmId =
      (await storage.query<{ id: string }>(`select id from farms where code = 'F-KRT-02'`)).rows[0]
        ?.id ?? '';
    const bus = new AlertBus();
    bus.subscribe((events) => published.push(...events));
    bus.subscribe((events) => publishes.push(events.map((e) => e.alert.kind)));
    engine = new AlertEngine({ storage, bus });
    monitor = new HerdMonitor({ engine });
    await monitor.reload();
  });

  afterAll(async () => {
    await storage?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('a fence-walker flapping across the geofence line raises one alert, not dozens', async () => {
    const tag = tags[0] ?? '';
    // Inside first, then 60 fixes a minute apart wandering 25 m either side of the fence.
    await feed([reading(tag, t0, east(-200))]);
    for (let i = 0; i < 60; i += 1) {
      await feed([reading(tag, t0 + (i + 1) * 60_000, east(i % 2 === 0 ? 25 : -25))]);
    }
    const alerts = await alertsFor(tag, 'tag_outside_geofence');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ status: 'open', severity: 'warning' });
    expect(alerts[0]?.evidence).toMatchObject({ tagCode: tag });
    const events = await storage.query<{ type: string }>(
      'select type from alert_events where alert_id = $1 order by id',
      [alerts[0]?.id ?? null],
    );
    expect(events.rows.map((r) => r.type)).toEqual(['raised']);
  });

  it('jitter within the hysteresis margin of the fence raises nothing', async () => {
    const tag = tags[1] ?? '';
    await feed([reading(tag, t0, east(-100))]);
    for (let i = 0; i < 20; i += 1) {
      await feed([reading(tag, t0 + (i + 1) * 60_000, east(i % 2 === 0 ? 8 : -8))]);
    }
    expect(await alertsFor(tag, 'tag_outside_geofence')).toHaveLength(0);
  });

  it('three animals walking out together within minutes is a critical mass exit', async () => {
    const group = tags.slice(2, 5);
    await feed(group.map((t) => reading(t, t0, east(-150))));
    await feed(group.map((t, i) => reading(t, t0 + (i + 1) * 60_000, east(400))));
    const massExit = await storage.query<{ severity: string; evidence: { tags: string[] } }>(
      `select a.severity, a.evidence from alerts a join herds h on h.id = a.subject_id
        where h.code = 'H-KRT-02' and a.kind = 'mass_exit' and a.status <> 'resolved'`,
    );
    expect(massExit.rows).toHaveLength(1);
    expect(massExit.rows[0]?.severity).toBe('critical');
    expect(massExit.rows[0]?.evidence.tags).toEqual([...group].sort());
    for (const t of group) expect(await alertsFor(t, 'tag_outside_geofence')).toHaveLength(1);
  });

  it('the tags walking out are alerted before, and apart from, the mass exit they make', async () => {
    const group = tags.slice(5, 8);
    await feed(group.map((t) => reading(t, t0, east(-150))));
    publishes.length = 0;
    await feed(group.map((t, i) => reading(t, t0 + (i + 1) * 60_000, east(400))));
    // The tags' alerts commit (and go out) first; the herd's mass exit in a change of its own.
    const massExitAt = publishes.findIndex((kinds) => kinds.includes('mass_exit'));
    expect(massExitAt).toBeGreaterThan(0);
    expect(publishes[massExitAt]).toEqual(['mass_exit']);
    expect(publishes.slice(0, massExitAt).flat()).toEqual(group.map(() => 'tag_outside_geofence'));
  });

  it('battery thresholds are per device: a setting on one ear tag changes only that tag', async () => {
    const [a, b] = [tags[10] ?? '', tags[11] ?? ''];
    const earTagA = (
      await storage.query<{ id: string }>('select id from ear_tags where tag_code = $1', [a])
    ).rows[0]?.id;
    await storage.query(
      `insert into alert_rule_settings (rule, scope_type, scope_id, params)
       values ('battery_low', 'ear_tag', $1, '{"batteryLowPct": 40}')`,
      [earTagA ?? null],
    );
    await monitor.reload();
    await feed([
      reading(a, t0, east(-100), { batteryPct: 30 }),
      reading(b, t0, east(-100), { batteryPct: 30 }),
    ]);
    expect(await alertsFor(a, 'battery_low')).toHaveLength(1);
    expect(await alertsFor(b, 'battery_low')).toHaveLength(0);
    await feed([reading(b, t0 + 60_000, east(-100), { batteryPct: 4 })]);
    expect(await alertsFor(b, 'battery_low')).toMatchObject([{ severity: 'warning' }]);
  });

  it('the sweep finds silent tags against a per-device timeout and counts the herd', async () => {
    const [quiet, talker] = [tags[20] ?? '', tags[21] ?? ''];
    const ids = await storage.query<{ id: string; tag_code: string }>(
      'select id, tag_code from ear_tags where tag_code = any ($1::text[])',
      [[quiet, talker]],
    );
    const idOf = (t: string): string => ids.rows.find((r) => r.tag_code === t)?.id ?? '';
    // Both last reported 45 min ago; only `quiet` has a 30-minute timeout of its own.
    await storage.query(
      `insert into tag_readings (observed_at, tag_code, farm_id, lat, lon)
       values (now() - interval '45 minutes', $1, $3, 50.8347, 3.0853),
              (now() - interval '45 minutes', $2, $3, 50.8347, 3.0853)`,
      [quiet, talker, farmId],
    );
    await storage.query(
      `insert into alert_rule_settings (rule, scope_type, scope_id, params)
       values ('tag_silent', 'ear_tag', $1, '{"silenceMs": 1800000}')`,
      [idOf(quiet)],
    );
    await monitor.sweep();
    expect(await alertsFor(quiet, 'tag_silent')).toHaveLength(1);
    expect(await alertsFor(talker, 'tag_silent')).toHaveLength(0);
    // The herd count rule waits out its 15 minutes before raising: the condition is pending.
    const pending = await storage.query<{ active: boolean }>(
      `select c.active from alert_conditions c join herds h on h.id = c.subject_id
        where h.code = 'H-KRT-02' and c.kind = 'herd_count_below_pledge'`,
    );
    expect(pending.rows).toEqual([{ active: true }]);
    // And the loan's collateral is valued (no price data in the demo: listed as unvalued).
    const coverage = await storage.query<{ n: string | number }>(
      `select count(*) as n from alert_conditions where kind = 'collateral_coverage_below_threshold'`,
    );
    expect(Number(coverage.rows[0]?.n)).toBeGreaterThanOrEqual(0);
  });
});
