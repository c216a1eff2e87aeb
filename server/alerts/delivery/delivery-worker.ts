import type { Storage } from '../../db/storage.ts';
import { errorMessage } from '../../errors.ts';
import { silentLogger, type Logger } from '../../logger.ts';
import { computeBackoffMs } from './backoff.ts';
import type { DeliveryBody } from './delivery-body.ts';
import { alertTopic } from './mqtt-topic.ts';
import { signWebhook } from './sign-webhook.ts';

/** Publishes one alert message (QoS 1, not retained) through the service's MQTT edge. */
export type PublishAlert = (topic: string, payload: string) => Promise<void>;

export interface DeliveryWorkerOptions {
  readonly storage: Storage;
  /** The MQTT edge's publish; null: MQTT deliveries fail (and are retried) until it is set. */
  readonly publishAlert?: PublishAlert | null;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly pollIntervalMs: number;
  /** Deliveries claimed and sent at once. Default 20. */
  readonly batchSize?: number;
  /**
   * How long a claimed delivery is reserved for this worker. A worker that dies mid-send leaves
   * its claims; another worker (or the next start) takes them again when the lease ends. Default
   * `timeoutMs + 5000`.
   */
  readonly leaseMs?: number;
  readonly logger?: Logger;
  /** Injected for tests. */
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
}

interface ClaimedDelivery {
  readonly id: string;
  readonly subscription_id: string;
  readonly idempotency_key: string;
  readonly attempts: number;
  readonly body: DeliveryBody;
  readonly test: boolean;
  readonly channel: 'webhook' | 'mqtt';
  readonly target: string;
  readonly signing_secret: string | null;
}

type Outcome =
  | { readonly ok: true; readonly statusCode: number | null }
  | { readonly ok: false; readonly statusCode: number | null; readonly error: string };

/**
 * The outbox worker: sends due `deliveries` of webhook and MQTT subscriptions, at least once, and
 * marks one delivered only after the receiver's 2xx (or the broker's PUBACK).
 *
 * - Claim: one statement moves up to `batchSize` due pending rows `leaseMs` into the future and
 *   counts the try (`for update skip locked`, so several instances never claim the same row). A
 *   crash after the claim loses nothing: the lease ends and the row is sent again, with the same
 *   `Idempotency-Key`, so a receiver that dedupes by it sees one effect.
 * - Order: a delivery is claimed only when every earlier delivery of the same alert and
 *   subscription is delivered; a dead one holds the later ones back until it is retried.
 * - Failure: a non-2xx answer, a timeout or a refused connection schedules the next try after
 *   exponential backoff with full jitter; after `maxAttempts` tries the delivery is dead.
 * - Every try is logged in `delivery_attempts`.
 */
export class DeliveryWorker {
  readonly #options: DeliveryWorkerOptions;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #leaseMs: number;
  readonly #inFlight = new Set<AbortController>();
  #publishAlert: PublishAlert | null;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #wakeRequested = false;

  constructor(options: DeliveryWorkerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#batchSize = options.batchSize ?? 20;
    this.#leaseMs = options.leaseMs ?? options.timeoutMs + 5_000;
    this.#publishAlert = options.publishAlert ?? null;
  }

  /** Sets the MQTT publish once the edge is up (the worker may start before it). */
  setPublishAlert(publishAlert: PublishAlert | null): void {
    this.#publishAlert = publishAlert;
  }

  /** Starts the loop; it looks for due deliveries every `pollIntervalMs` and on `wake()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Looks for due deliveries now (new alert events were committed). */
  wake(): void {
    this.#wakeRequested = true;
    this.#wake?.();
  }

  /**
   * Stops claiming and waits for the sends in flight (each bounded by `timeoutMs`). With
   * `abort: true` they are cut instead, as a crash would: their rows stay claimed until the lease
   * ends, then are sent again.
   */
  async stop(options: { abort?: boolean } = {}): Promise<void> {
    this.#running = false;
    if (options.abort === true) for (const controller of this.#inFlight) controller.abort();
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
      } catch (error) {
        this.#logger.error('delivery worker pass failed', { error: errorMessage(error) });
      }
      if (!this.#running) break;
      if (claimed >= this.#batchSize) continue;
      if (this.#wakeRequested) {
        this.#wakeRequested = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#options.pollIntervalMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = null;
      this.#wakeRequested = false;
    }
  }

  /** One pass: claims due deliveries and sends them. Returns how many were claimed. */
  async runOnce(): Promise<number> {
    const claimed = await this.#claim();
    await Promise.all(claimed.map((delivery) => this.#deliver(delivery)));
    return claimed.length;
  }

  async #claim(): Promise<ClaimedDelivery[]> {
    const { rows } = await this.#options.storage.query<ClaimedDelivery>(
      `with claimed as (
         update deliveries d
            set attempts = d.attempts + 1,
                next_attempt_at = now() + $2::bigint * interval '1 millisecond'
          where d.id in (
            select c.id
              from deliveries c
              join subscriptions cs on cs.id = c.subscription_id and cs.active
             where c.status = 'pending'
               and c.next_attempt_at <= now()
               and not exists (
                 select 1 from deliveries p
                  where p.subscription_id = c.subscription_id
                    and p.alert_id = c.alert_id
                    and p.alert_event_id < c.alert_event_id
                    and p.status <> 'delivered')
             order by c.id
             limit $1
             for update of c skip locked)
          returning d.id, d.subscription_id, d.idempotency_key, d.attempts, d.body, d.test)
       select claimed.*, s.channel, s.target, s.signing_secret
         from claimed join subscriptions s on s.id = claimed.subscription_id
        order by claimed.id`,
      [this.#batchSize, this.#leaseMs],
    );
    return rows;
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = performance.now();
    let outcome: Outcome;
    try {
      outcome =
        delivery.channel === 'webhook'
          ? await this.#sendWebhook(delivery)
          : await this.#sendMqtt(delivery);
    } catch (error) {
      outcome = { ok: false, statusCode: null, error: errorMessage(error) };
    }
    if (!this.#running && !outcome.ok && outcome.error === abortedMessage) {
      // Cut by stop({ abort: true }): the claim stands and the lease hands it on, like a crash.
      return;
    }
    const durationMs = Math.round(performance.now() - startedAt);
    try {
      await this.#record(delivery, outcome, durationMs);
    } catch (error) {
      // The row stays claimed: when the lease ends it is sent again under the same key.
      this.#logger.error('recording a delivery failed', {
        deliveryId: delivery.id,
        error: errorMessage(error),
      });
    }
  }

  async #sendWebhook(delivery: ClaimedDelivery): Promise<Outcome> {
    const body = JSON.stringify(delivery.body);
    const timestampS = Math.floor(Date.now() / 1000);
    const controller = new AbortController();
    this.#inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(timeoutReason), this.#options.timeoutMs);
    try {
      const response = await (this.#options.fetch ?? fetch)(delivery.target, {
        method: 'POST',
        redirect: 'manual',
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'PledgeWatch-Webhooks/1',
          'idempotency-key': delivery.idempotency_key,
          'x-pledgewatch-event-id': delivery.body.event.id,
          'x-pledgewatch-delivery-id': delivery.id,
          'x-pledgewatch-attempt': String(delivery.attempts),
          'x-pledgewatch-signature': signWebhook(delivery.signing_secret ?? '', body, timestampS),
          ...(delivery.test ? { 'x-pledgewatch-test': 'true' } : {}),
        },
        body,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) {
        return { ok: true, statusCode: response.status };
      }
      return {
        ok: false,
        statusCode: response.status,
        error: `HTTP ${response.status} ${response.statusText}`.trim(),
      };
    } catch (error) {
      if (controller.signal.aborted) {
        return {
          ok: false,
          statusCode: null,
          error:
            controller.signal.reason === timeoutReason
              ? `no answer within ${this.#options.timeoutMs} ms`
              : abortedMessage,
        };
      }
      const cause = (error as { cause?: unknown }).cause;
      return {
        ok: false,
        statusCode: null,
        error:
          cause === undefined
            ? errorMessage(error)
            : `${errorMessage(error)}: ${errorMessage(cause)}`,
      };
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(controller);
    }
  }

  async #sendMqtt(delivery: ClaimedDelivery): Promise<Outcome> {
    const publish = this.#publishAlert;
    if (publish === null) {
      return { ok: false, statusCode: null, error: 'the MQTT edge is not running' };
    }
    const { alert } = delivery.body;
    const topic = alertTopic(alert.branchCode, alert.farmCode);
    const payload = JSON.stringify({ ...delivery.body, idempotencyKey: delivery.idempotency_key });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no PUBACK within ${this.#options.timeoutMs} ms`)),
        this.#options.timeoutMs,
      );
    });
    try {
      await Promise.race([publish(topic, payload), timeout]);
      return { ok: true, statusCode: null };
    } finally {
      clearTimeout(timer);
    }
  }

  async #record(delivery: ClaimedDelivery, outcome: Outcome, durationMs: number): Promise<void> {
    const { storage, maxAttempts } = this.#options;
    await storage.transaction(async (tx) => {
      await tx.query(
        `insert into delivery_attempts (delivery_id, attempt, duration_ms, status_code, error)
         values ($1, $2, $3, $4, $5)`,
        [
          delivery.id,
          delivery.attempts,
          durationMs,
          outcome.statusCode,
          outcome.ok ? null : outcome.error,
        ],
      );
      if (outcome.ok) {
        // Whoever claimed it last, the receiver has it now.
        await tx.query(
          `update deliveries set status = 'delivered', delivered_at = now(), last_error = null,
                  last_status_code = $2
            where id = $1 and status = 'pending'`,
          [delivery.id, outcome.statusCode],
        );
        return;
      }
      const dead = delivery.attempts >= maxAttempts;
      const waitMs = dead
        ? 0
        : computeBackoffMs(
            delivery.attempts,
            { baseMs: this.#options.backoffBaseMs, maxMs: this.#options.backoffMaxMs },
            this.#options.random,
          );
      // Only while the claim is still ours (no other worker took it after the lease ended).
      await tx.query(
        `update deliveries
            set status = case when $3 then 'dead' else 'pending' end,
                next_attempt_at = now() + $4::bigint * interval '1 millisecond',
                last_error = $5, last_status_code = $6
          where id = $1 and attempts = $2 and status = 'pending'`,
        [delivery.id, delivery.attempts, dead, waitMs, outcome.error, outcome.statusCode],
      );
    });
    const fields = {
      deliveryId: delivery.id,
      subscriptionId: delivery.subscription_id,
      eventId: delivery.body.event.id,
      attempt: delivery.attempts,
      durationMs,
    };
    if (outcome.ok) this.#logger.info('alert delivered', fields);
    else if (delivery.attempts >= maxAttempts) {
      this.#logger.warn('alert delivery dead', { ...fields, error: outcome.error });
    } else
      this.#logger.info('alert delivery failed, will retry', { ...fields, error: outcome.error });
  }
}

const timeoutReason = Symbol('timeout');
const abortedMessage = 'aborted: the worker stopped';
