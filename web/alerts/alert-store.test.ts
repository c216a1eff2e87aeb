import { describe, expect, it } from 'vitest';
import type { AlertStreamMessage } from '../../server/api-types.ts';
import { AlertStore, type ListedAlert } from './alert-store.ts';

const listed = (id: string, over: Partial<ListedAlert> = {}): ListedAlert => ({
  id,
  kind: 'tag_outside_geofence',
  subjectType: 'ear_tag',
  subjectId: `tag-${id}`,
  farmId: null,
  loanId: null,
  severity: 'warning',
  status: 'open',
  title: `alert ${id}`,
  raisedAt: '2026-11-22T10:00:00.000Z',
  updatedAt: '2026-11-22T10:00:00.000Z',
  assignedTo: null,
  ...over,
});

const message = (
  id: string,
  type: string,
  at: string,
  over: Partial<ListedAlert> = {},
): AlertStreamMessage => {
  const a = listed(id, over);
  const alert = {
    id: a.id,
    kind: a.kind,
    subjectType: a.subjectType,
    subjectId: a.subjectId,
    farmId: a.farmId,
    loanId: a.loanId,
    severity: a.severity,
    status: a.status,
    title: a.title,
  };
  return {
    event: {
      id: '1',
      type,
      at,
      actorKind: 'system',
      actorUserId: null,
      comment: null,
      payload: {},
    },
    alert: { ...alert, branchId: 'b' },
  };
};

describe('AlertStore', () => {
  it('adds a raised alert from the stream and says it needs reading in full', () => {
    const store = new AlertStore();
    expect(store.applyMessage(message('a', 'raised', '2026-11-22T11:00:00.000Z'))).toBe(false);
    expect(store.get('a')?.raisedAt).toBe('2026-11-22T11:00:00.000Z');
    expect(
      store.applyMessage(
        message('a', 'updated', '2026-11-22T11:05:00.000Z', { severity: 'critical' }),
      ),
    ).toBe(true);
    expect(store.get('a')).toMatchObject({
      severity: 'critical',
      raisedAt: '2026-11-22T11:00:00.000Z',
    });
  });

  it('drops a resolved alert and keeps a later change over an earlier list', () => {
    const store = new AlertStore();
    store.applyMessage(
      message('a', 'acknowledged', '2026-11-22T12:00:00.000Z', { status: 'acknowledged' }),
    );
    store.addFromList([listed('a'), listed('b', { severity: 'critical' })]);
    expect(store.get('a')?.status).toBe('acknowledged');
    expect(store.sorted().map((a) => a.id)).toEqual(['b', 'a']);
    store.applyMessage(
      message('b', 'resolved', '2026-11-22T12:01:00.000Z', { status: 'resolved' }),
    );
    expect(store.get('b')).toBeUndefined();
  });

  it('tells its listeners which alert changed', () => {
    const store = new AlertStore();
    const changed: (string | null)[] = [];
    store.onChange((id) => changed.push(id));
    store.addFromList([listed('a')]);
    store.applyMessage(message('a', 'commented', '2026-11-22T12:00:00.000Z'));
    expect(changed).toEqual([null, 'a']);
  });
});
