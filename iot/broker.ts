import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';

/** Where a listener binds. Port 0 picks a free port; `RunningBroker` reports the bound one. */
export interface ListenOptions {
  readonly host: string;
  readonly port: number;
}

/** PEM key and certificate: with them, the TCP listener speaks MQTT over TLS (mqtts). */
export interface TlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
}

export type Transport = 'tcp' | 'tls' | 'ws';

/** What is known of a client when it sends CONNECT. */
export interface ConnectingClient {
  /** The MQTT client id from CONNECT. */
  readonly id: string;
  readonly transport: Transport;
  readonly remoteAddress: string | null;
}

/** Facts about one publish, beyond identity, topic and payload. */
export interface PublishContext {
  readonly clientId: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** Set on a redelivery the client already sent once. */
  readonly dup: boolean;
  /** True when this is the client's last will, published because its connection dropped. */
  readonly isWill: boolean;
}

/** Optional structured logger; silent by default. Never receives a password. */
export interface BrokerLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Policy for the broker, injected. Every hook defaults to refusing: with no hooks, no client can
 * connect, publish or subscribe.
 */
export interface BrokerHooks<I extends object> {
  /**
   * Checks CONNECT credentials. Resolve to the client's identity (say, its gateway) to accept it,
   * or to null to refuse with CONNACK return code 4 (bad user name or password). A rejection or
   * throw refuses with return code 3 (server unavailable: the client should retry, the
   * credentials may well be fine), and is counted and logged.
   */
  readonly authenticate?: (
    client: ConnectingClient,
    username: string | undefined,
    password: Buffer | undefined,
  ) => Promise<I | null>;
  /** May this identity publish on this topic? A throw counts as no. Wills are checked too. */
  readonly authorizePublish?: (identity: I, topic: string) => boolean;
  /** May this identity subscribe to this filter? A throw counts as no. */
  readonly authorizeSubscribe?: (identity: I, topic: string) => boolean;
  /**
   * Takes an authorized publish. The broker acknowledges it (PUBACK for QoS 1, PUBREC for QoS 2)
   * only once this resolves, so resolve only when the message is safely stored. When it rejects,
   * the message is NOT acknowledged and the broker closes the client's connection: the client
   * redelivers it (DUP set) when it reconnects, so storage must be idempotent. Default: resolve
   * at once (the broker only routes).
   */
  readonly handlePublish?: (
    identity: I,
    topic: string,
    payload: Buffer,
    context: PublishContext,
  ) => Promise<void>;
}

export interface BrokerOptions<I extends object> extends BrokerHooks<I> {
  /** MQTT over TCP, or over TLS when `tls` is given. */
  readonly tcp: ListenOptions & { readonly tls?: TlsOptions };
  /** MQTT over WebSocket, on `path` (default `/mqtt`, where mqtt.js looks). */
  readonly ws?: ListenOptions & { readonly path?: string };
  /** How long a new connection may take to send CONNECT. Default 30 s. */
  readonly connectTimeoutMs?: number;
  readonly logger?: BrokerLogger;
}

/** Counters since start. */
export interface BrokerStats {
  readonly connectsAccepted: number;
  /** Refused CONNECTs: bad credentials and authenticate failures alike. */
  readonly connectsRefused: number;
  /** The part of `connectsRefused` where `authenticate` threw or rejected. */
  readonly authenticateErrors: number;
  /** Publishes (wills included) that passed authorization and went to `handlePublish`. */
  readonly publishesAccepted: number;
  /** Publishes refused by authorization; the client's connection was closed. */
  readonly publishesRefused: number;
  /** `handlePublish` resolved: acknowledged. */
  readonly publishesHandled: number;
  /** `handlePublish` rejected: not acknowledged, connection closed, client redelivers. */
  readonly publishesFailed: number;
  readonly subscribesAccepted: number;
  readonly subscribesRefused: number;
  readonly connectedClients: number;
}

export interface RunningBroker {
  /** The bound TCP (or TLS) address. */
  readonly tcp: { readonly host: string; readonly port: number; readonly tls: boolean };
  /** The bound WebSocket address, when configured. */
  readonly ws: { readonly host: string; readonly port: number; readonly path: string } | null;
  stats(): BrokerStats;
  /** Publishes from the service itself (e.g. gateway commands); routed, not authorized. */
  publish(
    topic: string,
    payload: Buffer | string,
    options?: { qos?: 0 | 1; retain?: boolean },
  ): Promise<void>;
  /**
   * Stops listening, closes every client connection and aedes, then waits for the
   * `handlePublish` calls still running. Last wills are not published during close: a broker
   * shutdown is not a gateway failure. Idempotent.
   */
  close(): Promise<void>;
}

const silentLogger: BrokerLogger = { info() {}, warn() {}, error() {} };

/**
 * An error the broker hands to aedes to close a client, after it already counted and logged
 * the reason, so the `clientError` event that follows is not logged twice.
 */
class RefusalError extends Error {
  override readonly name = 'RefusalError';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function authError(returnCode: 3 | 4 | 5, message: string): AuthenticateError {
  return Object.assign(new RefusalError(message), { returnCode }) as unknown as AuthenticateError;
}

function listen(server: net.Server, options: ListenOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    // Resolves once every connection has ended too; close() destroys them.
    server.close(() => resolve());
  });
}

/**
 * Starts an embedded aedes MQTT broker (MQTT 3.1 and 3.1.1) on TCP or TLS, and optionally on
 * WebSocket, with device policy injected as hooks.
 *
 * Acknowledgement: aedes runs its `authorizePublish` hook before it writes PUBACK; this factory
 * calls `handlePublish` inside that hook and answers aedes only when it settles. Resolved: PUBACK
 * (and routing to subscribers). Rejected: no PUBACK, the connection is closed, and the client
 * redelivers after reconnecting. A publish refused by `authorizePublish` also closes the
 * connection, without PUBACK: MQTT 3.1.1 (MQTT-3.3.5-2) lets a server either acknowledge and drop
 * a refused publish or close the connection, and aedes does the latter.
 *
 * Sockets get TCP_NODELAY: small acknowledgements must not wait for Nagle's algorithm.
 *
 * @example
 * const broker = await createBroker({
 *   tcp: { host: '127.0.0.1', port: 0 },
 *   authenticate: async (client, username, password) => gateways.check(username, password),
 *   authorizePublish: (gateway, topic) => matchTopic(topic)?.farmId === gateway.farmCode,
 *   authorizeSubscribe: (gateway, topic) => topic === topicFor.gatewayCommands(gateway.farmCode, gateway.code),
 *   handlePublish: (gateway, topic, payload) => ingest.accept(gateway, topic, payload),
 * });
 * broker.tcp.port; // the bound port
 * await broker.close();
 */
export async function createBroker<I extends object>(
  options: BrokerOptions<I>,
): Promise<RunningBroker> {
  const logger = options.logger ?? silentLogger;
  const authenticate = options.authenticate ?? (() => Promise.resolve(null));
  const authorizePublish = options.authorizePublish ?? (() => false);
  const authorizeSubscribe = options.authorizeSubscribe ?? (() => false);
  const handlePublish = options.handlePublish ?? (() => Promise.resolve());

  const counters = {
    connectsAccepted: 0,
    connectsRefused: 0,
    authenticateErrors: 0,
    publishesAccepted: 0,
    publishesRefused: 0,
    publishesHandled: 0,
    publishesFailed: 0,
    subscribesAccepted: 0,
    subscribesRefused: 0,
  };
  const connections = new WeakMap<Client, { transport: Transport; remoteAddress: string | null }>();
  const identities = new WeakMap<Client, I>();
  const handling = new Set<Promise<void>>();
  const sockets = new Set<net.Socket>();
  let closing = false;

  /**
   * Answers to aedes' authorizePublish, given outside any promise chain (an exception thrown by
   * aedes must not become an unhandled rejection here) and all in one turn: the publishes of one
   * committed batch are answered together, so the PUBACKs aedes writes to one connection leave in
   * one socket write (mqtt-packet corks the stream until the next tick) instead of one each.
   */
  let answers: { callback: (error: Error | null) => void; error: Error | null }[] = [];
  function answerLater(callback: (error: Error | null) => void, error: Error | null): void {
    if (answers.length === 0) setImmediate(answerAll);
    answers.push({ callback, error });
  }
  function answerAll(): void {
    const due = answers;
    answers = [];
    let thrown: { error: unknown } | null = null;
    for (const { callback, error } of due) {
      try {
        callback(error);
      } catch (error) {
        // The others are still answered; the first throw then surfaces as it would have alone.
        thrown ??= { error };
      }
    }
    if (thrown !== null) throw thrown.error;
  }

  const aedes = await Aedes.createBroker({
    connectTimeout: options.connectTimeoutMs ?? 30_000,

    authenticate(client, username, password, done) {
      const connection = connections.get(client);
      const info: ConnectingClient = {
        id: client.id,
        transport: connection?.transport ?? 'tcp',
        remoteAddress: connection?.remoteAddress ?? null,
      };
      const fields = {
        clientId: info.id,
        username,
        transport: info.transport,
        remoteAddress: info.remoteAddress,
      };
      // Settle the hook first, then answer aedes outside the promise chain: an exception thrown
      // by aedes must not turn into an unhandled rejection here.
      const settle = async (): Promise<I | null> => authenticate(info, username, password);
      void settle().then(
        (identity) => {
          if (identity === null || identity === undefined) {
            counters.connectsRefused++;
            logger.warn('mqtt connect refused: bad user name or password', fields);
            setImmediate(done, authError(4, 'bad user name or password'), null);
            return;
          }
          counters.connectsAccepted++;
          identities.set(client, identity);
          logger.info('mqtt client connected', fields);
          setImmediate(done, null, true);
        },
        (error: unknown) => {
          counters.connectsRefused++;
          counters.authenticateErrors++;
          logger.error('mqtt connect refused: authenticate failed', {
            ...fields,
            error: messageOf(error),
          });
          setImmediate(done, authError(3, 'server unavailable'), null);
        },
      );
    },

    authorizePublish(client, packet, callback) {
      const topic = packet.topic;
      const isWill = client !== null && (client as unknown as { will?: unknown }).will === packet;
      const identity = client === null ? undefined : identities.get(client);
      const clientId = client?.id ?? null;
      if (isWill && closing) {
        // The broker is shutting down: the gateway did not fail, so no "offline" will.
        callback(new RefusalError('broker closing: last will not published'));
        return;
      }
      const refuse = (reason: string, error?: unknown) => {
        counters.publishesRefused++;
        logger.warn('mqtt publish refused', {
          clientId,
          topic,
          isWill,
          reason,
          ...(error === undefined ? {} : { error: messageOf(error) }),
        });
        callback(new RefusalError(`publish to ${topic} refused: ${reason}`));
      };

      // No identity: a will left by a broker that died (aedes passes client null).
      if (identity === undefined || client === null) return refuse('no authenticated identity');
      if (topic.startsWith('$')) return refuse('topics starting with $ are reserved');
      let allowed: boolean;
      try {
        allowed = authorizePublish(identity, topic) === true;
      } catch (error) {
        return refuse('authorizePublish threw', error);
      }
      if (!allowed) return refuse('not authorized');

      counters.publishesAccepted++;
      const payload = Buffer.isBuffer(packet.payload)
        ? packet.payload
        : Buffer.from(packet.payload);
      const context: PublishContext = {
        clientId: client.id,
        // A will packet comes from CONNECT and may lack the flags a PUBLISH carries.
        qos: packet.qos ?? 0,
        retain: packet.retain === true,
        dup: packet.dup === true,
        isWill,
      };
      let handled: Promise<void>;
      try {
        // Promise.resolve: a hook written in plain JS might return no promise at all.
        handled = Promise.resolve(handlePublish(identity, topic, payload, context));
      } catch (error) {
        handled = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      handling.add(handled);
      handled.then(
        () => {
          handling.delete(handled);
          counters.publishesHandled++;
          answerLater(callback, null);
        },
        (error: unknown) => {
          handling.delete(handled);
          counters.publishesFailed++;
          logger.error('mqtt publish not handled: not acknowledged, closing the connection', {
            clientId,
            topic,
            qos: packet.qos,
            isWill,
            error: messageOf(error),
          });
          answerLater(
            callback,
            new RefusalError(`publish to ${topic} not handled`, { cause: error }),
          );
        },
      );
    },

    authorizeSubscribe(client, subscription, callback) {
      const identity = identities.get(client);
      const topic = subscription.topic;
      let allowed = false;
      try {
        allowed = identity !== undefined && authorizeSubscribe(identity, topic) === true;
      } catch (error) {
        logger.error('mqtt authorizeSubscribe threw', {
          clientId: client.id,
          topic,
          error: messageOf(error),
        });
      }
      if (allowed) {
        counters.subscribesAccepted++;
        callback(null, subscription);
      } else {
        counters.subscribesRefused++;
        logger.warn('mqtt subscribe refused', { clientId: client.id, topic });
        // A null subscription is a SUBACK failure (0x80) for this filter; the client stays.
        callback(null, null);
      }
    },
  });

  aedes.on('clientError', (client, error) => {
    if (error instanceof RefusalError) return;
    logger.warn('mqtt client error', { clientId: client.id, error: error.message });
  });
  aedes.on('connectionError', (_client, error) => {
    if (error instanceof RefusalError) return;
    logger.warn('mqtt connection error', { error: error.message });
  });
  aedes.on('clientDisconnect', (client) => {
    logger.info('mqtt client disconnected', { clientId: client.id });
  });

  function accept(
    stream: Duplex,
    transport: Transport,
    remoteAddress: string | null,
    req?: http.IncomingMessage,
  ) {
    const client = aedes.handle(stream, req);
    connections.set(client, { transport, remoteAddress });
  }

  function trackSocket(socket: net.Socket) {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  }

  const servers: net.Server[] = [];
  let wsServer: http.Server | null = null;
  let wss: WebSocketServer | null = null;
  const close = async (): Promise<void> => {
    closing = true;
    const closed = servers.map(closeServer);
    wss?.close();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    // Connections that never completed CONNECT are not aedes clients yet.
    for (const socket of sockets) socket.destroy();
    await Promise.all(closed);
    await Promise.allSettled([...handling]);
  };

  const tlsOptions = options.tcp.tls;
  const tcpServer =
    tlsOptions === undefined
      ? net.createServer({ noDelay: true }, (socket) =>
          accept(socket, 'tcp', socket.remoteAddress ?? null),
        )
      : tls.createServer({ key: tlsOptions.key, cert: tlsOptions.cert }, (socket) =>
          accept(socket, 'tls', socket.remoteAddress ?? null),
        );
  tcpServer.on('connection', trackSocket);
  if (tcpServer instanceof tls.Server) {
    tcpServer.on('tlsClientError', (error, socket) => {
      logger.warn('mqtt tls handshake failed', {
        remoteAddress: socket.remoteAddress ?? null,
        error: error.message,
      });
      socket.destroy();
    });
  }
  servers.push(tcpServer);

  const wsPath = options.ws?.path ?? '/mqtt';
  if (options.ws !== undefined) {
    wsServer = http.createServer({ noDelay: true });
    wsServer.on('connection', trackSocket);
    wss = new WebSocketServer({ server: wsServer, path: wsPath });
    wss.on('connection', (socket, req) => {
      const stream = createWebSocketStream(socket);
      accept(stream, 'ws', req.socket.remoteAddress ?? null, req);
    });
    wss.on('error', (error) =>
      logger.error('mqtt websocket server error', { error: error.message }),
    );
    servers.push(wsServer);
  }

  let tcpPort: number;
  let wsPort: number | null = null;
  try {
    tcpPort = await listen(tcpServer, options.tcp);
    if (wsServer !== null && options.ws !== undefined) wsPort = await listen(wsServer, options.ws);
  } catch (error) {
    await close();
    throw new Error(`mqtt broker could not listen: ${messageOf(error)}`, { cause: error });
  }
  for (const server of servers) {
    server.on('error', (error) => logger.error('mqtt listener error', { error: error.message }));
  }
  logger.info('mqtt broker listening', {
    tcp: `${options.tcp.host}:${tcpPort}`,
    tls: tlsOptions !== undefined,
    ws: wsPort === null ? null : `${options.ws?.host ?? ''}:${wsPort}${wsPath}`,
  });

  let closingPromise: Promise<void> | null = null;
  return {
    tcp: { host: options.tcp.host, port: tcpPort, tls: tlsOptions !== undefined },
    ws:
      wsPort === null || options.ws === undefined
        ? null
        : { host: options.ws.host, port: wsPort, path: wsPath },
    stats: () => ({ ...counters, connectedClients: aedes.connectedClients }),
    publish(topic, payload, publishOptions = {}) {
      const packet: PublishPacket = {
        cmd: 'publish',
        topic,
        payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
        qos: publishOptions.qos ?? 1,
        retain: publishOptions.retain ?? false,
        dup: false,
      };
      return new Promise((resolve, reject) => {
        aedes.publish(packet, (error) => (error ? reject(error) : resolve()));
      });
    },
    close() {
      closingPromise ??= close().then(() => logger.info('mqtt broker closed'));
      return closingPromise;
    },
  };
}
