import { serve, type ServerType } from '@hono/node-server';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import type { Logger } from '../../logger.ts';
import { createApiHarness, type ApiHarness, type DemoUser } from '../../testing/api-harness.ts';
import { testBackends } from '../../testing/databases.ts';
import { AlertBus, type AlertEventView } from '../alert-bus.ts';
import { writeTestAlertEvent, type TestAlertChange } from '../delivery/test-alerts.ts';
import type { StreamMessage } from './stream-message.ts';

interface SseEvent {
  readonly id: string | null;
  readonly event: string | null;
  readonly data: StreamMessage | null;
  readonly comment: string | null;
}

/** An EventSource-like client over fetch that keeps what it read, for a bounded time. */
class SseClient {
  readonly events: SseEvent[] = [];
  readonly #controller = new AbortController();
  #done: Promise<void> = Promise.resolve();
  status = 0;

  async connect(url: string, headers: Record<string, string>): Promise<void> {
    const response = await fetch(url, { headers, signal: this.#controller.signal });
    this.status = response.status;
    if (response.body === null || response.status !== 200) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    this.#done = (async () => {
      let buffer = '';
      try {
        for (let i = 0; i < 100_000; i++) {
          const { done, value } = await reader.read();
          if (done) return;
          buffer += value;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            this.#parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // aborted by close(): what was read stays in `events`
      }
    })();
  }

  #parse(block: string): void {
    let id: string | null = null;
    let event: string | null = null;
    let data: string | null = null;
    let comment: string | null = null;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comment = line.slice(1).trim();
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data = (data === null ? '' : `${data}\n`) + line.slice(6);
    }
    this.events.push({
      id,
      event,
      data: data === null ? null : (JSON.parse(data) as StreamMessage),
      comment,
    });
  }

  get alertIds(): string[] {
    return this.events.filter((e) => e.event === 'alert').map((e) => e.id ?? '?');
  }

  async close(): Promise<void> {
    this.#controller.abort();
    await this.#done;
  }
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.each(testBackends)('alert stream (SSE) on $name', (backend) => {
  let h: ApiHarness;
  let server: ServerType;
  let baseUrl: string;
  const bus = new AlertBus();
  const warnings: string[] = [];
  const clients: SseClient[] = [];

  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields ?? {})}`),
    error: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields ?? {})}`),
    child: () => logger,
  };

  /** Writes an alert change as the engine does, then publishes it after commit. */
  async function change(input: TestAlertChange): Promise<AlertEventView> {
    const view = await writeTestAlertEvent(h.storage, input);
    bus.publish([view]);
    return view;
  }

  async function open(
    user: DemoUser,
    query = '',
    headers: Record<string, string> = {},
  ): Promise<SseClient> {
    const client = new SseClient();
    clients.push(client);
    await client.connect(`${baseUrl}/api/alerts/stream${query}`, { ...h.as(user), ...headers });
    return client;
  }

  beforeAll(async () => {
    h = await createApiHarness(backend);
    const config = loadConfig({
      PW_DATA_DIR: h.dataDir,
      PW_SSE_HEARTBEAT_INTERVAL_MS: '200',
      PW_SSE_MAX_BUFFERED_EVENTS: '20',
    });
    const app = createApp({
      config,
      storage: h.storage,
      storageInfo: await h.storage.info(),
      logger,
      startedAt: new Date(),
      alertBus: bus,
    });
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    const httpServer = server as http.Server;
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await h.close();
  });

  it('needs a caller, like the rest of /api, and a valid Last-Event-ID', async () => {
    const anonymous = await fetch(`${baseUrl}/api/alerts/stream`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    const bad = await fetch(`${baseUrl}/api/alerts/stream`, {
      headers: { ...h.as('krtOfficer'), 'last-event-id': 'yesterday' },
    });
    expect(bad.status).toBe(400);
    await bad.body?.cancel();
  });

  it('streams live events of the branch, with heartbeats', async () => {
    const krt = await open('krtOfficer');
    const aal = await open('aalOfficer');
    const admin = await open('admin');
    expect(krt.status).toBe(200);
    const k1 = await change({ farmCode: 'F-KRT-01', kind: 'live_one' });
    const a1 = await change({ farmCode: 'F-AAL-01', kind: 'live_one' });
    const k2 = await change({ farmCode: 'F-KRT-01', kind: 'live_one', alertId: k1.alertId });
    await waitFor('live events', () => krt.alertIds.length >= 2 && admin.alertIds.length >= 3);
    await waitFor('a heartbeat', () => krt.events.some((e) => e.comment === 'heartbeat'));
    expect(krt.alertIds).toEqual([k1.id, k2.id]);
    expect(aal.alertIds).toEqual([a1.id]);
    expect(admin.alertIds).toEqual([k1.id, a1.id, k2.id]);
    const first = krt.events.find((e) => e.id === k1.id);
    expect(first).toMatchObject({
      event: 'alert',
      data: { event: { id: k1.id, type: 'raised' }, alert: { id: k1.alertId, kind: 'live_one' } },
    });
    await Promise.all([krt.close(), aal.close(), admin.close()]);
  });

  it('resumes after Last-Event-ID with nothing missed and nothing twice', async () => {
    const client = await open('krtOfficer');
    const e1 = await change({ farmCode: 'F-KRT-02', kind: 'resume' });
    const e2 = await change({ farmCode: 'F-KRT-02', kind: 'resume', alertId: e1.alertId });
    await waitFor('two events', () => client.alertIds.length >= 2);
    await client.close();
    const lastSeen = client.alertIds[client.alertIds.length - 1] as string;
    expect(lastSeen).toBe(e2.id);

    // While disconnected: two of the branch's events and one of another branch.
    const e3 = await change({ farmCode: 'F-KRT-02', kind: 'resume', alertId: e1.alertId });
    await change({ farmCode: 'F-AAL-02', kind: 'resume' });
    const e4 = await change({ farmCode: 'F-KRT-01', kind: 'resume' });

    // Reconnect and keep changing alerts while the backlog is replayed.
    const resumed = new SseClient();
    clients.push(resumed);
    const connecting = resumed.connect(`${baseUrl}/api/alerts/stream`, {
      ...h.as('krtOfficer'),
      'last-event-id': lastSeen,
    });
    const during: AlertEventView[] = [];
    for (let i = 0; i < 5; i++) {
      during.push(await change({ farmCode: 'F-KRT-01', kind: 'resume', alertId: e4.alertId }));
    }
    await connecting;
    const e5 = await change({ farmCode: 'F-KRT-02', kind: 'resume', alertId: e1.alertId });
    const expected = [e3.id, e4.id, ...during.map((e) => e.id), e5.id];
    await waitFor(
      'the backlog and the live events',
      () => resumed.alertIds.length >= expected.length,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(resumed.alertIds).toEqual(expected);

    // The query parameter works as the header does.
    const byQuery = await open('krtOfficer', `?lastEventId=${e4.id}`);
    await waitFor('the replay', () => byQuery.alertIds.length >= expected.length - 2);
    expect(byQuery.alertIds).toEqual(expected.slice(2));
    await Promise.all([resumed.close(), byQuery.close()]);
  });

  it('narrows to an SSE subscription and keeps its branch', async () => {
    const sub = await h.call('krtOfficer', 'POST', '/api/subscriptions', {
      channel: 'sse',
      farmId: await h.idOf('farms', 'code', 'F-KRT-02'),
      kinds: ['narrow'],
      minSeverity: 'critical',
    });
    expect(sub.status).toBe(201);
    const other = await fetch(`${baseUrl}/api/alerts/stream?subscriptionId=${sub.body.id}`, {
      headers: h.as('aalOfficer'),
    });
    expect(other.status).toBe(404);
    await other.body?.cancel();
    const client = await open('krtOfficer', `?subscriptionId=${sub.body.id}`);
    const x = await change({ farmCode: 'F-KRT-02', kind: 'narrow', severity: 'warning' });
    await change({ farmCode: 'F-KRT-01', kind: 'narrow', severity: 'critical' });
    await change({ farmCode: 'F-KRT-02', kind: 'other_kind', severity: 'critical' });
    const hit = await change({
      farmCode: 'F-KRT-02',
      kind: 'narrow',
      severity: 'critical',
      alertId: x.alertId,
    });
    await waitFor('the matching event', () => client.alertIds.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.alertIds).toEqual([hit.id]);
    await client.close();
  });

  it('drops a client that does not read instead of buffering without bound', async () => {
    warnings.length = 0;
    const { port } = server.address() as AddressInfo;
    const request = http.get({
      host: '127.0.0.1',
      port,
      path: '/api/alerts/stream',
      headers: { ...h.as('admin'), connection: 'close' },
    });
    const response = await new Promise<http.IncomingMessage>((resolve) =>
      request.once('response', resolve),
    );
    expect(response.statusCode).toBe(200);
    response.pause(); // never reads
    const big = 'x'.repeat(64 * 1024);
    const template = await writeTestAlertEvent(h.storage, { farmCode: 'F-AAL-02', kind: 'flood' });
    let published = 0;
    for (let i = 0; i < 2_000 && warnings.length === 0; i++) {
      bus.publish([{ ...template, id: String(1_000_000 + i), payload: { big } }]);
      published++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(warnings.join('\n')).toContain('alert stream client dropped');
    // Reading again, the client finds its connection closed, short of what was published.
    let bytes = 0;
    response.on('data', (chunk: Buffer) => (bytes += chunk.length));
    const ended = new Promise<void>((resolve) => response.socket.once('close', () => resolve()));
    response.resume();
    await ended;
    expect(bytes).toBeLessThan(published * big.length);
    request.destroy();
  });
});
