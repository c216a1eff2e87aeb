import type { Queryable } from './storage.ts';

export interface Rejection {
  readonly source: 'mqtt' | 'http' | 'tile' | 'import';
  readonly topic: string | null;
  readonly clientId: string | null;
  readonly farmId: string | null;
  readonly gatewayId: string | null;
  /** The raw bytes as received (or the offending item of a batch). */
  readonly payload: Buffer | null;
  readonly reasonCode: string;
  readonly reason: string;
  readonly details: Record<string, unknown> | null;
  readonly receivedAt: Date;
}

/** Stores rejections, all in one statement. */
export async function recordRejections(
  tx: Queryable,
  rejections: readonly Rejection[],
): Promise<void> {
  if (rejections.length === 0) return;
  await tx.query(
    `insert into rejected_messages
       (received_at, source, topic, client_id, farm_id, gateway_id, payload, reason_code, reason, details)
     select received_at, source, topic, client_id, farm_id, gateway_id, decode(payload_hex, 'hex'),
            reason_code, reason, details
     from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::uuid[],
                 $7::text[], $8::text[], $9::text[], $10::jsonb[])
       as r(received_at, source, topic, client_id, farm_id, gateway_id, payload_hex, reason_code, reason, details)`,
    [
      rejections.map((r) => r.receivedAt.toISOString()),
      rejections.map((r) => r.source),
      rejections.map((r) => r.topic),
      rejections.map((r) => r.clientId),
      rejections.map((r) => r.farmId),
      rejections.map((r) => r.gatewayId),
      // hex text: both drivers pass text arrays the same way, bytea arrays they do not.
      rejections.map((r) => (r.payload === null ? null : r.payload.toString('hex'))),
      rejections.map((r) => r.reasonCode),
      rejections.map((r) => r.reason),
      rejections.map((r) => (r.details === null ? null : JSON.stringify(r.details))),
    ],
  );
}
