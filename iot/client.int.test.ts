/**
 * The service client against a real mosquitto over TCP: the broker given in PW_TEST_MQTT_URL, or
 * one this file starts with scripts/mosquitto.sh on a free port (and stops at the end). Without
 * either, the tests fail and say how to get a broker; they never skip.
 *
 * With an external broker the publisher's PUBACK comes from the broker, not from us, so the ack
 * semantics are tested by what the broker does next: an unacknowledged message comes again when
 * the service reconnects, an acknowledged one does not.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectServiceClient, type ServiceClient, type ServiceClientOptions } from './client.ts';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', 'scripts', 'mosquitto.sh');
const HOW_TO_GET_A_BROKER =
  'no MQTT broker for the external-broker tests: run them with `npm test` (as root it installs ' +
  "Debian's mosquitto and starts a throwaway broker), install mosquitto yourself " +
  '(sudo scripts/install-mosquitto.sh) so this test starts its own, or set PW_TEST_MQTT_URL to an ' +
  'MQTT 5 broker (mqtt://host:port) that accepts anonymous clients.';

interface TestBroker {
  readonly url: string;
  stop(): Promise<void>;
}

/** A throwaway mosquitto from scripts/mosquitto.sh; `args` go before DIR (e.g. --auth FILE). */
async function startMosquitto(args: readonly string[] = []): Promise<TestBroker> {
  if (!existsSync(process.env['MOSQUITTO_BIN'] ?? '/usr/sbin/mosquitto')) {
    throw new Error(HOW_TO_GET_A_BROKER);
  }
  const dir = await mkdtemp(join(tmpdir(), 'pw-mosquitto-'));
  try {
    const { stdout } = await run('bash', [script, 'start', ...args, dir], { timeout: 20_000 });
    return {
      url: stdout.trim(),
      stop: async () => {
        await run('bash', [script, 'stop', dir], { timeout: 20_000 });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${script} start failed: ${(error as Error).message}\n${HOW_TO_GET_A_BROKER}`, {
      cause: error,
    });
  }
}

const runId = randomBytes(4).toString('hex');
/** Topics and client ids unique to this run, so a shared PW_TEST_MQTT_URL broker stays clean. */
const topicRoot = `pwtest/${runId}`;
const clientIdFor = (name: string) => `pw-${runId}-${name}`;

let broker: TestBroker | null = null;
let brokerUrl = '';
const opened: ServiceClient[] = [];
const gateways: MqttClient[] = [];

beforeAll(async () => {
  const given = process.env['PW_TEST_MQTT_URL'];
  if (given !== undefined && given !== '') {
    brokerUrl = given;
  } else {
    broker = await startMosquitto();
    brokerUrl = broker.url;
  }
}, 30_000);

afterAll(async () => {
  // Whatever a failed test left open: each test closes its own clients on success.
  await Promise.all(opened.map((client) => client.close({ drainTimeoutMs: 0 })));
  await Promise.all(gateways.map((gateway) => gateway.endAsync(true)));
  await broker?.stop();
}, 30_000);

/** A service client with quick test timings; closed at the end of the file if a test fails. */
async function service(
  options: Pick<ServiceClientOptions, 'clientId' | 'subscriptions' | 'handleMessage'> &
    Partial<ServiceClientOptions>,
): Promise<ServiceClient> {
  const client = await connectServiceClient({
    url: brokerUrl,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    connectTimeoutMs: 10_000,
    ...options,
  });
  opened.push(client);
  return client;
}

/** A gateway: a plain mqtt.js client publishing at QoS 1, acknowledged by the broker. */
async function gateway(url = brokerUrl, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: clientIdFor(`gw-${randomBytes(3).toString('hex')}`),
    reconnectPeriod: 0,
    ...options,
  });
  gateways.push(client);
  return client;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reconnects under `clientId` and publishes a marker: the broker resends a session's unacknowledged
 * messages before anything new, so whatever arrives before the marker was owed from before.
 */
async function redeliveredAfterReconnect(
  clientId: string,
  topic: string,
  filter: string,
): Promise<string[]> {
  const got: string[] = [];
  const again = await service({
    clientId,
    subscriptions: [filter],
    handleMessage: async (_topic, payload) => {
      got.push(payload.toString());
    },
  });
  const publisher = await gateway();
  await publisher.publishAsync(topic, 'marker', { qos: 1 });
  await waitFor('the marker', () => got.includes('marker'));
  await again.close();
  await publisher.endAsync();
  return got.filter((payload) => payload !== 'marker');
}

describe('connectServiceClient against mosquitto', () => {
  it('acknowledges a message only after handleMessage resolves: unacknowledged, it comes again', async () => {
    const clientId = clientIdFor('ack');
    const topic = `${topicRoot}/ack/m`;
    const seen: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = await service({
      clientId,
      subscriptions: [`${topicRoot}/ack/#`],
      handleMessage: async (_topic, payload) => {
        seen.push(payload.toString());
        await gate;
      },
    });
    const publisher = await gateway();
    await publisher.publishAsync(topic, 'reading-1', { qos: 1 });
    await waitFor('the first delivery', () => seen.length === 1);
    expect(first.stats()).toMatchObject({ received: 1, inFlight: 1, acked: 0 });

    // The service goes away while its handler still runs (a crash, an impatient shutdown).
    await first.close({ drainTimeoutMs: 0 });
    release();
    await waitFor('the late handler to settle', () => first.stats().inFlight === 0);
    expect(first.stats()).toMatchObject({ handled: 1, acked: 0, acksDropped: 1 });

    // The broker kept the message in the session and sends it again, flagged as a duplicate.
    const redelivered: string[] = [];
    const second = await service({
      clientId,
      subscriptions: [`${topicRoot}/ack/#`],
      handleMessage: async (_topic, payload) => {
        redelivered.push(payload.toString());
      },
    });
    await waitFor('the redelivery', () => second.stats().acked === 1);
    expect(redelivered).toEqual(['reading-1']);
    expect(second.stats()).toMatchObject({ received: 1, redelivered: 1, handled: 1, acked: 1 });
    await second.close();

    // Acknowledged now: a third session gets nothing owed.
    expect(await redeliveredAfterReconnect(clientId, topic, `${topicRoot}/ack/#`)).toEqual([]);
    await publisher.endAsync();
  }, 30_000);

  it('does not acknowledge a message whose handler fails: it reconnects and gets it again', async () => {
    const clientId = clientIdFor('fail');
    const topic = `${topicRoot}/fail/m`;
    let attempts = 0;
    const stored: string[] = [];
    const errors: { message: string; fields?: Record<string, unknown> }[] = [];
    const client = await service({
      clientId,
      subscriptions: [`${topicRoot}/fail/#`],
      handleMessage: async (_topic, payload) => {
        attempts++;
        if (attempts <= 2) throw new Error('database is down');
        stored.push(payload.toString());
      },
      logger: {
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: (message, fields) => errors.push({ message, fields }),
      },
    });
    const publisher = await gateway();
    await publisher.publishAsync(topic, 'reading-1', { qos: 1 });
    await waitFor('the message to be stored', () => client.stats().acked === 1);

    expect(stored).toEqual(['reading-1']);
    expect(client.stats()).toMatchObject({
      received: 3,
      redelivered: 2,
      handlerFailures: 2,
      forcedReconnects: 2,
      connects: 3,
      handled: 1,
      acked: 1,
    });
    expect(errors.map(({ fields }) => (fields?.['error'] as Error).message)).toEqual([
      'database is down',
      'database is down',
    ]);
    await client.close();
    expect(await redeliveredAfterReconnect(clientId, topic, `${topicRoot}/fail/#`)).toEqual([]);
    await publisher.endAsync();
  }, 30_000);

  it('loses nothing while handlers fail for a while (a database outage)', async () => {
    const clientId = clientIdFor('outage');
    const topic = `${topicRoot}/outage/m`;
    const count = 500;
    const stored = new Map<string, number>();
    let downUntil = 0;
    const client = await service({
      clientId,
      subscriptions: [`${topicRoot}/outage/#`],
      handleMessage: async (_topic, payload) => {
        await sleep(Math.random() * 5);
        if (Date.now() < downUntil) throw new Error('database is down');
        const key = payload.toString();
        stored.set(key, (stored.get(key) ?? 0) + 1);
      },
    });
    const publisher = await gateway();
    const publishes: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      // The database goes away a fifth of the way in, for 400 ms, while gateways keep publishing.
      if (i === count / 5) downUntil = Date.now() + 400;
      if (i % 50 === 0) await sleep(20);
      publishes.push(publisher.publishAsync(topic, `r${i}`, { qos: 1 }));
    }
    await Promise.all(publishes);
    await waitFor('every reading stored', () => stored.size === count, 20_000);
    await waitFor('nothing left in flight', () => client.stats().inFlight === 0);

    const stats = client.stats();
    expect(stats.handlerFailures).toBeGreaterThan(0);
    expect(stats.forcedReconnects).toBeGreaterThan(0);
    // At least once: a message handled after a failed one is redelivered too (acks are in order).
    expect(stats.handled).toBeGreaterThanOrEqual(count);
    await client.close();
    expect(await redeliveredAfterReconnect(clientId, topic, `${topicRoot}/outage/#`)).toEqual([]);
    await publisher.endAsync();
  }, 30_000);

  it('close() lets running handlers finish and acknowledges them first', async () => {
    const clientId = clientIdFor('drain');
    const topic = `${topicRoot}/drain/m`;
    let started = 0;
    const client = await service({
      clientId,
      subscriptions: [`${topicRoot}/drain/#`],
      handleMessage: async () => {
        started++;
        await sleep(200);
      },
    });
    const publisher = await gateway();
    await Promise.all(
      Array.from({ length: 3 }, (_, i) => publisher.publishAsync(topic, `r${i}`, { qos: 1 })),
    );
    await waitFor('the handlers to start', () => started === 3);
    await client.close();
    expect(client.stats()).toMatchObject({ handled: 3, acked: 3, inFlight: 0, acksDropped: 0 });
    expect(await redeliveredAfterReconnect(clientId, topic, `${topicRoot}/drain/#`)).toEqual([]);
    await publisher.endAsync();
  }, 30_000);

  it('handles messages concurrently and acknowledges every one of them', async () => {
    const clientId = clientIdFor('concurrent');
    const topic = `${topicRoot}/concurrent/m`;
    const count = 300;
    let running = 0;
    let maxRunning = 0;
    const handled = new Set<string>();
    const client = await service({
      clientId,
      subscriptions: [`${topicRoot}/concurrent/#`],
      handleMessage: async (_topic, payload) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // Finish out of order: later messages often complete before earlier ones.
        await sleep(Math.random() * 20);
        handled.add(payload.toString());
        running--;
      },
    });
    const publisher = await gateway();
    await Promise.all(
      Array.from({ length: count }, (_, i) => publisher.publishAsync(topic, `r${i}`, { qos: 1 })),
    );
    await waitFor('every ack', () => client.stats().acked === count);

    expect(handled.size).toBe(count);
    expect(maxRunning).toBeGreaterThan(10);
    expect(client.stats()).toMatchObject({
      received: count,
      redelivered: 0,
      inFlight: 0,
      connects: 1,
      connectionErrors: 0,
      forcedReconnects: 0,
    });
    await client.close();
    expect(await redeliveredAfterReconnect(clientId, topic, `${topicRoot}/concurrent/#`)).toEqual(
      [],
    );
    await publisher.endAsync();
  }, 30_000);

  it('holds at most maxInFlight unacknowledged messages: the broker queues the rest', async () => {
    const topic = `${topicRoot}/window/m`;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const client = await service({
      clientId: clientIdFor('window'),
      subscriptions: [`${topicRoot}/window/#`],
      maxInFlight: 5,
      handleMessage: async () => {
        await gate;
      },
    });
    const publisher = await gateway();
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => publisher.publishAsync(topic, `r${i}`, { qos: 1 })),
    );
    await sleep(300);
    expect(client.stats()).toMatchObject({ received: 5, inFlight: 5, acked: 0 });
    release();
    await waitFor('all 50', () => client.stats().acked === 50);
    await client.close();
    await publisher.endAsync();
  }, 30_000);

  it('splits a shared subscription between two instances: 1000 messages, no loss, no duplicate', async () => {
    const topic = `${topicRoot}/shared/farm-1/reading`;
    const group = `pw-${runId}`;
    const count = 1000;
    const received = [new Map<string, number>(), new Map<string, number>()] as const;
    const instances = await Promise.all(
      received.map((seen, i) =>
        service({
          clientId: clientIdFor(`shared-${i}`),
          sharedGroup: group,
          subscriptions: [`${topicRoot}/shared/+/reading`],
          handleMessage: async (_topic, payload) => {
            const key = payload.toString();
            seen.set(key, (seen.get(key) ?? 0) + 1);
          },
        }),
      ),
    );
    const publisher = await gateway();
    await Promise.all(
      Array.from({ length: count }, (_, i) => publisher.publishAsync(topic, `r${i}`, { qos: 1 })),
    );
    const acked = () => instances.reduce((sum, client) => sum + client.stats().acked, 0);
    await waitFor(`${count} acks`, () => acked() === count);

    const [a, b] = received;
    expect(a.size).toBeGreaterThan(0);
    expect(b.size).toBeGreaterThan(0);
    expect(a.size + b.size).toBe(count);
    const all = new Set([...a.keys(), ...b.keys()]);
    expect(all.size).toBe(count); // no message went to both
    expect([...a.values(), ...b.values()].every((n) => n === 1)).toBe(true);
    await sleep(200); // nothing else arrives
    expect(acked()).toBe(count);
    await Promise.all(instances.map((client) => client.close()));
    await publisher.endAsync();
  }, 30_000);

  it("keeps an absent instance's share of a shared subscription in its session until it returns", async () => {
    // mosquitto 2.0 deals shared messages round-robin to every member session, connected or not:
    // while one instance is away its share waits for it (lost only if its session expires).
    const group = `pw-${runId}-away`;
    const topic = `${topicRoot}/away/farm-1/reading`;
    const count = 200;
    const seen = new Map<string, number>();
    const handleMessage = async (_topic: string, payload: Buffer) => {
      const key = payload.toString();
      seen.set(key, (seen.get(key) ?? 0) + 1);
    };
    const options = {
      sharedGroup: group,
      subscriptions: [`${topicRoot}/away/+/reading`],
      handleMessage,
    };
    const staying = await service({ ...options, clientId: clientIdFor('away-0') });
    const leaving = await service({ ...options, clientId: clientIdFor('away-1') });
    await leaving.close();

    const publisher = await gateway();
    await Promise.all(
      Array.from({ length: count }, (_, i) => publisher.publishAsync(topic, `r${i}`, { qos: 1 })),
    );
    await waitFor('the present instance', () => staying.stats().acked > 0);
    await sleep(200);
    const handledWhileAway = staying.stats().acked;
    expect(handledWhileAway).toBeLessThan(count);

    const back = await service({ ...options, clientId: clientIdFor('away-1') });
    await waitFor('every message', () => seen.size === count);
    expect(back.stats().acked).toBe(count - handledWhileAway);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    await Promise.all([staying.close(), back.close()]);
    await publisher.endAsync();
  }, 30_000);

  it.each([
    { name: 'shared', sharedGroup: `pw-${runId}-offline` },
    { name: 'plain', sharedGroup: undefined },
  ])(
    'delivers QoS 1 messages published while the service was away ($name subscription)',
    async ({ name, sharedGroup }) => {
      const clientId = clientIdFor(`offline-${name}`);
      const filter = `${topicRoot}/offline-${name}/#`;
      const topic = `${topicRoot}/offline-${name}/m`;
      const options = { clientId, subscriptions: [filter], sharedGroup };
      const first = await service({ ...options, handleMessage: async () => undefined });
      await first.close();

      const publisher = await gateway();
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => publisher.publishAsync(topic, `r${i}`, { qos: 1 })),
      );

      const got: string[] = [];
      const back = await service({
        ...options,
        handleMessage: async (_topic, payload) => {
          got.push(payload.toString());
        },
      });
      await waitFor('the 100 queued messages', () => back.stats().acked === 100);
      expect(new Set(got).size).toBe(100);
      expect(got).toHaveLength(100);
      await back.close();
      await publisher.endAsync();
    },
    30_000,
  );

  it('publishes at QoS 1 and resolves on the PUBACK', async () => {
    const topic = `${topicRoot}/commands/gw-1`;
    const listener = await gateway();
    await listener.subscribeAsync(topic, { qos: 1 });
    const got: string[] = [];
    listener.on('message', (_topic, payload) => got.push(payload.toString()));
    const client = await service({
      clientId: clientIdFor('publisher'),
      subscriptions: [`${topicRoot}/nothing`],
      handleMessage: async () => undefined,
    });
    await client.publish(topic, JSON.stringify({ transaction: 't-1', command: 'ping' }));
    await waitFor('the command', () => got.length === 1);
    expect(JSON.parse(got[0] ?? '')).toEqual({ transaction: 't-1', command: 'ping' });
    expect(client.stats()).toMatchObject({ published: 1, publishFailures: 0 });
    await client.close();
    await expect(client.publish(topic, 'late')).rejects.toThrow(/closing/);
    await listener.endAsync();
  }, 30_000);

  it('turns TCP_NODELAY on for its connection', async () => {
    const setNoDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    try {
      const client = await service({
        clientId: clientIdFor('nodelay'),
        subscriptions: [`${topicRoot}/nothing`],
        handleMessage: async () => undefined,
      });
      expect(setNoDelay).toHaveBeenCalledWith(true);
      await client.close();
    } finally {
      setNoDelay.mockRestore();
    }
  }, 30_000);

  it('fails to start, leaving nothing open, when no broker answers in time', async () => {
    const port = await freePort();
    const started = Date.now();
    await expect(
      connectServiceClient({
        url: `mqtt://127.0.0.1:${port}`,
        clientId: clientIdFor('nobody'),
        subscriptions: ['x'],
        handleMessage: async () => undefined,
        reconnectMinMs: 20,
        connectTimeoutMs: 500,
      }),
    ).rejects.toThrow(
      /cannot connect to the MQTT broker mqtt:\/\/127\.0\.0\.1:\d+\/? as .*no connection within 500 ms/,
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  }, 30_000);
});

describe('connectServiceClient against mosquitto with passwords and an ACL', () => {
  let secured: TestBroker | null = null;
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pw-mqtt-auth-'));
    await writeFile(join(dir, 'passwd'), 'pledgewatch:service-secret\ngw-1:gateway-secret\n');
    await writeFile(
      join(dir, 'acl'),
      [
        'user pledgewatch',
        'topic readwrite farms/#',
        '',
        'user gw-1',
        'topic write farms/farm-1/#',
        'topic read gateways/gw-1/commands',
        '',
      ].join('\n'),
    );
    secured = await startMosquitto(['--auth', join(dir, 'passwd'), '--acl', join(dir, 'acl')]);
  }, 30_000);

  afterAll(async () => {
    await secured?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('refuses to start with a wrong password, at once and without retrying', async () => {
    const started = Date.now();
    await expect(
      connectServiceClient({
        url: secured?.url ?? '',
        clientId: clientIdFor('wrong-password'),
        username: 'pledgewatch',
        password: 'not-the-secret',
        subscriptions: ['farms/#'],
        handleMessage: async () => undefined,
      }),
    ).rejects.toThrow(/the broker refused the connection: .*Not authorized/);
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 30_000);

  it('receives what a gateway may publish; a publish the ACL denies is rejected', async () => {
    const got: string[] = [];
    const client = await connectServiceClient({
      url: secured?.url ?? '',
      clientId: clientIdFor('secured'),
      username: 'pledgewatch',
      password: 'service-secret',
      sharedGroup: 'pledgewatch',
      subscriptions: ['farms/+/tags/+/reading'],
      handleMessage: async (topic) => {
        got.push(topic);
      },
    });
    opened.push(client);
    const gw = await gateway(secured?.url, { username: 'gw-1', password: 'gateway-secret' });
    await gw.publishAsync('farms/farm-1/tags/t1/reading', '{}', { qos: 1 });
    await expect(gw.publishAsync('farms/farm-2/tags/t1/reading', '{}', { qos: 1 })).rejects.toThrow(
      /Not authorized/,
    );
    await waitFor('the allowed reading', () => got.length === 1);
    expect(got).toEqual(['farms/farm-1/tags/t1/reading']);

    // The service itself may not write to a gateway's command topic under this ACL.
    await expect(client.publish('gateways/gw-1/commands', '{}')).rejects.toThrow(/Not authorized/);
    expect(client.stats()).toMatchObject({ publishFailures: 1 });
    await client.close();
    await gw.endAsync();
  }, 30_000);
});

describe('after the tests', () => {
  it('left no TCP socket open', async () => {
    await Promise.all(opened.map((client) => client.close()));
    await Promise.all(gateways.map((gw) => gw.endAsync()));
    await waitFor(
      'sockets to close',
      () => !process.getActiveResourcesInfo().includes('TCPSocketWrap'),
      3_000,
    );
  }, 30_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
