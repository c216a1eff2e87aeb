import { describe, expect, it } from 'vitest';
import { gate, tick } from '../testing/gate.ts';
import { ConditionLane } from './condition-lane.ts';
import type { ObservedCondition } from './types.ts';

function condition(subjectId: string, active = true): ObservedCondition {
  return {
    kind: 'tag_outside_geofence',
    subjectType: 'ear_tag',
    subjectId,
    active,
    severity: 'warning',
    title: `${subjectId} outside`,
    evidence: {},
    evidenceKey: '',
    context: { branchId: 'b', loanId: null, farmId: null },
    raiseAfterMs: 0,
    clearAfterMs: 0,
  };
}

/** A lane whose calls are recorded and held open until the test opens them, one by one. */
function heldLane() {
  const calls: string[][] = [];
  const held: (() => void)[] = [];
  const failures: string[][] = [];
  const lane = new ConditionLane(
    async (conditions) => {
      calls.push(conditions.map((c) => `${c.subjectId}:${c.active ? 'on' : 'off'}`));
      const g = gate();
      held.push(g.open);
      await g.promise;
      if (conditions.some((c) => c.subjectId === 'broken')) throw new Error('database gone');
    },
    (_error, conditions) => failures.push(conditions.map((c) => c.subjectId)),
  );
  const openNext = async (): Promise<void> => {
    await tick();
    held.shift()?.();
    await tick();
  };
  return { lane, calls, failures, openNext };
}

describe('ConditionLane', () => {
  it('applies one call at a time, and the lists that waited go in one call together', async () => {
    const { lane, calls, openNext } = heldLane();
    lane.push([condition('t1')]);
    lane.push([condition('t2')]);
    lane.push([condition('t3')]);
    await tick();
    expect(calls).toEqual([['t1:on']]);
    await openNext();
    expect(calls).toEqual([['t1:on'], ['t2:on', 't3:on']]);
    await openNext();
    await lane.applied;
    expect(calls).toHaveLength(2);
  });

  it('keeps every transition of a key: lists sharing a key go in separate calls, in order', async () => {
    const { lane, calls, openNext } = heldLane();
    lane.push([condition('t0')]);
    lane.push([condition('t1')]);
    lane.push([condition('t2')]);
    lane.push([condition('t1', false)]);
    lane.push([condition('t3')]);
    await openNext();
    expect(calls).toEqual([['t0:on'], ['t1:on', 't2:on']]);
    await openNext();
    expect(calls.at(-1)).toEqual(['t1:off', 't3:on']);
    await openNext();
    await lane.applied;
  });

  it('holds a list until what it waits for has settled, without holding the other lane', async () => {
    const tags = heldLane();
    const herds = heldLane();
    tags.lane.push([condition('t1')]);
    herds.lane.push([condition('h1')], tags.lane.applied);
    await tick();
    expect(herds.calls).toEqual([]);
    await tags.openNext();
    expect(herds.calls).toEqual([['h1:on']]);
    // The herd call is still open; a new tag list does not wait for it.
    tags.lane.push([condition('t2')]);
    await tick();
    expect(tags.calls).toEqual([['t1:on'], ['t2:on']]);
    await tags.openNext();
    await herds.openNext();
    await Promise.all([tags.lane.applied, herds.lane.applied]);
  });

  it('reports a failed call with its conditions and goes on with the next', async () => {
    const { lane, calls, failures, openNext } = heldLane();
    lane.push([condition('broken')]);
    lane.push([condition('broken', false)]);
    lane.push([condition('t9')]);
    await openNext();
    expect(failures).toEqual([['broken']]);
    await openNext();
    await openNext();
    await lane.applied;
    expect(failures).toEqual([['broken'], ['broken', 't9']]);
    expect(calls).toEqual([['broken:on'], ['broken:off', 't9:on']]);
  });

  it('settles `applied` at once when nothing was pushed, and ignores empty lists', async () => {
    const { lane, calls } = heldLane();
    lane.push([]);
    await lane.applied;
    expect(calls).toEqual([]);
  });
});
