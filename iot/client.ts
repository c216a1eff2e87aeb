/**
 * The service side of an external MQTT 5 broker (mosquitto): a persistent session that keeps
 * QoS 1 messages queued while the service is down, MQTT 5 shared subscriptions so several service
 * instances split the load, and a PUBACK for each message only once `handleMessage` has resolved.
 *
 * Acknowledgements. mqtt.js offers `customHandleAcks` and `handleMessage` for late acks, but both
 * hold its packet pipeline until the ack is sent: one message is handled at a time, and even the
 * PINGRESP and the PUBACKs of our own publishes queue behind a slow handler (measured with
 * mosquitto 2.0.11: ten 200 ms handlers took 2 s, never two at once). Ingest batches many messages
 * into one database commit, so it needs many messages in flight. Hence:
 * - mqtt.js hands each QoS 1 message over at once; its own PUBACK is suppressed (our
 *   `handleMessage` override passes an error to its callback, which skips the PUBACK and lets the
 *   pipeline go on).
 * - Up to `maxInFlight` messages are handled concurrently. It is sent as the MQTT 5 Receive
 *   Maximum, so the broker stops sending (and queues) while that many are unacknowledged: a slow
 *   database slows delivery instead of growing memory.
 * - PUBACKs go out in the order the messages arrived, as MQTT 5 requires [MQTT-4.6.0-2], each once
 *   its own handler and all earlier ones have resolved.
 * - When `handleMessage` rejects (or throws), that message is NOT acknowledged: a PUBACK with an
 *   error reason code would still end the QoS 1 flow, and the broker would never send the message
 *   again. Instead, once every earlier message is settled, the client drops the connection and
 *   reconnects (with backoff that grows while handlers keep failing). The broker resends every
 *   unacknowledged message of the session on reconnect (DUP set), the failed one included.
 *   Messages that were handled after the failed one are not acknowledged either (acks are in
 *   order) and come again: handlers must be idempotent. A handler that can wait out a transient
 *   failure (retrying a database write) should wait rather than reject: the window fills, the
 *   broker queues, nothing is redelivered. A message that can never succeed (bad payload) must
 *   resolve after storing its rejection, or it would be redelivered forever.
 * - A PUBACK belongs to the connection its message arrived on. If that connection is gone, the
 *   ack is dropped and counted, and the broker redelivers the message on the new connection.
 *
 * The session outlives the connection by `sessionExpiryS`: messages published while the service is
 * down are queued by the broker (mosquitto: up to `max_queued_messages`) and delivered on
 * reconnect. Each service instance needs its own stable `clientId`; an instance that never comes
 * back leaves its unacknowledged messages in its session until that expires.
 *
 * Handlers never throw: failures go to the logger and to `stats()`.
 */
import { Socket } from 'node:net';
import mqtt from 'mqtt';
import type {
  DoneCallback,
  IClientOptions,
  IConnackPacket,
  IPublishPacket,
  ISubscriptionGrant,
  MqttClient,
  Packet,
} from 'mqtt';
import { Fifo } from './fifo.ts';

/** The logger shape the client writes to; `server/logger.ts`'s Logger fits it. Silent by default. */
export interface ServiceClientLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface ServiceClientOptions {
  /** Broker URL: mqtt://, mqtts://, ws:// or wss://. Credentials go in username/password. */
  readonly url: string;
  /** Stable per service instance: the broker keeps the session (and its queue) under this id. */
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** Subscribe as `$share/<sharedGroup>/<topic>`: instances in one group split the messages. */
  readonly sharedGroup?: string;
  /** Topic filters, subscribed at QoS 1 on every connect. */
  readonly subscriptions: readonly string[];
  /** Resolves once the message is safely handled (stored): only then is it acknowledged. */
  readonly handleMessage: (topic: string, payload: Buffer) => Promise<void>;
  readonly logger?: ServiceClientLogger;
  /** How long the broker keeps the session after a disconnect, in seconds. Default 86 400. */
  readonly sessionExpiryS?: number;
  /** Messages handled at once (MQTT 5 Receive Maximum), 1-65 535. Default 1 000. */
  readonly maxInFlight?: number;
  /** MQTT keepalive in seconds. Default 30. */
  readonly keepaliveS?: number;
  /** Reconnect backoff: first and longest wait in ms (with jitter). Defaults 100 and 10 000. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  /** `connectServiceClient` rejects if the first connect and subscribe take longer. Default 30 000. */
  readonly connectTimeoutMs?: number;
}

export interface ServiceClientStats {
  readonly connected: boolean;
  /** Successful connects (CONNACK accepted), the first one included. */
  readonly connects: number;
  /** Connections lost or dropped on purpose after being established. */
  readonly disconnects: number;
  /** Errors reported by the connection: refused connects, network and protocol errors. */
  readonly connectionErrors: number;
  /** Reconnects forced because `handleMessage` failed (to make the broker redeliver). */
  readonly forcedReconnects: number;
  /** Messages passed to `handleMessage`; `redelivered` of them carried the DUP flag. */
  readonly received: number;
  readonly redelivered: number;
  /** `handleMessage` resolved / rejected. */
  readonly handled: number;
  readonly handlerFailures: number;
  /** PUBACKs sent. */
  readonly acked: number;
  /** Handled messages whose connection was gone before their PUBACK: the broker redelivers them. */
  readonly acksDropped: number;
  /** Messages received and not yet settled (handler running, or waiting for an earlier one). */
  readonly inFlight: number;
  /** Messages that arrived while closing: left unacknowledged for the next session. */
  readonly ignoredWhileClosing: number;
  readonly subscribeFailures: number;
  /** `publish` calls acknowledged by the broker / failed. */
  readonly published: number;
  readonly publishFailures: number;
}

export interface ServiceClient {
  /**
   * Publishes at QoS 1; resolves on the broker's PUBACK, rejects when it refuses the message (MQTT 5
   * reason code, e.g. not authorized) or the client closes first. While reconnecting, the message
   * waits in memory and goes out on reconnect.
   */
  publish(topic: string, payload: Buffer | string, options?: { retain?: boolean }): Promise<void>;
  stats(): ServiceClientStats;
  /**
   * Stops handling new messages (they stay unacknowledged in the session), waits up to
   * `drainTimeoutMs` (default 10 000) for running handlers and their PUBACKs, then disconnects.
   * The session stays on the broker for `sessionExpiryS`. Idempotent.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<void>;
}

/** CONNACK reason codes that retrying cannot fix: the first connect fails at once on these. */
const permanentConnackCodes = new Set([
  0x84, // unsupported protocol version
  0x85, // client identifier not valid
  0x86, // bad user name or password
  0x87, // not authorized
  0x8a, // banned
  0x8c, // bad authentication method
]);

/** Passed to mqtt.js's handleMessage callback: skips its PUBACK, keeps its pipeline going. */
const ackDeferred = new Error('PUBACK deferred until handleMessage resolves');

const silentLogger: ServiceClientLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

interface Delivery {
  readonly messageId: number;
  state: 'pending' | 'handled' | 'failed';
}

/** One network connection and the messages that arrived on it, in arrival order. */
interface Link {
  readonly stream: MqttClient['stream'];
  /** Up to the Receive Maximum (thousands): a Fifo, since `Array#shift` may copy them all. */
  readonly deliveries: Fifo<Delivery>;
  broken: boolean;
  /** PUBACKs are being gathered for one write (the stream is corked until the next tick). */
  corked: boolean;
}

/**
 * Connects to an external MQTT 5 broker as a service consumer and resolves once the first
 * subscribe is acknowledged. Rejects (closing everything it opened) when the options are invalid,
 * the broker refuses the credentials, or `connectTimeoutMs` passes first; after that, connection
 * losses are retried forever with backoff.
 *
 * @example
 * const client = await connectServiceClient({
 *   url: 'mqtt://127.0.0.1:1883',
 *   clientId: 'pledgewatch-1',
 *   sharedGroup: 'pledgewatch',
 *   subscriptions: ['farms/+/tags/+/reading'],
 *   handleMessage: async (topic, payload) => { await ingest(topic, payload); },
 * });
 */
export async function connectServiceClient(options: ServiceClientOptions): Promise<ServiceClient> {
  const settings = validate(options);
  const logger = options.logger ?? silentLogger;
  const where = { url: redactUrl(options.url), clientId: options.clientId };

  const counters = {
    connects: 0,
    disconnects: 0,
    connectionErrors: 0,
    forcedReconnects: 0,
    received: 0,
    redelivered: 0,
    handled: 0,
    handlerFailures: 0,
    acked: 0,
    acksDropped: 0,
    inFlight: 0,
    ignoredWhileClosing: 0,
    subscribeFailures: 0,
    published: 0,
    publishFailures: 0,
  };
  let link: Link | null = null;
  let failedConnectAttempts = 0;
  /** Consecutive forced reconnects without a successful ack in between: grows the backoff. */
  let failureStreak = 0;
  let wasConnected = false;
  let closing: Promise<void> | null = null;
  const idleWaiters: (() => void)[] = [];
  /** Rejects of publishes awaiting their PUBACK: close() settles them. */
  const pendingPublishes = new Set<(error: Error) => void>();

  // The first connect: resolved by the first SUBACK, failed by a permanent refusal or the timeout.
  const startup = (() => {
    let settled = false;
    let resolve: () => void = () => undefined;
    let reject: (error: Error) => void = () => undefined;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = setTimeout(() => {
      fail(new Error(`no connection within ${settings.connectTimeoutMs} ms`));
    }, settings.connectTimeoutMs);
    function fail(error: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    }
    return {
      done,
      succeed(): void {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      },
      fail,
      cancel(): void {
        fail(new Error('closed before the first connect'));
      },
    };
  })();

  const clientOptions: IClientOptions = {
    protocolVersion: 5,
    clientId: options.clientId,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    // Clean Start off plus a session expiry: the broker keeps our subscriptions and queues QoS 1
    // messages while we are away. No Topic Alias Maximum is sent, so the broker sends full topics.
    clean: false,
    properties: {
      sessionExpiryInterval: settings.sessionExpiryS,
      receiveMaximum: settings.maxInFlight,
    },
    keepalive: settings.keepaliveS,
    // How long one attempt waits for CONNACK.
    connectTimeout: Math.min(settings.connectTimeoutMs, 10_000),
    reconnectPeriod: backoffMs(0),
    // A refused CONNACK (a broker restarting, credentials being rotated) is retried too.
    reconnectOnConnackError: true,
    // We subscribe on every connect ourselves (the 'connect' listener).
    resubscribe: false,
    // Listeners first, then the first connect: no event can come before we listen.
    manualConnect: true,
  };
  const client = mqtt.connect(options.url, clientOptions);

  function backoffMs(attempt: number): number {
    const ceiling = Math.min(
      settings.reconnectMaxMs,
      settings.reconnectMinMs * 2 ** Math.min(attempt, 30),
    );
    // "Equal jitter": between half and all of the ceiling, so instances do not reconnect in step.
    return Math.max(1, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2));
  }
  /** mqtt.js reads reconnectPeriod each time a connection closes. */
  function scheduleNextReconnect(): void {
    client.options.reconnectPeriod = backoffMs(failedConnectAttempts + failureStreak);
  }

  function currentLink(): Link {
    if (link === null || link.stream !== client.stream) {
      link = { stream: client.stream, deliveries: new Fifo(), broken: false, corked: false };
    }
    return link;
  }

  client.handleMessage = (packet: IPublishPacket, callback: DoneCallback): void => {
    // Runs inside mqtt.js's packet pipeline: must not throw, must call back.
    try {
      acceptMessage(packet);
    } catch (error) {
      logger.error('mqtt message could not be dispatched', { ...where, error });
    }
    callback(packet.qos === 1 ? ackDeferred : undefined);
  };

  function acceptMessage(packet: IPublishPacket): void {
    const payload =
      typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (closing !== null) {
      // Not handled and not acknowledged: the broker keeps it for the next session.
      counters.ignoredWhileClosing++;
      return;
    }
    counters.received++;
    if (packet.dup) counters.redelivered++;
    if (packet.qos !== 1 || packet.messageId === undefined) {
      // QoS 0 (nothing to acknowledge); we subscribe at QoS 1, so the broker never sends QoS 2.
      void runHandler(packet.topic, payload);
      return;
    }
    const delivery: Delivery = { messageId: packet.messageId, state: 'pending' };
    const on = currentLink();
    on.deliveries.push(delivery);
    counters.inFlight++;
    void runHandler(packet.topic, payload).then((ok) => {
      delivery.state = ok ? 'handled' : 'failed';
      counters.inFlight--;
      try {
        settle(on);
      } catch (error) {
        logger.error('mqtt acknowledgement failed; the broker will send the message again', {
          ...where,
          error,
        });
      }
      if (counters.inFlight === 0) idleWaiters.splice(0).forEach((wake) => wake());
    });
  }

  /** Resolves true when the handler resolved, false when it failed (never rejects). */
  async function runHandler(topic: string, payload: Buffer): Promise<boolean> {
    try {
      await options.handleMessage(topic, payload);
      counters.handled++;
      return true;
    } catch (error) {
      counters.handlerFailures++;
      logger.error('handleMessage failed; the message stays unacknowledged and comes again', {
        ...where,
        topic,
        error,
      });
      return false;
    }
  }

  /** Acknowledges, in arrival order, every settled message at the head of the link's queue. */
  function settle(on: Link): void {
    for (let head = on.deliveries.peek(); head !== undefined && head.state !== 'pending';) {
      on.deliveries.shift();
      if (head.state === 'handled') {
        sendPuback(on, head.messageId);
      } else if (!on.broken) {
        dropLink(on);
      }
      head = on.deliveries.peek();
    }
  }

  function sendPuback(on: Link, messageId: number): void {
    if (on.broken || on.stream !== client.stream || on.stream.destroyed || !client.connected) {
      counters.acksDropped++;
      return;
    }
    // The messages of one committed batch settle in the same turn: their PUBACKs go out in one
    // socket write, not one each.
    if (!on.corked) {
      on.corked = true;
      on.stream.cork();
      process.nextTick(uncork, on);
    }
    // PUBACK, MQTT 5 section 3.4: fixed header 0x40, remaining length 2, the packet identifier;
    // reason code and properties are omitted when the reason is 0x00 (success).
    on.stream.write(Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]));
    counters.acked++;
    failureStreak = 0;
  }

  function uncork(on: Link): void {
    on.corked = false;
    on.stream.uncork();
  }

  /** Closes the connection without acknowledging, so the broker redelivers on reconnect. */
  function dropLink(on: Link): void {
    on.broken = true;
    if (on.stream !== client.stream || on.stream.destroyed) return; // already gone
    counters.forcedReconnects++;
    failureStreak++;
    scheduleNextReconnect();
    logger.warn('reconnecting so that the broker redelivers the unacknowledged messages', {
      ...where,
      reconnectInMs: client.options.reconnectPeriod,
    });
    on.stream.destroy();
  }

  client.on('packetsend', (packet: Packet) => {
    // CONNECT is the first packet on each new connection: switch Nagle off before anything else
    // is written. (mqtt.js has no option for it; ws:// streams are set up by the ws library.)
    if (packet.cmd === 'connect' && client.stream instanceof Socket) {
      client.stream.setNoDelay(true);
    }
  });

  client.on('connect', (connack: IConnackPacket) => {
    counters.connects++;
    failedConnectAttempts = 0;
    wasConnected = true;
    scheduleNextReconnect();
    logger.info('connected to the MQTT broker', {
      ...where,
      sessionPresent: connack.sessionPresent,
    });
    subscribe();
  });

  client.on('reconnect', () => {
    failedConnectAttempts++;
    scheduleNextReconnect();
    logger.debug('reconnecting to the MQTT broker', { ...where, attempt: failedConnectAttempts });
  });

  client.on('close', () => {
    if (wasConnected) {
      wasConnected = false;
      counters.disconnects++;
      if (closing === null) {
        logger.warn('connection to the MQTT broker lost; reconnecting', {
          ...where,
          reconnectInMs: client.options.reconnectPeriod,
          inFlight: counters.inFlight,
        });
      }
    }
  });

  client.on('error', (error: Error & { code?: unknown }) => {
    counters.connectionErrors++;
    logger.warn('MQTT connection error', { ...where, error: error.message, code: error.code });
    if (typeof error.code === 'number' && permanentConnackCodes.has(error.code)) {
      startup.fail(
        new Error(`the broker refused the connection: ${error.message}`, { cause: error }),
      );
    }
  });

  function subscribe(): void {
    const filters = options.subscriptions.map((topic) =>
      options.sharedGroup === undefined ? topic : `$share/${options.sharedGroup}/${topic}`,
    );
    const stream = client.stream;
    // rh 1: retained messages only when the subscription is new, not on every reconnect.
    client.subscribe(filters, { qos: 1, rh: 1 }, (error, granted) => {
      if (error !== null && (client.stream !== stream || stream.destroyed)) {
        // The connection went before the SUBACK (closing, or a forced reconnect): the next
        // connect subscribes again, and a persistent session kept the subscription anyway.
        logger.debug('subscribe interrupted by a disconnect', { ...where, error: error.message });
        return;
      }
      const refused = (granted ?? []).filter((grant: ISubscriptionGrant) => grant.qos > 1);
      if (error === null && refused.length === 0) {
        logger.debug('subscribed', { ...where, filters });
        startup.succeed();
        return;
      }
      counters.subscribeFailures++;
      const reason =
        error?.message ?? `refused: ${refused.map((g) => `${g.topic} (${g.qos})`).join(', ')}`;
      logger.error('MQTT subscribe failed', { ...where, filters, reason });
      startup.fail(new Error(`subscribe to ${filters.join(', ')} failed: ${reason}`));
    });
  }

  function waitIdle(timeoutMs: number): Promise<void> {
    if (counters.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  function close(closeOptions: { drainTimeoutMs?: number } = {}): Promise<void> {
    if (closing !== null) return closing;
    const drainTimeoutMs = closeOptions.drainTimeoutMs ?? 10_000;
    startup.cancel();
    closing = (async () => {
      await waitIdle(drainTimeoutMs);
      if (counters.inFlight > 0) {
        logger.warn('closing with messages still being handled; the broker will send them again', {
          ...where,
          inFlight: counters.inFlight,
        });
      }
      await new Promise<void>((resolve) => {
        if (!client.connected) {
          // Reconnecting or never connected: nothing to say goodbye on; stop any attempt.
          client.end(true, () => resolve());
          return;
        }
        // A normal DISCONNECT keeps the session (session expiry > 0). If the broker does not
        // answer in time (or our publishes are never acknowledged), cut the socket.
        const force = setTimeout(() => {
          client.stream.destroy();
          resolve();
        }, 2_000);
        client.end(false, () => {
          clearTimeout(force);
          resolve();
        });
      });
      const unanswered = [...pendingPublishes];
      pendingPublishes.clear();
      for (const reject of unanswered) {
        reject(new Error('the MQTT client closed before the broker acknowledged the publish'));
      }
      logger.info('MQTT client closed', where);
    })();
    return closing;
  }

  function publish(
    topic: string,
    payload: Buffer | string,
    publishOptions: { retain?: boolean } = {},
  ): Promise<void> {
    if (closing !== null) {
      return Promise.reject(new Error(`publish to ${topic}: the MQTT client is closing`));
    }
    return new Promise<void>((resolve, reject) => {
      pendingPublishes.add(reject);
      client.publish(
        topic,
        payload,
        { qos: 1, retain: publishOptions.retain ?? false },
        (error) => {
          if (!pendingPublishes.delete(reject)) return; // already rejected by close()
          if (error === undefined || error === null) {
            counters.published++;
            resolve();
          } else {
            counters.publishFailures++;
            reject(new Error(`publish to ${topic} failed: ${error.message}`, { cause: error }));
          }
        },
      );
    });
  }

  client.connect();
  try {
    await startup.done;
  } catch (error) {
    await close({ drainTimeoutMs: 0 });
    throw new Error(
      `cannot connect to the MQTT broker ${where.url} as ${options.clientId}: ${(error as Error).message}`,
      { cause: error },
    );
  }

  return {
    publish,
    close,
    stats: () => ({ ...counters, connected: client.connected }),
  };
}

interface Settings {
  readonly sessionExpiryS: number;
  readonly maxInFlight: number;
  readonly keepaliveS: number;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  readonly connectTimeoutMs: number;
}

/** Checks every option before anything is opened; messages name the option, value and rule. */
function validate(options: ServiceClientOptions): Settings {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (error) {
    throw new RangeError(`url ${JSON.stringify(options.url)} is not a URL`, { cause: error });
  }
  if (!['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new RangeError(
      `url scheme ${JSON.stringify(url.protocol)} must be one of mqtt:, mqtts:, ws:, wss:`,
    );
  }
  if (options.clientId === '') {
    throw new RangeError('clientId must not be empty: a persistent session needs a stable id');
  }
  if (options.sharedGroup !== undefined && !/^[^/+#]+$/.test(options.sharedGroup)) {
    throw new RangeError(
      `sharedGroup ${JSON.stringify(options.sharedGroup)} must be non-empty without '/', '+' or '#'`,
    );
  }
  if (options.subscriptions.length === 0) {
    throw new RangeError('subscriptions must name at least one topic filter');
  }
  for (const topic of options.subscriptions) {
    if (topic === '' || topic.startsWith('$share/')) {
      throw new RangeError(
        `subscription ${JSON.stringify(topic)} must be a non-empty topic filter without $share/ (use sharedGroup)`,
      );
    }
  }
  const int = (
    name: string,
    value: number | undefined,
    fallback: number,
    min: number,
    max: number,
  ) => {
    const chosen = value ?? fallback;
    if (!Number.isInteger(chosen) || chosen < min || chosen > max) {
      throw new RangeError(`${name} ${chosen} must be an integer in [${min}, ${max}]`);
    }
    return chosen;
  };
  const settings: Settings = {
    sessionExpiryS: int('sessionExpiryS', options.sessionExpiryS, 86_400, 1, 0xffffffff),
    maxInFlight: int('maxInFlight', options.maxInFlight, 1_000, 1, 0xffff),
    keepaliveS: int('keepaliveS', options.keepaliveS, 30, 0, 0xffff),
    reconnectMinMs: int('reconnectMinMs', options.reconnectMinMs, 100, 1, 3_600_000),
    reconnectMaxMs: int('reconnectMaxMs', options.reconnectMaxMs, 10_000, 1, 3_600_000),
    connectTimeoutMs: int('connectTimeoutMs', options.connectTimeoutMs, 30_000, 1, 3_600_000),
  };
  if (settings.reconnectMaxMs < settings.reconnectMinMs) {
    throw new RangeError(
      `reconnectMaxMs ${settings.reconnectMaxMs} must be at least reconnectMinMs ${settings.reconnectMinMs}`,
    );
  }
  return settings;
}

/** The URL for logs: any password in it replaced. */
function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
