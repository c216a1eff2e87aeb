import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import {
  crudRoutes,
  findVisible,
  requireRole,
  type ResourceSpec,
  type Row,
  type WriteContext,
} from '../api/crud.ts';
import { errorResponses, idParamSchema } from '../api/schemas.ts';
import { enqueueTestDelivery, subscriptionTopicFilter } from '../alerts/delivery/index.ts';
import { generateSecret } from '../auth/secrets.ts';
import { recordAudit } from '../db/audit.ts';
import type { Queryable } from '../db/storage.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { invalidField, refuseKeys } from './field-rules.ts';

const severities = ['info', 'warning', 'critical'] as const;
const channels = ['webhook', 'mqtt', 'sse'] as const;

export const subscriptionSchema = z
  .object({
    id: z.string().uuid(),
    ownerUserId: z.string().uuid(),
    name: z.string().openapi({ example: 'Risk desk webhook' }),
    branchId: z.string().uuid().openapi({ description: 'the branch the subscription lives in' }),
    borrowerId: z.string().uuid().nullable(),
    loanId: z.string().uuid().nullable(),
    farmId: z.string().uuid().nullable(),
    kinds: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'alert kinds; null: every kind', example: ['tag_outside_geofence'] }),
    minSeverity: z.enum(severities),
    channel: z.enum(channels),
    target: z.string().nullable().openapi({
      description:
        'webhook: the URL alerts are POSTed to; mqtt: the topic filter to subscribe to (pledgewatch/alerts/{branchCode}/{farmCode}); sse: null',
      example: 'https://risk.bank.example/hooks/pledgewatch',
    }),
    active: z.boolean(),
    secretRotatedAt: z.string().nullable().openapi({
      description: 'webhooks: when the signing secret was made; it is never shown again',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Subscription');

const signingSecretField = z.string().openapi({
  description:
    'HMAC-SHA256 key of the X-PledgeWatch-Signature header: shown only in this answer; keep it with the receiver',
});

const subscriptionWithSecretSchema = subscriptionSchema
  .extend({ signingSecret: signingSecretField })
  .openapi('SubscriptionWithSecret');

const kindSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'must be a snake_case alert kind, e.g. tag_outside_geofence');

const webhookUrlSchema = z
  .string()
  .max(2000)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http or https URL')
  .openapi({ example: 'https://risk.bank.example/hooks/pledgewatch' });

const createSubscriptionSchema = z
  .strictObject({
    name: z.string().max(200).default(''),
    branchId: z.string().uuid().optional().openapi({
      description:
        'officers and supervisors: their own branch (the default); admins: any branch, or the branch of the borrower, loan or farm',
    }),
    borrowerId: z.string().uuid().optional(),
    loanId: z.string().uuid().optional(),
    farmId: z.string().uuid().optional(),
    kinds: z.array(kindSchema).min(1).max(50).optional(),
    minSeverity: z.enum(severities).default('info'),
    channel: z.enum(channels),
    url: webhookUrlSchema
      .optional()
      .openapi({ description: 'webhook channel only, required there' }),
    active: z.boolean().default(true),
  })
  .openapi('SubscriptionCreate');

const updateSubscriptionSchema = z
  .strictObject(
    {
      name: z.string().max(200),
      kinds: z.array(kindSchema).min(1).max(50).nullable(),
      minSeverity: z.enum(severities),
      url: webhookUrlSchema,
      active: z.boolean(),
    },
    {
      error: refuseKeys(['branchId', 'borrowerId', 'loanId', 'farmId', 'channel', 'signingSecret']),
    },
  )
  .partial()
  .openapi('SubscriptionUpdate');

type Subscription = z.infer<typeof subscriptionSchema>;
type CreateSubscription = z.infer<typeof createSubscriptionSchema>;
type UpdateSubscription = z.infer<typeof updateSubscriptionSchema>;

function iso(value: unknown): string {
  return (value as Date).toISOString();
}

function toSubscription(row: Row): Subscription {
  return {
    id: String(row['id']),
    ownerUserId: String(row['owner_user_id']),
    name: String(row['name']),
    branchId: String(row['branch_id']),
    borrowerId: (row['borrower_id'] as string | null) ?? null,
    loanId: (row['loan_id'] as string | null) ?? null,
    farmId: (row['farm_id'] as string | null) ?? null,
    kinds: (row['kinds'] as string[] | null) ?? null,
    minSeverity: row['min_severity'] as Subscription['minSeverity'],
    channel: row['channel'] as Subscription['channel'],
    target: (row['target'] as string | null) ?? null,
    active: row['active'] === true,
    secretRotatedAt: row['secret_rotated_at'] === null ? null : iso(row['secret_rotated_at']),
    createdAt: iso(row['created_at']),
    updatedAt: iso(row['updated_at']),
  };
}

/**
 * The branch the scope names, checked: every named borrower, loan and farm exists and lies in one
 * branch, which is the caller's unless they are an admin. Unknown or other-branch items are 404s.
 */
async function resolveScope(
  tx: Queryable,
  input: CreateSubscription,
  context: { principal: WriteContext['principal'] },
): Promise<{ branchId: string; branchCode: string; farmCode: string | null }> {
  const { principal } = context;
  const branches = new Set<string>();
  const lookups: Array<[keyof CreateSubscription, string, string]> = [
    ['borrowerId', 'borrower', 'select branch_id from borrowers where id = $1'],
    ['loanId', 'loan', 'select branch_id from loans where id = $1'],
    [
      'farmId',
      'farm',
      'select b.branch_id from farms f join borrowers b on b.id = f.borrower_id where f.id = $1',
    ],
  ];
  for (const [field, name, sql] of lookups) {
    const id = input[field] as string | undefined;
    if (id === undefined) continue;
    const { rows } = await tx.query<{ branch_id: string }>(sql, [id]);
    const branchId = rows[0]?.branch_id;
    if (branchId === undefined || (principal.role !== 'admin' && branchId !== principal.branchId)) {
      throw new NotFoundError(name, id);
    }
    branches.add(branchId);
  }
  if (input.branchId !== undefined) {
    if (principal.role !== 'admin' && input.branchId !== principal.branchId) {
      throw new NotFoundError('branch', input.branchId);
    }
    branches.add(input.branchId);
  } else if (branches.size === 0 && principal.branchId !== null) {
    branches.add(principal.branchId);
  }
  if (branches.size === 0) {
    throw invalidField('branchId', 'required for an admin without a borrower, loan or farm scope');
  }
  if (branches.size > 1) {
    throw new InvalidInputError(
      'json: branchId, borrowerId, loanId and farmId name items of different branches; a subscription lives in one branch',
    );
  }
  const branchId = [...branches][0] as string;
  const { rows } = await tx.query<{ code: string }>('select code from branches where id = $1', [
    branchId,
  ]);
  const branchCode = rows[0]?.code;
  if (branchCode === undefined) throw new NotFoundError('branch', branchId);
  let farmCode: string | null = null;
  if (input.farmId !== undefined) {
    const farm = await tx.query<{ code: string }>('select code from farms where id = $1', [
      input.farmId,
    ]);
    farmCode = farm.rows[0]?.code ?? null;
  }
  return { branchId, branchCode, farmCode };
}

/** New signing secrets between `insert` and `createExtras`, which see the same request's context. */
const newSecrets = new WeakMap<WriteContext, string>();

/**
 * Alert subscriptions: who wants which alerts (scope, kinds, minimum severity) on which channel.
 * A webhook gets a signing secret, answered once; an MQTT subscription's target is its topic
 * filter; an SSE subscription is a saved filter for GET /api/alerts/stream?subscriptionId=.
 * Officers subscribe within their own branch only.
 */
export const subscriptionsSpec: ResourceSpec<CreateSubscription, UpdateSubscription> = {
  singular: 'subscription',
  plural: 'subscriptions',
  parentName: 'branch',
  outputSchema: subscriptionSchema,
  createSchema: createSubscriptionSchema,
  updateSchema: updateSubscriptionSchema,
  selectSql: `select t.id, t.owner_user_id, t.name, t.branch_id, t.borrower_id, t.loan_id, t.farm_id,
                     t.kinds, t.min_severity, t.channel, t.target, t.active, t.secret_rotated_at,
                     t.created_at, t.updated_at, t.created_at::text || t.id::text as sort_key
              from subscriptions t`,
  searchColumns: ['name', 'target'],
  hasBbox: false,
  filters: {
    farmId: 'farm_id',
    loanId: 'loan_id',
    borrowerId: 'borrower_id',
    channel: { column: 'channel', schema: z.enum(channels) },
  },
  roles: { write: 'officer', remove: 'officer' },
  toOutput: toSubscription,
  branchForCreate: async (tx, input, principal) =>
    (await resolveScope(tx, input, { principal })).branchId,
  insert: async (tx, input, context) => {
    const scope = await resolveScope(tx, input, context);
    let target: string | null = null;
    let secret: string | null = null;
    if (input.channel === 'webhook') {
      if (input.url === undefined) throw invalidField('url', 'required for a webhook');
      target = input.url;
      secret = `whsec_${generateSecret(32)}`;
    } else if (input.url !== undefined) {
      throw invalidField('url', `only a webhook has a URL, not ${input.channel}`);
    } else if (input.channel === 'mqtt') {
      target = subscriptionTopicFilter(scope.branchCode, scope.farmCode);
    }
    const { rows } = await tx.query<{ id: string }>(
      `insert into subscriptions (owner_user_id, name, branch_id, borrower_id, loan_id, farm_id,
                                  kinds, min_severity, channel, target, signing_secret, active,
                                  secret_rotated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
               case when $11::text is null then null else now() end)
       returning id`,
      [
        context.principal.userId,
        input.name,
        scope.branchId,
        input.borrowerId ?? null,
        input.loanId ?? null,
        input.farmId ?? null,
        input.kinds ?? null,
        input.minSeverity,
        input.channel,
        target,
        secret,
        input.active,
      ],
    );
    if (secret !== null) newSecrets.set(context, secret);
    return String(rows[0]?.id);
  },
  createExtras: (_id, context) => {
    const secret = newSecrets.get(context);
    newSecrets.delete(context);
    return secret === undefined ? {} : { signingSecret: secret };
  },
  update: async (tx, id, input) => {
    if (input.url !== undefined) {
      const { rows } = await tx.query<{ channel: string }>(
        'select channel from subscriptions where id = $1',
        [id],
      );
      if (rows[0]?.channel !== 'webhook') {
        throw invalidField('url', `only a webhook has a URL, not ${rows[0]?.channel ?? 'this'}`);
      }
    }
    await tx.query(
      `update subscriptions
          set name = coalesce($2, name),
              kinds = case when $3::boolean then $4::text[] else kinds end,
              min_severity = coalesce($5, min_severity),
              target = coalesce($6, target),
              active = coalesce($7, active),
              updated_at = now()
        where id = $1`,
      [
        id,
        input.name ?? null,
        input.kinds !== undefined,
        input.kinds ?? null,
        input.minSeverity ?? null,
        input.url ?? null,
        input.active ?? null,
      ],
    );
  },
  remove: async (tx, id) => {
    // The delivery log goes with it (attempts cascade); deactivate to keep it.
    await tx.query('delete from deliveries where subscription_id = $1', [id]);
    await tx.query('delete from subscriptions where id = $1', [id]);
  },
};

const deliverySchema = z
  .object({
    id: z.string(),
    subscriptionId: z.string().uuid(),
    alertEventId: z.string().nullable(),
    alertId: z.string().uuid().nullable(),
    idempotencyKey: z.string(),
    test: z.boolean(),
    status: z.enum(['pending', 'delivered', 'dead']),
    attempts: z.number().int(),
    nextAttemptAt: z.string().nullable().openapi({ description: 'null once delivered or dead' }),
    lastError: z.string().nullable(),
    lastStatusCode: z.number().int().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .openapi('Delivery');

const deliveryAttemptSchema = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    durationMs: z.number().int(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
  })
  .openapi('DeliveryAttempt');

const deliveryWithAttemptsSchema = deliverySchema
  .extend({ attemptLog: z.array(deliveryAttemptSchema) })
  .openapi('DeliveryWithAttempts');

const deliveryParamSchema = idParamSchema.extend({
  // Checked in findDelivery: an id that cannot exist is a 404 like one that does not.
  deliveryId: z.string().openapi({ param: { name: 'deliveryId', in: 'path' }, example: '42' }),
});

const deliveryListQuerySchema = z.object({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, 'must be the nextCursor of the previous page')
    .optional()
    .openapi({ description: 'nextCursor of the previous page (newest first)' }),
});

const deliveryColumns = `id, subscription_id, alert_event_id, alert_id, idempotency_key, test,
  status, attempts, next_attempt_at, last_error, last_status_code, created_at, delivered_at`;

function toDelivery(row: Row): z.infer<typeof deliverySchema> {
  const status = row['status'] as 'pending' | 'delivered' | 'dead';
  return {
    id: String(row['id']),
    subscriptionId: String(row['subscription_id']),
    alertEventId: row['alert_event_id'] === null ? null : String(row['alert_event_id']),
    alertId: (row['alert_id'] as string | null) ?? null,
    idempotencyKey: String(row['idempotency_key']),
    test: row['test'] === true,
    status,
    attempts: Number(row['attempts']),
    nextAttemptAt: status === 'pending' ? iso(row['next_attempt_at']) : null,
    lastError: (row['last_error'] as string | null) ?? null,
    lastStatusCode: row['last_status_code'] === null ? null : Number(row['last_status_code']),
    createdAt: iso(row['created_at']),
    deliveredAt: row['delivered_at'] === null ? null : iso(row['delivered_at']),
  };
}

/**
 * `/api/subscriptions`: CRUD plus `POST /{id}/rotate-secret` (webhooks), `POST /{id}/test` (a
 * marked test alert through the outbox), `GET /{id}/deliveries` (the delivery log, dead ones
 * included), `GET /{id}/deliveries/{deliveryId}` (with every try) and
 * `POST /{id}/deliveries/{deliveryId}/retry` (a dead delivery back to pending, tries reset).
 */
export function createSubscriptionRoutes(
  services: Services,
  options: { onDeliveryQueued?: () => void } = {},
): OpenAPIHono<AppEnv> {
  const app = crudRoutes(services, subscriptionsSpec);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/rotate-secret',
      tags: ['subscriptions'],
      summary: 'Give a webhook subscription a new signing secret; the old one stops at once',
      request: { params: idParamSchema },
      responses: {
        200: {
          description: 'the subscription with its new signing secret, shown this once',
          content: { 'application/json': { schema: subscriptionWithSecretSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const secret = `whsec_${generateSecret(32)}`;
      const after = await services.storage.transaction(async (tx) => {
        const before = await findVisible(tx, subscriptionsSpec, principal, id, { forUpdate: true });
        requireRole(principal, 'officer', 'rotate subscription secrets');
        if (before['channel'] !== 'webhook') {
          throw new InvalidInputError(
            `subscription ${id} is a ${String(before['channel'])} subscription: only webhooks have a signing secret`,
          );
        }
        await tx.query(
          `update subscriptions set signing_secret = $2, secret_rotated_at = now(), updated_at = now()
            where id = $1`,
          [id, secret],
        );
        const result = toSubscription(await findVisible(tx, subscriptionsSpec, principal, id));
        await recordAudit(tx, {
          principal,
          action: 'rotate_secret',
          entityType: 'subscriptions',
          entityId: id,
          branchId: String(before['branch_id']),
          before: toSubscription(before),
          after: result,
          requestId: c.get('requestId'),
        });
        return result;
      });
      return c.json({ ...after, signingSecret: secret }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/test',
      tags: ['subscriptions'],
      summary: 'Send a test alert through the same outbox, signature and retries as real ones',
      request: { params: idParamSchema },
      responses: {
        202: {
          description: 'the queued test delivery; follow it in GET /{id}/deliveries',
          content: { 'application/json': { schema: deliverySchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const delivery = await services.storage.transaction(async (tx) => {
        const row = await findVisible(tx, subscriptionsSpec, principal, id);
        if (row['channel'] === 'sse') {
          throw new InvalidInputError(
            `subscription ${id} is an SSE subscription: its alerts are read live from GET /api/alerts/stream, there is nothing to send`,
          );
        }
        const queued = await enqueueTestDelivery(tx, id, { requestedBy: principal.userId });
        const { rows } = await tx.query<Row>(
          `select ${deliveryColumns} from deliveries where id = $1`,
          [queued.deliveryId],
        );
        return toDelivery(rows[0] as Row);
      });
      options.onDeliveryQueued?.();
      return c.json(delivery, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/deliveries',
      tags: ['subscriptions'],
      summary: 'The delivery log of a subscription, newest first, dead deliveries included',
      request: { params: idParamSchema, query: deliveryListQuerySchema },
      responses: {
        200: {
          description: 'a page of deliveries',
          content: {
            'application/json': {
              schema: z.object({
                items: z.array(deliverySchema),
                nextCursor: z.string().nullable(),
              }),
            },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const query = c.req.valid('query');
      await findVisible(services.storage, subscriptionsSpec, c.get('principal'), id);
      const { rows } = await services.storage.query<Row>(
        `select ${deliveryColumns} from deliveries
          where subscription_id = $1
            and ($2::text is null or status = $2)
            and ($3::bigint is null or id < $3::bigint)
          order by id desc
          limit $4`,
        [id, query.status ?? null, query.cursor ?? null, query.limit + 1],
      );
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return c.json(
        {
          items: page.map(toDelivery),
          nextCursor: rows.length > query.limit && last !== undefined ? String(last['id']) : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/deliveries/{deliveryId}',
      tags: ['subscriptions'],
      summary: 'One delivery with every try: when, how long, the status code or the error',
      request: { params: deliveryParamSchema },
      responses: {
        200: {
          description: 'the delivery and its tries',
          content: { 'application/json': { schema: deliveryWithAttemptsSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id, deliveryId } = c.req.valid('param');
      await findVisible(services.storage, subscriptionsSpec, c.get('principal'), id);
      const delivery = await findDelivery(services.storage, id, deliveryId);
      const { rows } = await services.storage.query<Row>(
        `select attempt, at, duration_ms, status_code, error from delivery_attempts
          where delivery_id = $1 order by id`,
        [deliveryId],
      );
      return c.json(
        {
          ...toDelivery(delivery),
          attemptLog: rows.map((row) => ({
            attempt: Number(row['attempt']),
            at: iso(row['at']),
            durationMs: Number(row['duration_ms']),
            statusCode: row['status_code'] === null ? null : Number(row['status_code']),
            error: (row['error'] as string | null) ?? null,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/deliveries/{deliveryId}/retry',
      tags: ['subscriptions'],
      summary: 'Send a dead delivery again: back to pending with its tries reset',
      request: { params: deliveryParamSchema },
      responses: {
        200: {
          description: 'the delivery, pending again',
          content: { 'application/json': { schema: deliverySchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const principal = c.get('principal');
      const { id, deliveryId } = c.req.valid('param');
      const after = await services.storage.transaction(async (tx) => {
        await findVisible(tx, subscriptionsSpec, principal, id);
        requireRole(principal, 'officer', 'retry deliveries');
        const before = await findDelivery(tx, id, deliveryId);
        if (before['status'] !== 'dead') {
          throw new InvalidInputError(
            `delivery ${deliveryId} is ${String(before['status'])}: only a dead delivery can be retried`,
          );
        }
        const { rows } = await tx.query<Row>(
          `update deliveries set status = 'pending', attempts = 0, next_attempt_at = now()
            where id = $1 returning ${deliveryColumns}`,
          [deliveryId],
        );
        return toDelivery(rows[0] as Row);
      });
      options.onDeliveryQueued?.();
      return c.json(after, 200);
    },
  );
  return app;
}

async function findDelivery(
  db: Queryable,
  subscriptionId: string,
  deliveryId: string,
): Promise<Row> {
  if (!/^\d{1,18}$/.test(deliveryId)) throw new NotFoundError('delivery', deliveryId);
  const { rows } = await db.query<Row>(
    `select ${deliveryColumns} from deliveries where id = $1 and subscription_id = $2`,
    [deliveryId, subscriptionId],
  );
  const row = rows[0];
  if (row === undefined) throw new NotFoundError('delivery', deliveryId);
  return row;
}
