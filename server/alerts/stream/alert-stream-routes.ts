import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ServerResponse } from 'node:http';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { createApiRouter } from '../../api/router.ts';
import { errorResponses } from '../../api/schemas.ts';
import type { AppEnv, Services } from '../../app-env.ts';
import { branchScope, canSeeBranch, type Principal } from '../../auth/principal.ts';
import type { Queryable } from '../../db/storage.ts';
import { InvalidInputError, NotFoundError, errorMessage } from '../../errors.ts';
import type { AlertBus, AlertEventView } from '../alert-bus.ts';
import { isStreamMatch, type StreamFilter } from './stream-filter.ts';
import { streamMessageSql, toStreamMessage, type StreamMessage } from './stream-message.ts';

/** Replayed events are read in pages of this many. */
const replayPageSize = 500;

/** The open streams of each bus, so a stopping service can end them instead of waiting. */
const openStreams = new WeakMap<AlertBus, Set<() => void>>();

/**
 * Ends every open alert stream fed by `bus` (the service is stopping): clients reconnect, with
 * their Last-Event-ID, to whichever instance is up.
 */
export function endAlertStreams(bus: AlertBus): void {
  for (const end of openStreams.get(bus) ?? []) end();
}

/**
 * `GET /api/alerts/stream`: alert events as Server-Sent Events (`id: <alert_events.id>`,
 * `event: alert`, `data: {event, alert}`), only of the caller's branch (admins: all), optionally
 * narrowed to an SSE subscription's scope, kinds and severity with `?subscriptionId=`.
 *
 * Resume: with `Last-Event-ID` (or `?lastEventId=`) the stream first replays, in id order, every
 * stored event after that id, then continues live. It subscribes to the AlertBus before it reads the
 * backlog and drops live events it already replayed, so a reconnecting client misses nothing and
 * gets nothing twice. A comment line every `heartbeatIntervalMs` keeps proxies from closing an
 * idle stream. A client that does not read is dropped (its connection closed) once
 * `maxBufferedEvents` wait for it, or once one write is stuck for two heartbeats: it reconnects with
 * its Last-Event-ID and is replayed from the database instead of buffered here.
 */
export function createAlertStreamRoutes(
  services: Services,
  options: { heartbeatIntervalMs?: number; maxBufferedEvents?: number } = {},
): OpenAPIHono<AppEnv> {
  const heartbeatIntervalMs =
    options.heartbeatIntervalMs ?? services.config.alertStream.heartbeatIntervalMs;
  const maxBufferedEvents =
    options.maxBufferedEvents ?? services.config.alertStream.maxBufferedEvents;
  const app = createApiRouter();
  const logger = services.logger.child({ part: 'alert-stream' });

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/stream',
    tags: ['alerts'],
    summary: 'Alert events as Server-Sent Events, resumable with Last-Event-ID',
    request: {
      query: z.object({
        lastEventId: z.string().optional().openapi({
          description: 'resume after this event id (same as the Last-Event-ID header)',
        }),
        subscriptionId: z.string().uuid().optional().openapi({
          description: 'only the alerts this subscription of your branch matches',
        }),
      }),
      headers: z.object({ 'last-event-id': z.string().optional() }),
    },
    responses: {
      200: {
        description:
          'text/event-stream: `id: <event id>`, `event: alert`, `data: {"event": {...}, "alert": {...}}`; `: heartbeat` comments',
        content: { 'text/event-stream': { schema: z.string() } },
      },
      ...errorResponses,
    },
  });

  app.get('/stream', async (c) => {
    const principal = c.get('principal');
    const lastEventId = parseLastEventId(
      c.req.header('last-event-id') ?? c.req.query('lastEventId') ?? null,
    );
    const subscriptionId = c.req.query('subscriptionId');
    const filter = await loadFilter(services.storage, principal, subscriptionId);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    // Each event is one small write: send it now, not after the previous one's ACK (Nagle).
    outgoing?.socket?.setNoDelay(true);
    c.header('x-accel-buffering', 'no');

    return streamSSE(c, async (stream) => {
      const queue: StreamMessage[] = [];
      let replayed: Set<string> | null = new Set();
      let closed = false;
      let writingSince: number | null = null;
      let signal: (() => void) | null = null;
      const notify = () => signal?.();

      const drop = (reason: string) => {
        if (closed) return;
        closed = true;
        logger.warn('alert stream client dropped', { reason, userId: principal.userId });
        stream.abort();
        outgoing?.destroy();
        notify();
      };
      stream.onAbort(() => {
        closed = true;
        notify();
      });
      const end = () => {
        closed = true;
        notify();
      };
      const streams = openStreams.get(services.alertBus) ?? new Set<() => void>();
      openStreams.set(services.alertBus, streams);
      streams.add(end);

      const unsubscribe = services.alertBus.subscribe((events: readonly AlertEventView[]) => {
        try {
          for (const view of events) {
            const message = toStreamMessage(view);
            if (isStreamMatch(filter, message)) queue.push(message);
          }
          if (queue.length > maxBufferedEvents) {
            drop(`more than ${maxBufferedEvents} events waiting for a slow client`);
          } else notify();
        } catch (error) {
          drop(`live event failed: ${errorMessage(error)}`);
        }
      });
      const heartbeat = setInterval(() => {
        if (writingSince !== null) {
          if (Date.now() - writingSince > 2 * heartbeatIntervalMs) {
            drop('a write waited more than two heartbeat intervals');
          }
          return;
        }
        void write(stream, ': heartbeat\n\n');
      }, heartbeatIntervalMs);

      async function write(target: SSEStreamingApi, text: string): Promise<void> {
        writingSince = Date.now();
        try {
          await target.write(text);
        } finally {
          writingSince = null;
        }
      }

      async function send(message: StreamMessage): Promise<void> {
        await write(
          stream,
          `id: ${message.event.id}\nevent: alert\ndata: ${JSON.stringify(message)}\n\n`,
        );
      }

      try {
        await write(stream, 'retry: 2000\n\n');
        if (lastEventId !== null) {
          let after = lastEventId;
          for (let page = 0; !closed; page++) {
            const rows = await readBacklog(services.storage, filter.branchId, after);
            for (const row of rows) {
              if (closed) break;
              replayed?.add(row.event.id);
              if (isStreamMatch(filter, row)) await send(row);
            }
            const last = rows[rows.length - 1];
            if (last === undefined || rows.length < replayPageSize) break;
            after = last.event.id;
          }
        }
        while (!closed) {
          const message = queue.shift();
          if (message === undefined) {
            // The replay is over once the queue it overlapped with is drained.
            replayed = null;
            await new Promise<void>((resolve) => (signal = resolve));
            signal = null;
            continue;
          }
          const id = message.event.id;
          if (lastEventId !== null && BigInt(id) <= BigInt(lastEventId)) continue;
          if (replayed?.has(id) === true) continue;
          await send(message);
        }
      } catch (error) {
        logger.error('alert stream failed', { error: errorMessage(error) });
      } finally {
        streams.delete(end);
        clearInterval(heartbeat);
        unsubscribe();
      }
    });
  });
  return app;
}

function parseLastEventId(raw: string | null): string | null {
  if (raw === null || raw.trim() === '') return null;
  const text = raw.trim();
  if (!/^\d{1,18}$/.test(text)) {
    throw new InvalidInputError(
      `Last-Event-ID ${JSON.stringify(raw)} must be an event id this stream sent (digits)`,
    );
  }
  return text;
}

async function readBacklog(
  db: Queryable,
  branchId: string | null,
  afterId: string,
): Promise<StreamMessage[]> {
  const { rows } = await db.query<{ message: StreamMessage }>(
    `select ${streamMessageSql} as message
       from alert_events e join alerts a on a.id = e.alert_id
      where e.id > $1::bigint and ($2::uuid is null or a.branch_id = $2::uuid)
      order by e.id
      limit $3`,
    [afterId, branchId, replayPageSize],
  );
  return rows.map((row) => row.message);
}

async function loadFilter(
  db: Queryable,
  principal: Principal,
  subscriptionId: string | undefined,
): Promise<StreamFilter> {
  const branchId = branchScope(principal);
  if (subscriptionId === undefined) return { branchId };
  if (!z.string().uuid().safeParse(subscriptionId).success) {
    throw new InvalidInputError(
      `query.subscriptionId ${JSON.stringify(subscriptionId)}: must be a uuid`,
    );
  }
  const { rows } = await db.query<{
    branch_id: string;
    borrower_id: string | null;
    loan_id: string | null;
    farm_id: string | null;
    kinds: string[] | null;
    min_severity: 'info' | 'warning' | 'critical';
  }>(
    `select branch_id, borrower_id, loan_id, farm_id, kinds, min_severity
       from subscriptions where id = $1`,
    [subscriptionId],
  );
  const sub = rows[0];
  if (sub === undefined || !canSeeBranch(principal, sub.branch_id)) {
    throw new NotFoundError('subscription', subscriptionId);
  }
  let borrower: StreamFilter['borrower'] = null;
  if (sub.borrower_id !== null) {
    const loans = await db.query<{ id: string }>('select id from loans where borrower_id = $1', [
      sub.borrower_id,
    ]);
    const farms = await db.query<{ id: string }>('select id from farms where borrower_id = $1', [
      sub.borrower_id,
    ]);
    borrower = {
      loanIds: new Set(loans.rows.map((r) => r.id)),
      farmIds: new Set(farms.rows.map((r) => r.id)),
    };
  }
  return {
    branchId: branchId ?? sub.branch_id,
    loanId: sub.loan_id,
    farmId: sub.farm_id,
    borrower,
    kinds: sub.kinds === null ? null : new Set(sub.kinds),
    minSeverity: sub.min_severity,
  };
}
