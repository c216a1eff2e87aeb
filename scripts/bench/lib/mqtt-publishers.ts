/**
 * The load generator of the `mqtt-ingest` bench suite, run as a child process (`fork` with
 * `--import tsx`) so that its CPU is not counted as the service's. It holds a pool of gateway
 * connections (mqtt.js, TCP_NODELAY) and, on request, publishes ear-tag readings at QoS 1 over
 * them, either as fast as the broker acknowledges (a window of unacknowledged messages per
 * connection) or paced at a fixed total rate.
 *
 * Each reading goes to `{root}/{farmCode}/tags/{tagId}/reading` with a tag id of the run (unique,
 * or cycling over `tagCount` tags)
 * and `observedAt` = the publish time (epoch ms), so the service side can compute the
 * publish-to-commit lag of every stored row without a shared table of message ids.
 *
 * Protocol over the IPC channel: the parent sends one `PublisherCommand` at a time and waits for
 * its `PublisherReply`.
 */
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { epochMs } from './counter.ts';

export interface PublisherGateway {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  readonly farmCode: string;
}

export type PublisherCommand =
  | {
      readonly type: 'connect';
      readonly url: string;
      readonly gateways: readonly PublisherGateway[];
      /** Connections opened at once (the embedded broker hashes each gateway's secret once). */
      readonly parallelConnects: number;
    }
  | {
      readonly type: 'publish';
      /** First topic segment: `farms` for the service, another for the broker-only baseline. */
      readonly topicRoot: string;
      readonly runId: string;
      readonly count: number;
      /** Total messages per second over all connections; null: as fast as acknowledged. */
      readonly ratePerSecond: number | null;
      /** Unacknowledged messages allowed per connection. */
      readonly windowPerConnection: number;
      /** Stop publishing after this long (what was published is still awaited). */
      readonly maxMs: number;
      /**
       * Cycle over this many tags (`{runId}-{0..tagCount-1}`), each at a fixed position, instead
       * of a new tag per reading: lets the tags be pledged, so the herd monitor sees them.
       */
      readonly tagCount?: number;
    }
  | { readonly type: 'close' };

export type PublisherReply =
  | { readonly type: 'connected'; readonly connections: number; readonly elapsedMs: number }
  | {
      readonly type: 'published';
      readonly sent: number;
      readonly acked: number;
      /** Epoch ms of the first publish and of the last PUBACK. */
      readonly firstPublishAtMs: number;
      readonly lastAckAtMs: number;
      readonly stoppedByTimeCap: boolean;
      /** Publish -> PUBACK, ms, p50 and p99 (after commit on the embedded broker). */
      readonly ackLagP50Ms: number | null;
      readonly ackLagP99Ms: number | null;
      /** This process's CPU time over the run's wall time (1.0 = one core busy). */
      readonly cpuCores: number;
    }
  | { readonly type: 'closed' }
  | { readonly type: 'failed'; readonly message: string };

let clients: { client: MqttClient; gateway: PublisherGateway }[] = [];

function connectOne(url: string, gateway: PublisherGateway): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: gateway.clientId,
      ...(gateway.username === undefined ? {} : { username: gateway.username }),
      ...(gateway.password === undefined ? {} : { password: gateway.password }),
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 60_000,
      keepalive: 120,
    });
    client.on('packetsend', (packet) => {
      if (packet.cmd === 'connect' && client.stream instanceof Socket) {
        client.stream.setNoDelay(true);
      }
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(new Error(`gateway ${gateway.clientId} could not connect`, { cause: error }));
    });
  });
}

async function connectAll(
  command: Extract<PublisherCommand, { type: 'connect' }>,
): Promise<PublisherReply> {
  const start = performance.now();
  for (let i = 0; i < command.gateways.length; i += command.parallelConnects) {
    const slice = command.gateways.slice(i, i + command.parallelConnects);
    const connected = await Promise.all(slice.map((g) => connectOne(command.url, g)));
    connected.forEach((client, j) => {
      const gateway = slice[j];
      if (gateway !== undefined) clients.push({ client, gateway });
    });
  }
  return {
    type: 'connected',
    connections: clients.length,
    elapsedMs: performance.now() - start,
  };
}

function percentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
}

function publishAll(
  command: Extract<PublisherCommand, { type: 'publish' }>,
): Promise<PublisherReply> {
  return new Promise((resolve) => {
    const lags = new Float64Array(command.count);
    let sent = 0;
    let acked = 0;
    let stoppedByTimeCap = false;
    let lastAckAtMs = 0;
    let failures = 0;
    let finished = false;
    const inFlight = new Array<number>(clients.length).fill(0);
    const firstPublishAtMs = epochMs();
    const startedAt = performance.now();
    const cpuStart = process.cpuUsage();

    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(pacer);
      const sorted = lags.slice(0, acked).sort();
      const cpu = process.cpuUsage(cpuStart);
      const wallMs = performance.now() - startedAt;
      resolve({
        type: 'published',
        sent,
        acked,
        firstPublishAtMs,
        lastAckAtMs,
        stoppedByTimeCap,
        ackLagP50Ms: percentile(sorted, 0.5),
        ackLagP99Ms: percentile(sorted, 0.99),
        cpuCores: wallMs > 0 ? (cpu.user + cpu.system) / 1000 / wallMs : 0,
      });
    };
    const mayPublish = (): boolean => {
      if (sent >= command.count || stoppedByTimeCap) return false;
      if (performance.now() - startedAt >= command.maxMs) {
        stoppedByTimeCap = true;
        if (acked + failures === sent) finish();
        return false;
      }
      return true;
    };

    const publishOn = (index: number): void => {
      const entry = clients[index];
      if (entry === undefined) return;
      const seq = sent;
      sent += 1;
      inFlight[index] = (inFlight[index] ?? 0) + 1;
      const publishedAtMs = epochMs();
      const tag = command.tagCount === undefined ? seq : seq % command.tagCount;
      const tagId = `${command.runId}-${tag}`;
      const payload = JSON.stringify({
        observedAt: new Date(Math.floor(publishedAtMs)).toISOString(),
        lat: 50.005 + (tag % 1000) * 1e-5,
        lon: 3.005 + (tag % 997) * 1e-5,
        batteryPct: 80,
      });
      entry.client.publish(
        `${command.topicRoot}/${entry.gateway.farmCode}/tags/${tagId}/reading`,
        payload,
        { qos: 1 },
        (error) => {
          inFlight[index] = (inFlight[index] ?? 1) - 1;
          if (error) {
            failures += 1;
            process.stderr.write(`publish ${tagId} failed: ${error.message}\n`);
          } else {
            const now = epochMs();
            lags[acked] = now - publishedAtMs;
            acked += 1;
            lastAckAtMs = now;
          }
          if (command.ratePerSecond === null && mayPublish()) publishOn(index);
          else if (acked + failures === sent && !mayPublishLater()) finish();
        },
      );
    };
    const mayPublishLater = (): boolean => sent < command.count && !stoppedByTimeCap;

    // Pacing: every 2 ms, publish what the schedule owes, round-robin over the connections that
    // have room in their window. Unpaced: fill every connection's window once; acks refill it.
    let next = 0;
    const pacer = setInterval(() => {
      if (command.ratePerSecond === null) return;
      const owed = Math.min(
        command.count,
        Math.floor(((performance.now() - startedAt) / 1000) * command.ratePerSecond),
      );
      let tried = 0;
      while (sent < owed && mayPublish() && tried < clients.length) {
        const index = next;
        next = (next + 1) % clients.length;
        if ((inFlight[index] ?? 0) < command.windowPerConnection) {
          publishOn(index);
          tried = 0;
        } else tried += 1;
      }
      if (!mayPublishLater() && acked + failures === sent) finish();
    }, 2);
    if (command.ratePerSecond === null) {
      for (let w = 0; w < command.windowPerConnection; w += 1) {
        for (let index = 0; index < clients.length && mayPublish(); index += 1) publishOn(index);
      }
    }
  });
}

async function closeAll(): Promise<PublisherReply> {
  await Promise.all(
    clients.map(
      ({ client }) => new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
    ),
  );
  clients = [];
  return { type: 'closed' };
}

function reply(message: PublisherReply): void {
  process.send?.(message);
}

process.on('message', (message: PublisherCommand) => {
  const handle =
    message.type === 'connect'
      ? connectAll(message)
      : message.type === 'publish'
        ? publishAll(message)
        : closeAll();
  handle.then(reply, (error: unknown) => {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
    reply({
      type: 'failed',
      message:
        (error instanceof Error ? error.message : String(error)) +
        (cause === null ? '' : `: ${cause.message}`),
    });
  });
  if (message.type === 'close') {
    void handle.finally(() => process.disconnect());
  }
});
