/**
 * The embedded broker over real sockets on 127.0.0.1 (port 0), driven by the mqtt.js client the
 * gateways and tools use. Every wait is bounded; every client and broker is closed after each test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createBroker,
  type BrokerLogger,
  type BrokerOptions,
  type ConnectingClient,
  type PublishContext,
  type RunningBroker,
} from './broker.ts';
import { decodeGatewayStatus } from './gateway-status.ts';
import { matchTopic, topicDirection, topicFor } from './topics.ts';

interface Gateway {
  readonly code: string;
  readonly farmCode: string;
}

const secret = 'hunter2-s3cret';
const gateways = new Map<string, Gateway>([
  ['GW-1', { code: 'GW-1', farmCode: 'F-KRT-01' }],
  ['GW-2', { code: 'GW-2', farmCode: 'F-KRT-02' }],
]);
const readingTopic = topicFor.tagReading('F-KRT-01', 'BE-0001');
const readingPayload = JSON.stringify({
  observedAt: '2026-11-22T09:58:00Z',
  lat: 50.8159,
  lon: 3.0238,
});

interface Handled {
  readonly identity: Gateway;
  readonly topic: string;
  readonly payload: string;
  readonly context: PublishContext;
}

interface LogEntry {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

let brokers: RunningBroker[] = [];
let clients: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await Promise.all(brokers.map((b) => b.close()));
  clients = [];
  brokers = [];
});

/** A broker with the gateway policy the service will use; options override any hook. */
async function startBroker(overrides: Partial<BrokerOptions<Gateway>> = {}): Promise<{
  broker: RunningBroker;
  handled: Handled[];
  logs: LogEntry[];
  connects: ConnectingClient[];
}> {
  const handled: Handled[] = [];
  const logs: LogEntry[] = [];
  const connects: ConnectingClient[] = [];
  const log =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logs.push({ level, message, fields });
    };
  const logger: BrokerLogger = { info: log('info'), warn: log('warn'), error: log('error') };
  const broker = await createBroker<Gateway>({
    tcp: { host: '127.0.0.1', port: 0 },
    connectTimeoutMs: 5_000,
    logger,
    authenticate: async (client, username, password) => {
      connects.push(client);
      const gateway = username === undefined ? undefined : gateways.get(username);
      return gateway !== undefined && password?.toString() === secret ? gateway : null;
    },
    authorizePublish: (gateway, topic) => {
      const match = matchTopic(topic);
      return (
        match !== null &&
        topicDirection(match.kind) === 'uplink' &&
        match.farmId === gateway.farmCode
      );
    },
    authorizeSubscribe: (gateway, topic) =>
      topic === topicFor.gatewayCommands(gateway.farmCode, gateway.code),
    handlePublish: async (identity, topic, payload, context) => {
      handled.push({ identity, topic, payload: payload.toString(), context });
    },
    ...overrides,
  });
  brokers.push(broker);
  return { broker, handled, logs, connects };
}

/** Connects as GW-1; a connection that closes before CONNACK rejects instead of retrying. */
async function connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = await connectAsync(
    url,
    { username: 'GW-1', password: secret, reconnectPeriod: 0, connectTimeout: 3_000, ...options },
    false,
  );
  clients.push(client);
  return client;
}

function tcpUrl(broker: RunningBroker): string {
  return `mqtt://127.0.0.1:${broker.tcp.port}`;
}

/** Resolves when `predicate` holds, polling; fails after `timeoutMs`. */
async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('createBroker over TCP', { timeout: 20_000 }, () => {
  it('reports the bound port and takes a QoS 1 reading through handlePublish', async () => {
    const { broker, handled, connects } = await startBroker();
    expect(broker.tcp.port).toBeGreaterThan(0);
    const client = await connect(tcpUrl(broker), { clientId: 'gw-1-main' });
    await client.publishAsync(readingTopic, readingPayload, { qos: 1 });

    expect(connects).toEqual([{ id: 'gw-1-main', transport: 'tcp', remoteAddress: '127.0.0.1' }]);
    expect(handled).toEqual([
      {
        identity: gateways.get('GW-1'),
        topic: readingTopic,
        payload: readingPayload,
        context: { clientId: 'gw-1-main', qos: 1, retain: false, dup: false, isWill: false },
      },
    ]);
    expect(broker.stats()).toMatchObject({
      connectsAccepted: 1,
      connectsRefused: 0,
      publishesAccepted: 1,
      publishesHandled: 1,
      publishesFailed: 0,
      connectedClients: 1,
    });
  });

  it('refuses a CONNECT with a wrong password (return code 4) and never logs the password', async () => {
    const { broker, logs } = await startBroker();
    await expect(connect(tcpUrl(broker), { password: 'wrong-password' })).rejects.toMatchObject({
      code: 4,
    });
    await expect(connect(tcpUrl(broker), { username: 'GW-404' })).rejects.toMatchObject({
      code: 4,
    });
    expect(broker.stats()).toMatchObject({ connectsAccepted: 0, connectsRefused: 2 });
    const warnings = logs.filter((l) => l.message.startsWith('mqtt connect refused'));
    expect(warnings.map((l) => l.fields?.['username'])).toEqual(['GW-1', 'GW-404']);
    const text = JSON.stringify(logs);
    expect(text).not.toContain('wrong-password');
    expect(text).not.toContain(secret);
  });

  it('refuses everything with the default hooks', async () => {
    const broker = await createBroker({ tcp: { host: '127.0.0.1', port: 0 } });
    brokers.push(broker);
    await expect(connect(tcpUrl(broker))).rejects.toMatchObject({ code: 4 });
    expect(broker.stats().connectsRefused).toBe(1);
  });

  it('turns a failing authenticate into a refusal (return code 3), counted and logged', async () => {
    const { broker, logs } = await startBroker({
      authenticate: () => Promise.reject(new Error('database unreachable')),
    });
    await expect(connect(tcpUrl(broker))).rejects.toMatchObject({ code: 3 });
    // A hook that throws synchronously is a refusal too, not a crash.
    const thrower = await createBroker<Gateway>({
      tcp: { host: '127.0.0.1', port: 0 },
      authenticate: () => {
        throw new Error('bug');
      },
    });
    brokers.push(thrower);
    await expect(connect(tcpUrl(thrower))).rejects.toMatchObject({ code: 3 });

    expect(broker.stats()).toMatchObject({ connectsRefused: 1, authenticateErrors: 1 });
    expect(thrower.stats()).toMatchObject({ connectsRefused: 1, authenticateErrors: 1 });
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'mqtt connect refused: authenticate failed',
        fields: expect.objectContaining({ error: 'database unreachable' }) as unknown,
      }),
    );
  });

  it("disconnects a gateway that publishes into another farm's topic, counts and logs it", async () => {
    const { broker, handled, logs } = await startBroker();
    const client = await connect(tcpUrl(broker), { clientId: 'gw-1-intruder' });
    const dropped = closed(client);
    const otherFarm = topicFor.tagReading('F-KRT-02', 'BE-0001');
    // MQTT 3.1.1 (MQTT-3.3.5-2): the server closes the connection and sends no PUBACK.
    let acked = false;
    client.publish(otherFarm, readingPayload, { qos: 1 }, (error) => {
      acked = error === undefined;
    });
    await dropped;
    await delay(50);
    expect(acked).toBe(false);

    expect(handled).toEqual([]);
    expect(broker.stats()).toMatchObject({ publishesRefused: 1, publishesAccepted: 0 });
    expect(logs).toContainEqual({
      level: 'warn',
      message: 'mqtt publish refused',
      fields: {
        clientId: 'gw-1-intruder',
        topic: otherFarm,
        isWill: false,
        reason: 'not authorized',
      },
    });
  });

  it('refuses a publish whose authorizePublish throws, and $-topics, without crashing', async () => {
    const { broker } = await startBroker({
      authorizePublish: (_gateway, topic) => {
        if (topic.endsWith('/frame')) throw new Error('bug');
        return true;
      },
    });
    const first = await connect(tcpUrl(broker));
    const firstClosed = closed(first);
    first.publish(topicFor.cameraFrame('F-KRT-01', 'CAM-1'), Buffer.from([0xff, 0xd8]), { qos: 0 });
    await firstClosed;
    const second = await connect(tcpUrl(broker));
    const secondClosed = closed(second);
    second.publish('$SYS/fake', 'x', { qos: 0 });
    await secondClosed;
    expect(broker.stats()).toMatchObject({ publishesRefused: 2, connectsAccepted: 2 });
  });

  it('sends PUBACK only after handlePublish resolves', async () => {
    let resolvedAt = Number.POSITIVE_INFINITY;
    const { broker } = await startBroker({
      handlePublish: async () => {
        await delay(300);
        resolvedAt = performance.now();
      },
    });
    const client = await connect(tcpUrl(broker));
    const start = performance.now();
    await client.publishAsync(readingTopic, readingPayload, { qos: 1 });
    const pubackAt = performance.now();

    expect(pubackAt).toBeGreaterThanOrEqual(resolvedAt);
    // Node may fire a timer up to 1 ms early by its own clock.
    expect(pubackAt - start).toBeGreaterThanOrEqual(299);
  });

  it('does not acknowledge when handlePublish rejects: the client redelivers after reconnecting', async () => {
    const attempts: PublishContext[] = [];
    const { broker, logs } = await startBroker({
      handlePublish: async (_gateway, _topic, _payload, context) => {
        attempts.push(context);
        if (attempts.length === 1) throw new Error('database down');
      },
    });
    const client = await connect(tcpUrl(broker), {
      clientId: 'gw-1-redeliver',
      clean: false,
      reconnectPeriod: 100,
    });
    let acked = false;
    const publish = client.publishAsync(readingTopic, readingPayload, { qos: 1 }).then(() => {
      acked = true;
    });
    await until(() => attempts.length >= 1, 'the first delivery');
    await delay(50);
    expect(acked).toBe(false);

    await publish; // acknowledged after the redelivery on the new connection
    expect(attempts.map((a) => a.clientId)).toEqual(['gw-1-redeliver', 'gw-1-redeliver']);
    expect(broker.stats()).toMatchObject({
      connectsAccepted: 2,
      publishesAccepted: 2,
      publishesFailed: 1,
      publishesHandled: 1,
    });
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'mqtt publish not handled: not acknowledged, closing the connection',
      }),
    );
  });

  it('lets a gateway subscribe only to its own commands, and delivers service publishes', async () => {
    const { broker } = await startBroker();
    const client = await connect(tcpUrl(broker));
    const own = topicFor.gatewayCommands('F-KRT-01', 'GW-1');
    // mqtt.js reports a SUBACK failure (0x80) as an error; the connection stays up.
    await expect(
      client.subscribeAsync(topicFor.gatewayCommands('F-KRT-01', 'GW-9'), { qos: 1 }),
    ).rejects.toThrow('Subscribe error');
    await expect(client.subscribeAsync('farms/#', { qos: 1 })).rejects.toThrow('Subscribe error');
    const granted = await client.subscribeAsync(own, { qos: 1 });
    expect(granted.map((g) => [g.topic, g.qos])).toEqual([[own, 1]]);
    expect(client.connected).toBe(true);

    const received = new Promise<string>((resolve) =>
      client.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)),
    );
    await broker.publish(own, JSON.stringify({ transaction: 't-1', command: 'reboot' }));
    await expect(received).resolves.toBe(`${own} {"transaction":"t-1","command":"reboot"}`);
    expect(broker.stats()).toMatchObject({ subscribesAccepted: 1, subscribesRefused: 2 });
  });

  it('hands the last will to handlePublish when a gateway drops, not when it disconnects', async () => {
    const { broker, handled } = await startBroker();
    const statusTopic = topicFor.gatewayStatus('F-KRT-01', 'GW-1');
    const will = {
      topic: statusTopic,
      payload: Buffer.from('{"status":"offline"}'),
      qos: 1 as const,
      retain: false,
    };

    const polite = await connect(tcpUrl(broker), { clientId: 'gw-1-polite', will });
    await polite.endAsync(); // DISCONNECT: no will
    const dropping = await connect(tcpUrl(broker), { clientId: 'gw-1-drops', will });
    dropping.stream.destroy(); // the network goes away: no DISCONNECT
    await until(() => handled.length > 0, 'the last will');

    expect(handled).toEqual([
      {
        identity: gateways.get('GW-1'),
        topic: statusTopic,
        payload: '{"status":"offline"}',
        context: { clientId: 'gw-1-drops', qos: 1, retain: false, dup: false, isWill: true },
      },
    ]);
    const match = matchTopic(statusTopic);
    if (match?.kind !== 'gateway_status') throw new Error('status topic did not match');
    expect(
      decodeGatewayStatus(
        match,
        Buffer.from(handled[0]?.payload ?? ''),
        { now: new Date(), maxFutureSkewMs: 300_000 },
        { maxBytes: 1024 },
      ),
    ).toEqual({ ok: true, value: { gatewayId: 'GW-1', status: 'offline', at: null } });
  });

  it('publishes no wills while it closes, and waits for running handlers', async () => {
    let finished = false;
    const { broker, handled } = await startBroker({
      handlePublish: async (identity, topic, payload, context) => {
        if (context.isWill) handled.push({ identity, topic, payload: payload.toString(), context });
        else {
          await delay(200);
          finished = true;
        }
      },
    });
    const statusTopic = topicFor.gatewayStatus('F-KRT-01', 'GW-1');
    const client = await connect(tcpUrl(broker), {
      will: {
        topic: statusTopic,
        payload: Buffer.from('{"status":"offline"}'),
        qos: 1,
        retain: false,
      },
    });
    client.publish(readingTopic, readingPayload, { qos: 1 });
    await delay(50);
    await broker.close();
    expect(finished).toBe(true);
    expect(handled).toEqual([]);
  });
});

describe('createBroker over WebSocket', { timeout: 20_000 }, () => {
  it('accepts MQTT over WebSocket on /mqtt next to TCP', async () => {
    const { broker, handled, connects } = await startBroker({
      ws: { host: '127.0.0.1', port: 0 },
    });
    expect(broker.ws).toMatchObject({ host: '127.0.0.1', path: '/mqtt' });
    const port = broker.ws?.port ?? 0;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(broker.tcp.port);

    const client = await connect(`ws://127.0.0.1:${port}/mqtt`, { clientId: 'gw-1-ws' });
    await client.publishAsync(readingTopic, readingPayload, { qos: 1 });
    expect(connects[0]).toEqual({ id: 'gw-1-ws', transport: 'ws', remoteAddress: '127.0.0.1' });
    expect(handled.map((h) => h.topic)).toEqual([readingTopic]);
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const opensslFound = hasOpenssl();

describe('createBroker over TLS', { timeout: 20_000 }, () => {
  it.skipIf(!opensslFound)(
    `accepts mqtts with a self-signed certificate${opensslFound ? '' : ' (SKIPPED: openssl not found on PATH; install it to run this test)'}`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pledgewatch-tls-'));
      try {
        const key = join(dir, 'key.pem');
        const cert = join(dir, 'cert.pem');
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:prime256v1',
            '-nodes',
            '-keyout',
            key,
            '-out',
            cert,
            '-days',
            '1',
            '-subj',
            '/CN=localhost',
            '-addext',
            'subjectAltName=IP:127.0.0.1,DNS:localhost',
          ],
          { stdio: 'ignore', timeout: 10_000 },
        );
        const pem = { key: readFileSync(key), cert: readFileSync(cert) };
        const { broker, handled, connects, logs } = await startBroker({
          tcp: { host: '127.0.0.1', port: 0, tls: pem },
        });
        expect(broker.tcp.tls).toBe(true);

        const client = await connect(`mqtts://127.0.0.1:${broker.tcp.port}`, {
          ca: pem.cert,
          rejectUnauthorized: true,
        });
        await client.publishAsync(readingTopic, readingPayload, { qos: 1 });
        expect(connects[0]?.transport).toBe('tls');
        expect(handled).toHaveLength(1);

        // A plain-TCP client against the TLS port fails the handshake, logged, no crash.
        await expect(
          connect(`mqtt://127.0.0.1:${broker.tcp.port}`, { connectTimeout: 1_000 }),
        ).rejects.toThrow();
        await until(
          () => logs.some((l) => l.message === 'mqtt tls handshake failed'),
          'the handshake failure log',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
