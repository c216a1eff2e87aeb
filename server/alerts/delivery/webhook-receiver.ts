/**
 * Test support: a webhook receiver on 127.0.0.1 for the delivery tests. Only tests import it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DeliveryBody } from './delivery-body.ts';
import { verifyWebhookSignature } from './sign-webhook.ts';

export type Mode = 'ok' | 'unavailable' | 'hang';

export interface Received {
  readonly key: string;
  readonly body: DeliveryBody;
  readonly signatureOk: boolean;
  readonly headers: http.IncomingHttpHeaders;
}

/**
 * A webhook receiver on 127.0.0.1 that can be down (closed: connection refused), answer 503, or
 * take a request in and never answer (the sender dies waiting). It applies each idempotency key's
 * effect once, as a real receiver should, and checks order: no event of an alert arrives before
 * every earlier event of that alert was answered 2xx.
 */
export class Receiver {
  mode: Mode = 'ok';
  readonly received: Received[] = [];
  /** Keys whose effect was applied, in the order applied. */
  readonly applied: string[] = [];
  readonly answered2xx = new Set<string>();
  readonly orderViolations: string[] = [];
  /** Requests for a key whose effect was already applied: answered, not applied again. */
  duplicates = 0;
  /** Event ids of each alert in the order the test wrote them. */
  readonly eventsByAlert = new Map<string, string[]>();
  readonly #hanging = new Set<http.ServerResponse>();
  #server: http.Server | null = null;
  port = 0;

  readonly #secret: () => string;

  constructor(secret: () => string) {
    this.#secret = secret;
  }

  async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.#handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const key = String(req.headers['idempotency-key']);
    const body = JSON.parse(text) as DeliveryBody;
    const signatureOk = verifyWebhookSignature(
      this.#secret(),
      text,
      String(req.headers['x-pledgewatch-signature']),
    );
    this.received.push({ key, body, signatureOk, headers: req.headers });
    if (this.mode === 'unavailable') {
      res.writeHead(503).end('down for maintenance');
      return;
    }
    const earlier = this.eventsByAlert.get(body.alert.id) ?? [];
    for (const eventId of earlier.slice(0, earlier.indexOf(body.event.id))) {
      if (![...this.answered2xx].some((k) => k.endsWith(`:${eventId}`))) {
        this.orderViolations.push(`${body.event.id} arrived before ${eventId} was delivered`);
      }
    }
    if (this.applied.includes(key)) this.duplicates++;
    else this.applied.push(key);
    if (this.mode === 'hang') {
      this.#hanging.add(res);
      return;
    }
    this.answered2xx.add(key);
    res.writeHead(204).end();
  }
}
