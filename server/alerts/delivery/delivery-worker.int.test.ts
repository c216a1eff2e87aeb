import { readFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type RunningBroker } from '../../../iot/index.ts';
import { newApiKey } from '../../auth/tokens.ts';
import { loadConfig } from '../../config.ts';
import { silentLogger } from '../../logger.ts';
import { startMqttEdge } from '../../mqtt/start-edge.ts';
import { createApiHarness, type ApiHarness } from '../../testing/api-harness.ts';
import { testBackends } from '../../testing/databases.ts';
import { DeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker.ts';
import type { DeliveryBody } from './delivery-body.ts';
import { Receiver } from './webhook-receiver.ts';
import { writeTestAlertEvent } from './test-alerts.ts';

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.each(testBackends)('delivery worker on $name', (backend) => {
  let h: ApiHarness;
  const workers: DeliveryWorker[] = [];
  const receivers: Receiver[] = [];

  function newWorker(options: Partial<DeliveryWorkerOptions> = {}): DeliveryWorker {
    const worker = new DeliveryWorker({
      storage: h.storage,
      maxAttempts: 100,
      timeoutMs: 2_000,
      backoffBaseMs: 10,
      backoffMaxMs: 100,
      pollIntervalMs: 20,
      leaseMs: 400,
      ...options,
    });
    workers.push(worker);
    return worker;
  }

  async function pendingCount(subscriptionId: string): Promise<number> {
    const { rows } = await h.storage.query<{ n: number }>(
      `select count(*)::int as n from deliveries where subscription_id = $1 and status <> 'delivered'`,
      [subscriptionId],
    );
    return rows[0]?.n ?? -1;
  }

  beforeAll(async () => {
    h = await createApiHarness(backend);
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop({ abort: true });
    for (const receiver of receivers) await receiver.close();
    await h.close();
  });

  it('delivers every alert change exactly once by key, in order per alert, through an outage and a crash', async () => {
    let secret = '';
    const receiver = new Receiver(() => secret);
    receivers.push(receiver);
    await receiver.listen();
    const created = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'webhook',
      url: receiver.url,
    });
    expect(created.status).toBe(201);
    secret = created.body.signingSecret as string;
    const subscriptionId = created.body.id as string;

    // Down: connection refused.
    await receiver.close();
    const a1 = await writeTestAlertEvent(h.storage, { farmCode: 'F-KRT-01' });
    const b1 = await writeTestAlertEvent(h.storage, { farmCode: 'F-KRT-02', kind: 'tag_silent' });
    const first = newWorker();
    first.start();
    const a2 = await writeTestAlertEvent(h.storage, {
      farmCode: 'F-KRT-01',
      alertId: a1.alertId,
      severity: 'critical',
    });
    const b2 = await writeTestAlertEvent(h.storage, {
      farmCode: 'F-KRT-02',
      kind: 'tag_silent',
      alertId: b1.alertId,
      type: 'acknowledged',
      status: 'acknowledged',
    });
    const a3 = await writeTestAlertEvent(h.storage, {
      farmCode: 'F-KRT-01',
      alertId: a1.alertId,
      type: 'resolved',
      status: 'resolved',
    });
    receiver.eventsByAlert.set(a1.alertId, [a1.id, a2.id, a3.id]);
    receiver.eventsByAlert.set(b1.alertId, [b1.id, b2.id]);
    await waitFor('refused tries', async () => {
      const { rows } = await h.storage.query<{ n: number }>(
        `select count(*)::int as n from delivery_attempts where error like '%ECONNREFUSED%'`,
      );
      return (rows[0]?.n ?? 0) >= 4;
    });

    // Back, but answering 503 for a while.
    receiver.mode = 'unavailable';
    await receiver.listen();
    await waitFor('503 answers', async () => receiver.received.length >= 3);
    expect(receiver.applied).toEqual([]);

    // Takes requests in and never answers: the worker dies waiting (a crash mid-send).
    receiver.mode = 'hang';
    await waitFor('a request taken in', async () => receiver.applied.length >= 1);
    await first.stop({ abort: true });
    const deliveredBeforeRestart = await h.storage.query<{ n: number }>(
      `select count(*)::int as n from deliveries where subscription_id = $1 and status = 'delivered'`,
      [subscriptionId],
    );
    expect(deliveredBeforeRestart.rows[0]?.n).toBe(0);

    // Two new workers after the restart (several instances); the receiver answers again.
    receiver.mode = 'ok';
    const second = newWorker();
    const third = newWorker();
    second.start();
    third.start();
    await waitFor(
      'every delivery delivered',
      async () => (await pendingCount(subscriptionId)) === 0,
    );
    await Promise.all([second.stop(), third.stop()]);

    const keys = [a1, a2, a3, b1, b2].map((e) => `${subscriptionId}:${e.id}`);
    expect([...receiver.applied].sort()).toEqual([...keys].sort());
    expect(receiver.orderViolations).toEqual([]);
    const appliedEvents = receiver.applied.map((k) => k.split(':')[1]);
    const inOrder = (ids: string[]) =>
      appliedEvents.filter((id) => id !== undefined && ids.includes(id));
    expect(inOrder([a1.id, a2.id, a3.id])).toEqual([a1.id, a2.id, a3.id]);
    expect(inOrder([b1.id, b2.id])).toEqual([b1.id, b2.id]);
    // The key that was in flight at the crash came again; its effect was applied once.
    expect(receiver.duplicates).toBeGreaterThanOrEqual(1);
    expect(receiver.received.every((r) => r.signatureOk)).toBe(true);
    const a2Body = receiver.received.find((r) => r.body.event.id === a2.id)?.body;
    expect(a2Body).toMatchObject({
      event: { id: a2.id, type: 'updated', test: false },
      alert: { id: a1.alertId, severity: 'critical', branchCode: 'KRT', farmCode: 'F-KRT-01' },
    });
    const headers = receiver.received[receiver.received.length - 1]?.headers;
    expect(headers?.['content-type']).toBe('application/json');
    expect(headers?.['x-pledgewatch-event-id']).toMatch(/^\d+$/);
    expect(headers?.['x-pledgewatch-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    // The delivery log tells the story.
    const log = await h.call(
      'krtOfficer',
      'GET',
      `/api/subscriptions/${subscriptionId}/deliveries?limit=10`,
    );
    expect(log.body.items).toHaveLength(5);
    for (const item of log.body.items) {
      expect(item).toMatchObject({ status: 'delivered', lastStatusCode: 204, lastError: null });
      // The first event of each alert went through the outage; the later ones waited their turn.
      if (item.alertEventId === a1.id || item.alertEventId === b1.id) {
        expect(item.attempts).toBeGreaterThan(1);
      }
    }
    const oneDelivery = log.body.items.find(
      (item: { alertEventId: string }) => item.alertEventId === a1.id,
    );
    const detail = await h.call(
      'krtOfficer',
      'GET',
      `/api/subscriptions/${subscriptionId}/deliveries/${oneDelivery.id}`,
    );
    const errors = (
      detail.body.attemptLog as Array<{ error: string | null; statusCode: number | null }>
    ).map((a) => a.error ?? String(a.statusCode));
    expect(errors.some((e) => e.includes('ECONNREFUSED'))).toBe(true);
    expect(errors[errors.length - 1]).toBe('204');
  });

  it('gives up after N tries, shows the dead delivery, and sends it again on retry', async () => {
    let secret = '';
    const receiver = new Receiver(() => secret);
    receivers.push(receiver);
    receiver.mode = 'unavailable';
    await receiver.listen();
    const created = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'webhook',
      url: receiver.url,
      farmId: await h.idOf('farms', 'code', 'F-KRT-02'),
    });
    secret = created.body.signingSecret as string;
    const subscriptionId = created.body.id as string;
    const event = await writeTestAlertEvent(h.storage, {
      farmCode: 'F-KRT-02',
      kind: 'battery_low',
    });
    const later = await writeTestAlertEvent(h.storage, {
      farmCode: 'F-KRT-02',
      kind: 'battery_low',
      alertId: event.alertId,
    });
    const worker = newWorker({ maxAttempts: 3 });
    worker.start();
    const base = `/api/subscriptions/${subscriptionId}/deliveries`;
    await waitFor('a dead delivery', async () => {
      const dead = await h.call('krtOfficer', 'GET', `${base}?status=dead`);
      return dead.body.items.length === 1;
    });
    const dead = await h.call('krtOfficer', 'GET', `${base}?status=dead`);
    expect(dead.body.items[0]).toMatchObject({
      alertEventId: event.id,
      status: 'dead',
      attempts: 3,
      lastStatusCode: 503,
      lastError: 'HTTP 503 Service Unavailable',
    });
    // The later event of the same alert waits behind the dead one, untried.
    const pending = await h.call('krtOfficer', 'GET', `${base}?status=pending`);
    expect(pending.body.items).toEqual([
      expect.objectContaining({ alertEventId: later.id, attempts: 0 }),
    ]);
    expect(receiver.received.filter((r) => r.body.event.id === later.id)).toEqual([]);

    receiver.mode = 'ok';
    const retried = await h.call('krtOfficer', 'POST', `${base}/${dead.body.items[0].id}/retry`);
    expect(retried.status).toBe(200);
    await waitFor('both delivered', async () => (await pendingCount(subscriptionId)) === 0);
    expect(receiver.applied).toEqual([
      `${subscriptionId}:${event.id}`,
      `${subscriptionId}:${later.id}`,
    ]);
    expect(receiver.orderViolations).toEqual([]);
    await worker.stop();
  });

  it('sends a marked test alert through the same path', async () => {
    let secret = '';
    const receiver = new Receiver(() => secret);
    receivers.push(receiver);
    await receiver.listen();
    const created = await h.call('aalOfficer', 'POST', '/api/subscriptions', {
      channel: 'webhook',
      url: receiver.url,
    });
    secret = created.body.signingSecret as string;
    const worker = newWorker();
    worker.start();
    const test = await h.call('aalOfficer', 'POST', `/api/subscriptions/${created.body.id}/test`);
    expect(test.status).toBe(202);
    await waitFor('the test alert', async () => receiver.received.length === 1);
    const [got] = receiver.received;
    expect(got?.signatureOk).toBe(true);
    expect(got?.headers['x-pledgewatch-test']).toBe('true');
    expect(got?.body).toMatchObject({
      event: { type: 'test', test: true },
      alert: { kind: 'test', branchCode: 'AAL', title: 'Test alert' },
    });
    await waitFor('delivered', async () => (await pendingCount(created.body.id as string)) === 0);
    await worker.stop();
  });

  it('publishes MQTT subscriptions to the branch and farm topic, QoS 1, not retained', async () => {
    const broker: RunningBroker = await createBroker<{ name: string }>({
      tcp: { host: '127.0.0.1', port: 0 },
      authenticate: async (_client, username) =>
        username === 'reader' ? { name: 'reader' } : null,
      authorizeSubscribe: (_identity, topic) => topic.startsWith('pledgewatch/alerts/'),
    });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.tcp.port}`, {
      username: 'reader',
      password: 'x',
      reconnectPeriod: 0,
    });
    try {
      const created = await h.call('aalOfficer', 'POST', '/api/subscriptions', {
        channel: 'mqtt',
        farmId: await h.idOf('farms', 'code', 'F-AAL-01'),
      });
      expect(created.body.target).toBe('pledgewatch/alerts/AAL/F-AAL-01');
      const messages: Array<{ topic: string; body: DeliveryBody; retain: boolean; qos: number }> =
        [];
      client.on('message', (topic, payload, packet) => {
        messages.push({
          topic,
          body: JSON.parse(payload.toString('utf8')) as DeliveryBody,
          retain: packet.retain,
          qos: packet.qos,
        });
      });
      await client.subscribeAsync(created.body.target as string, { qos: 1 });
      const worker = newWorker({
        publishAlert: (topic, payload) => broker.publish(topic, payload, { qos: 1, retain: false }),
      });
      worker.start();
      const event = await writeTestAlertEvent(h.storage, {
        farmCode: 'F-AAL-01',
        kind: 'herd_count_below_pledge',
        severity: 'critical',
      });
      worker.wake();
      await waitFor('the MQTT message', async () => messages.length >= 1);
      expect(messages[0]).toMatchObject({
        topic: 'pledgewatch/alerts/AAL/F-AAL-01',
        retain: false,
        qos: 1,
        body: { event: { id: event.id }, alert: { kind: 'herd_count_below_pledge' } },
      });
      await waitFor('delivered', async () => (await pendingCount(created.body.id as string)) === 0);
      await worker.stop();
    } finally {
      await client.endAsync();
      await broker.close();
    }
  });

  it('publishes through the service MQTT edge to readers of their own branch; gateways cannot read', async () => {
    const config = loadConfig({
      PW_DATA_DIR: h.dataDir,
      PW_MQTT_HOST: '127.0.0.1',
      PW_MQTT_PORT: '0',
      PW_MQTT_WS_PORT: '0',
    });
    const edge = await startMqttEdge({ config, storage: h.storage, logger: silentLogger });
    const key = newApiKey();
    await h.storage.query(
      `insert into api_keys (user_id, name, prefix, key_hash)
       select id, 'mqtt reader', $2, $3 from users where email = $1`,
      ['lies.vermeulen@pledgewatch.example', key.prefix, key.secretHash],
    );
    const secrets = JSON.parse(
      await readFile(path.join(h.dataDir, 'demo-gateway-secrets.json'), 'utf8'),
    ) as Record<string, string>;
    const reader = await mqtt.connectAsync(edge.endpoints.url, {
      username: 'apikey',
      password: key.key,
      reconnectPeriod: 0,
    });
    const gateway = await mqtt.connectAsync(edge.endpoints.url, {
      username: 'GW-KRT-01',
      password: secrets['GW-KRT-01'] ?? '',
      reconnectPeriod: 0,
    });
    const worker = newWorker({ publishAlert: edge.publishAlert });
    try {
      await expect(
        mqtt.connectAsync(edge.endpoints.url, {
          username: 'apikey',
          password: 'pwk_nonsense',
          reconnectPeriod: 0,
        }),
      ).rejects.toThrow();
      const granted = await reader.subscribeAsync('pledgewatch/alerts/KRT/#', { qos: 1 });
      expect(granted[0]?.qos).toBe(1);
      // Refused filters get a failure SUBACK (0x80); the connection stays.
      await expect(reader.subscribeAsync('pledgewatch/alerts/AAL/#', { qos: 1 })).rejects.toThrow(
        /Subscribe error/,
      );
      await expect(gateway.subscribeAsync('pledgewatch/alerts/#', { qos: 1 })).rejects.toThrow(
        /Subscribe error/,
      );

      const got: Array<{ topic: string; body: DeliveryBody }> = [];
      reader.on('message', (topic, payload) =>
        got.push({ topic, body: JSON.parse(payload.toString('utf8')) as DeliveryBody }),
      );
      const created = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
        channel: 'mqtt',
        kinds: ['mass_exit'],
      });
      expect(created.body.target).toBe('pledgewatch/alerts/KRT/+');
      worker.start();
      const event = await writeTestAlertEvent(h.storage, {
        farmCode: 'F-KRT-02',
        kind: 'mass_exit',
        severity: 'critical',
      });
      worker.wake();
      await waitFor('the alert on the topic', async () => got.length >= 1);
      expect(got[0]).toMatchObject({
        topic: 'pledgewatch/alerts/KRT/F-KRT-02',
        body: { event: { id: event.id }, alert: { kind: 'mass_exit', branchCode: 'KRT' } },
      });
      await waitFor('delivered', async () => (await pendingCount(created.body.id as string)) === 0);
    } finally {
      await worker.stop();
      await reader.endAsync();
      await gateway.endAsync();
      await edge.stop(1_000);
    }
  });
});
