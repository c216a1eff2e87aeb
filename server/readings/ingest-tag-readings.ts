import { decodeEarTagReading, defaultDecodeLimits, type DecodeError } from '../../iot/index.ts';
import type { AuthenticatedGateway } from '../auth/gateway-auth.ts';
import { recordRejections, type Rejection } from '../db/rejected-messages.ts';
import type { Storage } from '../db/storage.ts';
import { tagReadingOf, writeTagReadings, type TagReading } from '../db/tag-readings.ts';

export interface IngestOutcome {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: ReadonlyArray<{ index: number; code: string; field: string; message: string }>;
}

/**
 * Decodes a gateway's batch item by item, then stores the good readings and the rejected items in
 * one transaction. Resolving means both are committed: only then may the caller acknowledge.
 */
export async function ingestTagReadings(
  storage: Storage,
  gateway: AuthenticatedGateway,
  items: readonly unknown[],
  context: {
    receivedAt: Date;
    topic: string;
    /**
     * Called with the decoded readings once they are committed (the alert engine's hook, as the
     * MQTT batcher's `onCommitted`). Synchronous and must not throw.
     */
    onCommitted?: (readings: readonly TagReading[]) => void;
  },
): Promise<IngestOutcome> {
  const limits = { ...defaultDecodeLimits, now: context.receivedAt };
  const readings: TagReading[] = [];
  const rejected: Array<{ index: number; error: DecodeError; item: unknown }> = [];
  items.forEach((item, index) => {
    const result = decodeEarTagReading(item, limits, `readings[${index}]`);
    if (result.ok) {
      const r = result.value;
      readings.push(tagReadingOf(r, gateway.farmId, gateway.id));
    } else {
      rejected.push({ index, error: result.error, item });
    }
  });

  const rejections: Rejection[] = rejected.map(({ index, error, item }) => ({
    source: 'http',
    topic: context.topic,
    clientId: gateway.code,
    farmId: gateway.farmId,
    gatewayId: gateway.id,
    payload: Buffer.from(JSON.stringify(item) ?? 'undefined'),
    reasonCode: error.code,
    reason: error.message,
    details: { index, field: error.field },
    receivedAt: context.receivedAt,
  }));

  const written = await storage.transaction(async (tx) => {
    const result = await writeTagReadings(tx, readings);
    await recordRejections(tx, rejections);
    await tx.query('update gateways set last_seen_at = $2 where id = $1', [
      gateway.id,
      context.receivedAt,
    ]);
    return result;
  });
  if (readings.length > 0) context.onCommitted?.(readings);

  return {
    accepted: written.inserted,
    duplicates: written.duplicates,
    rejected: rejected.map(({ index, error }) => ({
      index,
      code: error.code,
      field: error.field,
      message: error.message,
    })),
  };
}
