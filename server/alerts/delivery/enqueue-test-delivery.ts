import { randomUUID } from 'node:crypto';
import type { Queryable } from '../../db/storage.ts';
import type { DeliveryBody } from './delivery-body.ts';

/**
 * "Send a test alert": one delivery for a webhook or MQTT subscription that goes through the same
 * worker, signature, retries and log as a real one, clearly marked: `event.type` and `alert.kind`
 * are `test`, `event.test` is true and webhooks get `X-PledgeWatch-Test: true`. No alert exists.
 * Returns the delivery's id and body.
 */
export async function enqueueTestDelivery(
  tx: Queryable,
  subscriptionId: string,
  options: { requestedBy: string | null },
): Promise<{ deliveryId: string; body: DeliveryBody }> {
  const { rows } = await tx.query<{
    branch_id: string;
    branch_code: string;
    farm_id: string | null;
    farm_code: string | null;
    loan_id: string | null;
  }>(
    `select coalesce(s.branch_id, b.id) as branch_id, b.code as branch_code,
            s.farm_id, f.code as farm_code, s.loan_id
       from subscriptions s
       left join farms f on f.id = s.farm_id
       join branches b on b.id = s.branch_id
      where s.id = $1`,
    [subscriptionId],
  );
  const scope = rows[0];
  if (scope === undefined) throw new Error(`subscription ${subscriptionId} has no branch`);
  const now = new Date().toISOString();
  const testId = randomUUID();
  const body: DeliveryBody = {
    event: {
      id: `test-${testId}`,
      type: 'test',
      at: now,
      actorKind: options.requestedBy === null ? 'system' : 'user',
      actorUserId: options.requestedBy,
      comment: 'A test alert sent from PledgeWatch: no collateral changed.',
      payload: null,
      test: true,
    },
    alert: {
      id: testId,
      kind: 'test',
      subjectType: 'test',
      subjectId: testId,
      branchId: scope.branch_id,
      branchCode: scope.branch_code,
      loanId: scope.loan_id,
      farmId: scope.farm_id,
      farmCode: scope.farm_code,
      severity: 'info',
      status: 'open',
      title: 'Test alert',
      evidence: {},
      raisedAt: now,
      updatedAt: now,
    },
  };
  const inserted = await tx.query<{ id: string }>(
    `insert into deliveries (subscription_id, idempotency_key, body, test)
     values ($1, $2, $3::jsonb, true) returning id`,
    [subscriptionId, `${subscriptionId}:test-${testId}`, JSON.stringify(body)],
  );
  return { deliveryId: String(inserted.rows[0]?.id), body };
}
