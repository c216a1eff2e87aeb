import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestAlertEvent } from '../alerts/delivery/test-alerts.ts';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

describe.each(testBackends)('subscriptions API on $name', (backend) => {
  let h: ApiHarness;
  let krtBranch: string;
  let aalBranch: string;
  let krtFarm: string;
  let aalFarm: string;

  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtBranch = await h.idOf('branches', 'code', 'KRT');
    aalBranch = await h.idOf('branches', 'code', 'AAL');
    krtFarm = await h.idOf('farms', 'code', 'F-KRT-01');
    aalFarm = await h.idOf('farms', 'code', 'F-AAL-01');
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a webhook with a signing secret shown once and never again', async () => {
    const created = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      name: 'risk desk',
      channel: 'webhook',
      url: 'https://risk.bank.example/hooks',
      kinds: ['tag_outside_geofence'],
      minSeverity: 'warning',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      branchId: krtBranch,
      channel: 'webhook',
      target: 'https://risk.bank.example/hooks',
      kinds: ['tag_outside_geofence'],
      minSeverity: 'warning',
      active: true,
    });
    expect(created.body.signingSecret).toMatch(/^whsec_[A-Za-z0-9_-]{40,}$/);
    const read = await h.call('krtOfficer', 'GET', `/api/subscriptions/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain(created.body.signingSecret);
    const list = await h.call('krtSupervisor', 'GET', '/api/subscriptions');
    expect(JSON.stringify(list.body)).not.toContain(created.body.signingSecret);
    const audit = await h.storage.query<{ text: string }>(
      `select coalesce(after::text, '') as text from audit_log where entity_type = 'subscriptions'`,
    );
    expect(audit.rows.length).toBeGreaterThan(0);
    for (const row of audit.rows) expect(row.text).not.toContain(created.body.signingSecret);

    const rotated = await h.call(
      'krtOfficer',
      'POST',
      `/api/subscriptions/${created.body.id}/rotate-secret`,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.signingSecret).toMatch(/^whsec_/);
    expect(rotated.body.signingSecret).not.toBe(created.body.signingSecret);
    const stored = await h.storage.query<{ signing_secret: string }>(
      'select signing_secret from subscriptions where id = $1',
      [created.body.id],
    );
    expect(stored.rows[0]?.signing_secret).toBe(rotated.body.signingSecret);
  });

  it('derives the MQTT topic from the branch and farm, and SSE has no target', async () => {
    const farmTopic = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'mqtt',
      farmId: krtFarm,
    });
    expect(farmTopic.status).toBe(201);
    expect(farmTopic.body.target).toBe('pledgewatch/alerts/KRT/F-KRT-01');
    expect(farmTopic.body).not.toHaveProperty('signingSecret');
    const branchTopic = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'mqtt',
    });
    expect(branchTopic.body.target).toBe('pledgewatch/alerts/KRT/+');
    const sse = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'sse',
      minSeverity: 'critical',
    });
    expect(sse.status).toBe(201);
    expect(sse.body.target).toBeNull();
    const testSse = await h.call('krtOfficer', 'POST', `/api/subscriptions/${sse.body.id}/test`);
    expect(testSse.status).toBe(400);
    const rotateMqtt = await h.call(
      'krtOfficer',
      'POST',
      `/api/subscriptions/${farmTopic.body.id}/rotate-secret`,
    );
    expect(rotateMqtt.status).toBe(400);
  });

  it('refuses bad input with the field and the rule', async () => {
    const noUrl = await h.call('krtOfficer', 'POST', '/api/subscriptions', { channel: 'webhook' });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.error.message).toContain('json.url: required for a webhook');
    const ftp = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'webhook',
      url: 'ftp://example.com/x',
    });
    expect(ftp.status).toBe(400);
    expect(ftp.body.error.message).toContain('must be an http or https URL');
    const urlOnMqtt = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'mqtt',
      url: 'https://example.com/x',
    });
    expect(urlOnMqtt.status).toBe(400);
    const badKind = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'sse',
      kinds: ['Not A Kind'],
    });
    expect(badKind.status).toBe(400);
    const adminNoScope = await h.call('admin', 'POST', '/api/subscriptions', { channel: 'sse' });
    expect(adminNoScope.status).toBe(400);
    expect(adminNoScope.body.error.message).toContain('json.branchId');
    const mixed = await h.call('admin', 'POST', '/api/subscriptions', {
      channel: 'sse',
      branchId: krtBranch,
      farmId: aalFarm,
    });
    expect(mixed.status).toBe(400);
  });

  it('keeps officers inside their branch', async () => {
    const otherFarm = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'mqtt',
      farmId: aalFarm,
    });
    expect(otherFarm.status).toBe(404);
    const otherBranch = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'sse',
      branchId: aalBranch,
    });
    expect(otherBranch.status).toBe(404);

    const aal = await h.call('aalOfficer', 'POST', '/api/subscriptions', {
      channel: 'webhook',
      url: 'http://127.0.0.1:9/aal',
    });
    expect(aal.status).toBe(201);
    expect(aal.body.branchId).toBe(aalBranch);
    for (const [method, path] of [
      ['GET', `/api/subscriptions/${aal.body.id}`],
      ['PATCH', `/api/subscriptions/${aal.body.id}`],
      ['DELETE', `/api/subscriptions/${aal.body.id}`],
      ['POST', `/api/subscriptions/${aal.body.id}/test`],
      ['POST', `/api/subscriptions/${aal.body.id}/rotate-secret`],
      ['GET', `/api/subscriptions/${aal.body.id}/deliveries`],
    ] as const) {
      const answer = await h.call(
        'krtOfficer',
        method,
        path,
        method === 'PATCH' ? { active: false } : undefined,
      );
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    const krtList = await h.call('krtOfficer', 'GET', '/api/subscriptions?limit=500');
    expect(krtList.body.items.every((s: { branchId: string }) => s.branchId === krtBranch)).toBe(
      true,
    );
    const adminList = await h.call('admin', 'GET', '/api/subscriptions?limit=500');
    expect(adminList.body.items.map((s: { id: string }) => s.id)).toContain(aal.body.id);
    const adminFarm = await h.call('admin', 'POST', '/api/subscriptions', {
      channel: 'mqtt',
      farmId: aalFarm,
    });
    expect(adminFarm.status).toBe(201);
    expect(adminFarm.body).toMatchObject({
      branchId: aalBranch,
      target: 'pledgewatch/alerts/AAL/F-AAL-01',
    });
  });

  it('changes, deactivates and deletes; scope and channel stay', async () => {
    const created = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'webhook',
      url: 'https://a.example/1',
    });
    const changed = await h.call('krtOfficer', 'PATCH', `/api/subscriptions/${created.body.id}`, {
      url: 'https://a.example/2',
      kinds: ['herd_count_below_pledge'],
      minSeverity: 'critical',
      active: false,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      target: 'https://a.example/2',
      kinds: ['herd_count_below_pledge'],
      minSeverity: 'critical',
      active: false,
    });
    const everyKind = await h.call('krtOfficer', 'PATCH', `/api/subscriptions/${created.body.id}`, {
      kinds: null,
    });
    expect(everyKind.body.kinds).toBeNull();
    const channel = await h.call('krtOfficer', 'PATCH', `/api/subscriptions/${created.body.id}`, {
      channel: 'mqtt',
    });
    expect(channel.status).toBe(400);
    expect(channel.body.error.message).toContain('channel cannot be changed');
    const removed = await h.call('krtOfficer', 'DELETE', `/api/subscriptions/${created.body.id}`);
    expect(removed.status).toBe(204);
    expect(
      (await h.call('krtOfficer', 'GET', `/api/subscriptions/${created.body.id}`)).status,
    ).toBe(404);
  });

  it('queues matching deliveries with the outbox, a test delivery, and retries a dead one', async () => {
    const sub = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'webhook',
      url: 'http://127.0.0.1:9/never',
      farmId: krtFarm,
      minSeverity: 'warning',
    });
    expect(sub.status).toBe(201);
    const id = sub.body.id as string;
    // Matches: warning on F-KRT-01. No match: info severity, or another farm.
    const event = await writeTestAlertEvent(h.storage, { farmCode: 'F-KRT-01' });
    await writeTestAlertEvent(h.storage, {
      farmCode: 'F-KRT-01',
      kind: 'battery_low',
      severity: 'info',
    });
    await writeTestAlertEvent(h.storage, { farmCode: 'F-KRT-02', severity: 'critical' });
    const test = await h.call('krtOfficer', 'POST', `/api/subscriptions/${id}/test`);
    expect(test.status).toBe(202);
    expect(test.body).toMatchObject({ test: true, status: 'pending', alertEventId: null });

    const deliveries = await h.call('krtOfficer', 'GET', `/api/subscriptions/${id}/deliveries`);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.items).toHaveLength(2);
    expect(deliveries.body.items[1]).toMatchObject({
      alertEventId: event.id,
      alertId: event.alertId,
      idempotencyKey: `${id}:${event.id}`,
      status: 'pending',
      attempts: 0,
      test: false,
    });
    const body = await h.storage.query<{ body: { event: { id: string }; alert: object } }>(
      'select body from deliveries where alert_event_id = $1',
      [event.id],
    );
    expect(body.rows[0]?.body).toMatchObject({
      event: { id: event.id, type: 'raised', test: false },
      alert: { id: event.alertId, branchCode: 'KRT', farmCode: 'F-KRT-01', severity: 'warning' },
    });

    const deliveryId = deliveries.body.items[1].id as string;
    const notDead = await h.call(
      'krtOfficer',
      'POST',
      `/api/subscriptions/${id}/deliveries/${deliveryId}/retry`,
    );
    expect(notDead.status).toBe(400);
    await h.storage.query(
      `update deliveries set status = 'dead', attempts = 12, last_error = 'HTTP 500', last_status_code = 500
        where id = $1`,
      [deliveryId],
    );
    const dead = await h.call(
      'krtOfficer',
      'GET',
      `/api/subscriptions/${id}/deliveries?status=dead`,
    );
    expect(dead.body.items).toEqual([
      expect.objectContaining({
        id: deliveryId,
        status: 'dead',
        attempts: 12,
        lastStatusCode: 500,
      }),
    ]);
    const retried = await h.call(
      'krtOfficer',
      'POST',
      `/api/subscriptions/${id}/deliveries/${deliveryId}/retry`,
    );
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'pending', attempts: 0, lastError: 'HTTP 500' });
    const one = await h.call(
      'krtOfficer',
      'GET',
      `/api/subscriptions/${id}/deliveries/${deliveryId}`,
    );
    expect(one.status).toBe(200);
    expect(one.body.attemptLog).toEqual([]);
    const paged = await h.call('krtOfficer', 'GET', `/api/subscriptions/${id}/deliveries?limit=1`);
    expect(paged.body.items).toHaveLength(1);
    const next = await h.call(
      'krtOfficer',
      'GET',
      `/api/subscriptions/${id}/deliveries?limit=1&cursor=${paged.body.nextCursor}`,
    );
    expect(next.body.items[0].id).toBe(deliveryId);
    expect(next.body.nextCursor).toBeNull();
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = await h.call(null, 'GET', '/api/openapi.json');
    const paths = Object.keys(doc.body.paths as object);
    for (const path of [
      '/subscriptions',
      '/subscriptions/{id}',
      '/subscriptions/{id}/test',
      '/subscriptions/{id}/rotate-secret',
      '/subscriptions/{id}/deliveries',
      '/subscriptions/{id}/deliveries/{deliveryId}/retry',
      '/alerts/stream',
    ]) {
      expect(paths).toContain(path);
    }
  });
});
