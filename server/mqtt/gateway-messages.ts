import {
  checkFixPlausibility,
  decodeCameraCount,
  decodeGatewayStatus,
  decodeTagMessage,
  defaultDecodeLimits,
  detectorSpecies,
  matchTopic,
  type AnimalDetector,
  type DecodeError,
  type EarTagReading,
  type TopicMatch,
} from '../../iot/index.ts';
import type { CameraCount } from '../db/camera-counts.ts';
import type { Rejection } from '../db/rejected-messages.ts';
import type { Storage } from '../db/storage.ts';
import type { TagReading } from '../db/tag-readings.ts';
import type { Logger } from '../logger.ts';
import type { IngestBatcher, IngestWork } from './ingest-batcher.ts';
import { LastFixCache } from './last-fix-cache.ts';

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
  /** Fastest believable animal, km/h: a faster implied move is an `impossible_jump`. Default 60. */
  readonly maxAnimalSpeedKmh?: number;
  /** Tags whose last fix is kept in memory for the plausibility check. Default 100 000. */
  readonly lastFixCacheSize?: number;
  /**
   * Counts the animals on camera frames; absent or null: frames are rejected (`not_supported`).
   * When it is busy (`DetectorBusyError`) the handler rejects: the frame is not acknowledged and
   * the gateway sends it again.
   */
  readonly frameCounter?: Pick<AnimalDetector, 'countAnimals'> | null;
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
  const lastFixes = new LastFixCache(storage, { maxTags: options.lastFixCacheSize });
  const maxSpeedKmh = options.maxAnimalSpeedKmh;
  const frameCounter = options.frameCounter ?? null;

  /**
   * Splits decoded readings (with their index in the message) into plausible ones and
   * rejections, checking each tag's fixes in time order against its last accepted fix. Runs
   * synchronously once the cache is loaded, so concurrent messages cannot interleave here.
   */
  function checkPlausible(readings: readonly { reading: EarTagReading; index: number }[]): {
    accepted: { reading: EarTagReading; index: number }[];
    refused: {
      index: number;
      tagId: string;
      verdict: Exclude<ReturnType<typeof checkFixPlausibility>, { ok: true }>;
    }[];
  } {
    const accepted: { reading: EarTagReading; index: number }[] = [];
    const refused: ReturnType<typeof checkPlausible>['refused'] = [];
    const inTimeOrder = [...readings].sort(
      (a, b) =>
        a.reading.observedAt.getTime() - b.reading.observedAt.getTime() || a.index - b.index,
    );
    for (const item of inTimeOrder) {
      const { reading } = item;
      const verdict = checkFixPlausibility(lastFixes.get(reading.tagId), reading, {
        maxSpeedKmh,
      });
      if (!verdict.ok) {
        refused.push({ index: item.index, tagId: reading.tagId, verdict });
        continue;
      }
      // An out-of-order fix is kept, but the later fix stays the reference.
      if (verdict.kind === 'accept') {
        lastFixes.set(reading.tagId, {
          observedAt: reading.observedAt,
          lat: reading.lat,
          lon: reading.lon,
        });
      }
      accepted.push(item);
    }
    accepted.sort((a, b) => a.index - b.index);
    return { accepted, refused };
  }

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
        // The good readings keep their index in the message: the items not rejected, in order.
        const rejectedIndexes = new Set(decoded.value.rejected.map((r) => r.index));
        const indexes =
          match.kind === 'tag_batch'
            ? items.map((_, i) => i).filter((i) => !rejectedIndexes.has(i))
            : [0];
        const decodedReadings = decoded.value.readings.map((reading, i) => ({
          reading,
          index: indexes[i] ?? i,
        }));
        await lastFixes.load(decodedReadings.map((r) => r.reading.tagId));
        const { accepted, refused } = checkPlausible(decodedReadings);
        const rawItem = (index: number): Buffer =>
          match.kind === 'tag_batch' ? Buffer.from(JSON.stringify(items[index] ?? null)) : payload;
        work = {
          readings: accepted.map(({ reading: r }): TagReading => ({
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
          rejections: [
            ...decoded.value.rejected.map(({ index, error }) =>
              reject(error.code, error.message, { index, field: error.field }, rawItem(index)),
            ),
            ...refused.map(({ index, tagId, verdict }) =>
              reject(
                verdict.code,
                match.kind === 'tag_batch'
                  ? `readings[${index}] (tag ${tagId}): ${verdict.message}`
                  : `tag ${tagId}: ${verdict.message}`,
                {
                  ...(match.kind === 'tag_batch' ? { index } : {}),
                  tagId,
                  speedKmh:
                    verdict.speedKmh === null ? null : Math.round(verdict.speedKmh * 10) / 10,
                  limitKmh: verdict.limitKmh,
                  distanceM: Math.round(verdict.distanceM),
                  elapsedMs: verdict.elapsedMs,
                },
                rawItem(index),
              ),
            ),
          ],
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
    } else if (match.kind === 'camera_frame') {
      // An unregistered camera is refused before the detector spends time on its frame.
      const cameraId =
        frameCounter === null ? null : await cameraIdFor(origin.farmId, match.cameraId);
      if (frameCounter === null) {
        const reason =
          'camera frames are not counted: no detector is configured (PW_CAMERA_DETECTOR_MODEL)';
        work = { readings: [], cameraCounts: [], rejections: [reject('not_supported', reason)] };
      } else if (cameraId === null) {
        work = {
          readings: [],
          cameraCounts: [],
          rejections: [
            reject('unknown_device', `camera ${match.cameraId} is not registered on this farm`),
          ],
        };
      } else {
        // Rejects with DetectorBusyError when the detector's queue is full: not acknowledged.
        const counted = await frameCounter.countAnimals(payload);
        if (!counted.ok) {
          const { code, message, field } = counted.error;
          work = { readings: [], cameraCounts: [], rejections: [reject(code, message, { field })] };
        } else {
          const result = counted.value;
          // One row per species the detector knows, zeros included: no cattle seen is a count.
          // A frame carries no time of its own: it is counted as of its arrival.
          work = {
            readings: [],
            cameraCounts: detectorSpecies.map((species): CameraCount => ({
              cameraId,
              farmId: origin.farmId,
              observedAt: receivedAt,
              species,
              headCount: result.counts[species],
              confidence: result.confidenceBySpecies[species],
              zone: null,
              source: 'detector',
            })),
            rejections: [],
          };
          logger.debug('camera frame counted', {
            camera: match.cameraId,
            counts: result.counts,
            totalMs: Math.round(result.timingsMs.total),
          });
        }
      }
    } else {
      // Commands are ours to send.
      const reason = `topic ${topic} is for the service to publish, not gateways`;
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
