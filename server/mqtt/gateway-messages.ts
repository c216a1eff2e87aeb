import {
  decodeCameraCount,
  decodeGatewayStatus,
  decodeTagMessage,
  defaultDecodeLimits,
  matchTopic,
  type DecodeError,
  type TopicMatch,
} from '../../iot/index.ts';
import type { CameraCount } from '../db/camera-counts.ts';
import type { Rejection } from '../db/rejected-messages.ts';
import type { Storage } from '../db/storage.ts';
import type { TagReading } from '../db/tag-readings.ts';
import type { Logger } from '../logger.ts';
import type { IngestBatcher, IngestWork } from './ingest-batcher.ts';

/** Where a message came from: the farm its topic names (checked), and the gateway if known. */
export interface MessageOrigin {
  readonly farmId: string;
  readonly gatewayId: string | null;
  readonly clientId: string;
}

export interface GatewayMessageHandlerOptions {
  readonly storage: Storage;
  readonly batcher: IngestBatcher;
  readonly maxPayloadBytes: number;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * Turns one uplink message into stored rows: good readings and counts, and for everything refused
 * a rejection with the raw payload and the reason. Resolves once all of it is committed, so the
 * caller may acknowledge the message; it never rejects for bad input (bad input is stored), only
 * when storing fails.
 */
export function createGatewayMessageHandler(options: GatewayMessageHandlerOptions) {
  const { storage, batcher, maxPayloadBytes, logger } = options;
  const now = options.now ?? (() => new Date());
  const cameraIds = new Map<string, string | null>();

  async function cameraIdFor(farmId: string, code: string): Promise<string | null> {
    const key = `${farmId}/${code}`;
    if (!cameraIds.has(key)) {
      const { rows } = await storage.query<{ id: string }>(
        'select id from cameras where farm_id = $1 and code = $2',
        [farmId, code],
      );
      // Unknown cameras are not cached: one may be registered a minute later.
      if (rows[0] === undefined) return null;
      cameraIds.set(key, rows[0].id);
    }
    return cameraIds.get(key) ?? null;
  }

  return async function handleGatewayMessage(
    origin: MessageOrigin,
    topic: string,
    payload: Buffer,
  ): Promise<void> {
    const receivedAt = now();
    const limits = { ...defaultDecodeLimits, now: receivedAt };
    const reject = (
      code: string,
      reason: string,
      details: Record<string, unknown> | null = null,
      raw: Buffer = payload,
    ): Rejection => ({
      source: 'mqtt',
      topic,
      clientId: origin.clientId,
      farmId: origin.farmId,
      gatewayId: origin.gatewayId,
      payload: raw,
      reasonCode: code,
      reason,
      details,
      receivedAt,
    });
    const refuseWhole = (error: DecodeError): IngestWork => ({
      readings: [],
      cameraCounts: [],
      rejections: [reject(error.code, error.message, { field: error.field })],
    });
    const seen =
      origin.gatewayId === null ? undefined : { gatewayId: origin.gatewayId, at: receivedAt };

    const match: TopicMatch | null = matchTopic(topic);
    let work: IngestWork;
    if (match === null) {
      work = {
        readings: [],
        cameraCounts: [],
        rejections: [reject('unknown_topic', `topic ${topic} is not one of PledgeWatch's topics`)],
      };
    } else if (match.kind === 'tag_reading' || match.kind === 'tag_batch') {
      const decoded = decodeTagMessage(match, payload, limits, { maxBytes: maxPayloadBytes });
      if (!decoded.ok) {
        work = refuseWhole(decoded.error);
      } else {
        const items = match.kind === 'tag_batch' ? batchItems(payload) : [];
        work = {
          readings: decoded.value.readings.map((r): TagReading => ({
            tagCode: r.tagId,
            observedAt: r.observedAt,
            farmId: origin.farmId,
            gatewayId: origin.gatewayId,
            lat: r.lat,
            lon: r.lon,
            temperatureC: r.temperatureC,
            activity: r.activity,
            batteryPct: r.batteryPct,
            rssi: r.rssi,
          })),
          cameraCounts: [],
          // One bad item of a batch is stored on its own, with its index; the good ones go on.
          rejections: decoded.value.rejected.map(({ index, error }) =>
            reject(
              error.code,
              error.message,
              { index, field: error.field },
              Buffer.from(JSON.stringify(items[index] ?? null)),
            ),
          ),
        };
      }
    } else if (match.kind === 'camera_count') {
      const decoded = decodeCameraCount(match, payload, limits, { maxBytes: maxPayloadBytes });
      if (!decoded.ok) {
        work = refuseWhole(decoded.error);
      } else {
        const cameraId = await cameraIdFor(origin.farmId, match.cameraId);
        const count = decoded.value;
        work =
          cameraId === null
            ? {
                readings: [],
                cameraCounts: [],
                rejections: [
                  reject(
                    'unknown_device',
                    `camera ${match.cameraId} is not registered on this farm`,
                  ),
                ],
              }
            : {
                readings: [],
                cameraCounts: [
                  {
                    cameraId,
                    farmId: origin.farmId,
                    observedAt: count.observedAt,
                    species: count.species,
                    headCount: count.headCount,
                    confidence: count.confidence,
                    zone: count.zone,
                    source: 'gateway',
                  } satisfies CameraCount,
                ],
                rejections: [],
              };
      }
    } else if (match.kind === 'gateway_status') {
      const decoded = decodeGatewayStatus(match, payload, limits, { maxBytes: maxPayloadBytes });
      if (!decoded.ok) work = refuseWhole(decoded.error);
      else {
        logger.info('gateway status', { gateway: match.gatewayId, status: decoded.value.status });
        work = { readings: [], cameraCounts: [], rejections: [] };
      }
    } else {
      // Frames need the detector (not configured in this version); commands are ours to send.
      const reason =
        match.kind === 'camera_frame'
          ? 'camera frames are not counted: no detector is configured'
          : `topic ${topic} is for the service to publish, not gateways`;
      work = { readings: [], cameraCounts: [], rejections: [reject('not_supported', reason)] };
    }
    await batcher.submit(seen === undefined ? work : { ...work, gatewaySeen: seen });
  };
}

export type GatewayMessageHandler = ReturnType<typeof createGatewayMessageHandler>;

/** The raw items of a batch message, to store a rejected item as it was sent. */
function batchItems(payload: Buffer): unknown[] {
  try {
    const parsed = JSON.parse(payload.toString('utf8')) as { readings?: unknown };
    return Array.isArray(parsed.readings) ? parsed.readings : [];
  } catch {
    return []; // already refused by the decoder; nothing to index
  }
}
