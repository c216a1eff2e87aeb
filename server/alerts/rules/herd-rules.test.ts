import { describe, expect, it } from 'vitest';
import { batteryDefaults, evaluateBattery } from './battery-low.ts';
import { evaluateHerdCount, herdCountDefaults } from './herd-count-below-pledge.ts';
import { evaluateMassExit, massExitDefaults } from './mass-exit.ts';
import { doublePledgeDefaults, evaluateDoublePledge } from './tag-double-pledged.ts';
import { evaluateTagOutside, tagOutsideDefaults } from './tag-outside-geofence.ts';
import { evaluateTagSilent, tagSilentDefaults } from './tag-silent.ts';
import { evaluateTagsCameras, tagsCamerasDefaults } from './tags-cameras-disagree.ts';
import { evaluateTemperature, temperatureDefaults } from './temperature-out-of-range.ts';

const HOUR = 3_600_000;

describe('herd_count_below_pledge', () => {
  const input = (headCount: number) => ({
    herdId: 'h',
    herdCode: 'H-1',
    at: '2026-03-01T00:00:00Z',
    pledgedHeadCount: 100,
    headCount,
    missingTags: ['b', 'a'],
    outsideTags: [],
    freshnessMs: HOUR,
  });
  it('is inactive at the pledge and active one head short (tolerance 0)', () => {
    expect(evaluateHerdCount(input(100), herdCountDefaults).active).toBe(false);
    expect(evaluateHerdCount(input(99), herdCountDefaults)).toMatchObject({
      active: true,
      severity: 'warning',
      evidence: { shortfall: 1, missingTags: ['a', 'b'] },
    });
  });
  it('tolerates toleranceHeads exactly, not one more', () => {
    const params = { ...herdCountDefaults, toleranceHeads: 2 };
    expect(evaluateHerdCount(input(98), params).active).toBe(false);
    expect(evaluateHerdCount(input(97), params).active).toBe(true);
  });
  it('is critical from criticalShortfallPct of the pledge (inclusive)', () => {
    expect(evaluateHerdCount(input(91), herdCountDefaults).severity).toBe('warning');
    expect(evaluateHerdCount(input(90), herdCountDefaults).severity).toBe('critical');
  });
});

describe('tag_outside_geofence', () => {
  const input = (inside: boolean, distanceM: number) => ({
    earTagId: 'e',
    tagCode: 'T1',
    herdCode: 'H',
    farmCode: 'F',
    inside,
    distanceM,
    lng: 3,
    lat: 50,
    observedAt: '2026-03-01T00:00:00.000Z',
  });
  it('follows the tracker state, warning near and critical from criticalDistanceM', () => {
    expect(evaluateTagOutside(input(true, 500), tagOutsideDefaults).active).toBe(false);
    expect(evaluateTagOutside(input(false, 999.9), tagOutsideDefaults)).toMatchObject({
      active: true,
      severity: 'warning',
      evidence: { tagCode: 'T1', reading: { tagCode: 'T1' } },
    });
    expect(evaluateTagOutside(input(false, 1000), tagOutsideDefaults).severity).toBe('critical');
  });
  it('keeps the same evidence key as the distance changes within a band', () => {
    const a = evaluateTagOutside(input(false, 12), tagOutsideDefaults);
    const b = evaluateTagOutside(input(false, 480), tagOutsideDefaults);
    expect(a.evidenceKey).toBe(b.evidenceKey);
  });
});

describe('tag_silent', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const at = (agoMs: number | null) => ({
    earTagId: 'e',
    tagCode: 'T1',
    herdCode: 'H',
    now,
    lastSeenAt: agoMs === null ? null : new Date(now.getTime() - agoMs),
    boundAt: new Date(now.getTime() - 100 * HOUR),
  });
  it('is silent strictly after silenceMs', () => {
    expect(evaluateTagSilent(at(6 * HOUR), tagSilentDefaults).active).toBe(false);
    expect(evaluateTagSilent(at(6 * HOUR + 1), tagSilentDefaults).active).toBe(true);
  });
  it('uses a per-device timeout given as params', () => {
    expect(evaluateTagSilent(at(HOUR), { ...tagSilentDefaults, silenceMs: HOUR - 1 }).active).toBe(
      true,
    );
  });
  it('counts a tag that never spoke from when it was bound; critical from criticalAfterMs', () => {
    expect(evaluateTagSilent(at(null), tagSilentDefaults)).toMatchObject({
      active: true,
      severity: 'critical',
      evidence: { lastSeenAt: null },
    });
    expect(evaluateTagSilent(at(48 * HOUR - 1), tagSilentDefaults).severity).toBe('warning');
    expect(evaluateTagSilent(at(48 * HOUR), tagSilentDefaults).severity).toBe('critical');
  });
});

describe('tags_cameras_disagree', () => {
  const input = (tagHeadCount: number, zones: number[]) => ({
    herdId: 'h',
    herdCode: 'H',
    at: '2026-03-01T00:00:00Z',
    tagHeadCount,
    cameras: [
      {
        cameraCode: 'C1',
        zones: zones.map((headCount, i) => ({
          zone: `z${i}`,
          headCount,
          observedAt: '2026-03-01T00:00:00Z',
        })),
      },
    ],
  });
  it('is inactive without camera counts', () => {
    expect(evaluateTagsCameras({ ...input(50, []), cameras: [] }, tagsCamerasDefaults).active).toBe(
      false,
    );
  });
  it('sums zones and allows max(toleranceHeads, tolerancePct of the larger count)', () => {
    // 100 tags: 10 % = 10 heads allowed.
    expect(evaluateTagsCameras(input(100, [45, 45]), tagsCamerasDefaults).active).toBe(false);
    expect(evaluateTagsCameras(input(100, [45, 44]), tagsCamerasDefaults)).toMatchObject({
      active: true,
      severity: 'warning',
      evidence: { cameraHeadCount: 89, difference: -11 },
    });
    // Small herds: 2 heads always tolerated.
    expect(evaluateTagsCameras(input(5, [3]), tagsCamerasDefaults).active).toBe(false);
    expect(evaluateTagsCameras(input(5, [2]), tagsCamerasDefaults).active).toBe(true);
  });
  it('grades cameras seeing more as info and far fewer as critical', () => {
    expect(evaluateTagsCameras(input(50, [80]), tagsCamerasDefaults).severity).toBe('info');
    expect(evaluateTagsCameras(input(100, [60]), tagsCamerasDefaults).severity).toBe('critical');
  });
});

describe('mass_exit', () => {
  const exit = (tagCode: string, minute: number, stillOutside = true) => ({
    tagCode,
    exitedAt: new Date(Date.UTC(2026, 2, 1, 0, minute)).toISOString(),
    stillOutside,
  });
  const run = (exits: ReturnType<typeof exit>[]) =>
    evaluateMassExit({ herdId: 'h', herdCode: 'H', exits }, massExitDefaults);
  it('needs minAnimals within windowMs (inclusive)', () => {
    expect(run([exit('a', 0), exit('b', 5)]).active).toBe(false);
    expect(run([exit('a', 0), exit('b', 5), exit('c', 15)])).toMatchObject({
      active: true,
      severity: 'critical',
      evidence: { tags: ['a', 'b', 'c'], count: 3 },
    });
    expect(run([exit('a', 0), exit('b', 5), exit('c', 16)]).active).toBe(false);
  });
  it('ignores animals already back inside and counts a tag once', () => {
    expect(run([exit('a', 0), exit('b', 1, false), exit('c', 2)]).active).toBe(false);
    expect(run([exit('a', 0), exit('a', 1), exit('c', 2)]).active).toBe(false);
  });
});

describe('battery_low', () => {
  const at = (batteryPct: number) =>
    evaluateBattery(
      { earTagId: 'e', tagCode: 'T', batteryPct, observedAt: '2026-03-01T00:00:00Z' },
      batteryDefaults,
    );
  it('is low strictly below batteryLowPct (info), a warning below batteryCriticalPct', () => {
    expect(at(15).active).toBe(false);
    expect(at(14.9)).toMatchObject({ active: true, severity: 'info' });
    expect(at(5).severity).toBe('info');
    expect(at(4.9).severity).toBe('warning');
  });
});

describe('temperature_out_of_range', () => {
  const at = (temperatureC: number) =>
    evaluateTemperature(
      { earTagId: 'e', tagCode: 'T', temperatureC, observedAt: '2026-03-01T00:00:00Z' },
      temperatureDefaults,
    );
  it('keeps the bounds normal and grades by distance beyond them', () => {
    expect(at(37.5).active).toBe(false);
    expect(at(40.5).active).toBe(false);
    expect(at(40.6)).toMatchObject({ active: true, severity: 'warning' });
    expect(at(37.4).active).toBe(true);
    expect(at(42).severity).toBe('critical');
    expect(at(36).severity).toBe('critical');
  });
});

describe('tag_double_pledged', () => {
  const other = { herdId: 'h2', herdCode: 'H-2', farmId: 'f2', branchId: 'b1' };
  const run = (otherPledges: (typeof other)[], reportingFarmIds: string[] = []) =>
    evaluateDoublePledge(
      {
        earTagId: 'e',
        tagCode: 'T',
        herdCode: 'H-1',
        branchId: 'b1',
        otherPledges,
        reportingFarmIds,
      },
      doublePledgeDefaults,
    );
  it('is active with another pledge; critical across branches or when two farms report it', () => {
    expect(run([]).active).toBe(false);
    expect(run([other])).toMatchObject({ active: true, severity: 'warning' });
    expect(run([{ ...other, branchId: 'b2' }]).severity).toBe('critical');
    expect(run([other], ['f1', 'f2']).severity).toBe('critical');
  });
});
