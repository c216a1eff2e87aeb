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
  type TagMessage,
  type TopicMatch,
} from '../../iot/index.ts';
import type { CameraCount } from '../db/camera-counts.ts';
import type { Rejection } from '../db/rejected-messages.ts';
import type { Storage } from '../db/storage.ts';
import { tagReadingOf } from '../db/tag-readings.ts';
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

/** One message as received: what every rejection of it repeats. */
interface Received {
  readonly origin: MessageOrigin;
  readonly topic: string;
  readonly payload: Buffer;
  readonly receivedAt: Date;
}

/** What a message asks to store, before the gateway is marked as seen. */
type WorkRows = Omit<IngestWork, 'gatewaySeen'>;

type TagTopicMatch = Extract<TopicMatch, { kind: 'tag_reading' | 'tag_batch' }>;

type Implausible = Exclude<ReturnType<typeof checkFixPlausibility>, { ok: true }>;

/** Shared by the many messages that have no rows of a kind (never mutated). */
const none: readonly never[] = Object.freeze([]);

function rejection(
  received: Received,
  code: string,
  reason: string,
  details: Record<string, unknown> | null = null,
  raw: Buffer = received.payload,
): Rejection {
  const { origin } = received;
  return {
    source: 'mqtt',
    topic: received.topic,
    clientId: origin.clientId,
    farmId: origin.farmId,
    gatewayId: origin.gatewayId,
    payload: raw,
    reasonCode: code,
    reason,
    details,
    receivedAt: received.receivedAt,
  };
}

/** The refusal of a message from a camera the farm has not registered. */
function unknownCamera(received: Received, cameraId: string): WorkRows {
  return refusal(received, 'unknown_device', `camera ${cameraId} is not registered on this farm`);
}

function refusal(
  received: Received,
  code: string,
  reason: string,
  details: Record<string, unknown> | null = null,
): WorkRows {
  return {
    readings: none,
    cameraCounts: none,
    rejections: [rejection(received, code, reason, details)],
  };
}

function refuseWhole(received: Received, error: DecodeError): WorkRows {
  return refusal(received, error.code, error.message, { field: error.field });
}

/**
 * Turns one uplink message into stored rows: good readings and counts, and for everything refused
 * a rejection with the raw payload and the reason. Resolves once all of it is committed, so the
 * caller may acknowledge the message; it never rejects for bad input (bad input is stored), only
 * when storing fails.
 *
 * Ear-tag readings, nearly all the traffic, take a short path: decoded and checked in the same
 * turn they arrive when their tags' last fixes are cached, with no promise but the batcher's.
 */
export function createGatewayMessageHandler(options: GatewayMessageHandlerOptions) {
  const { storage, batcher, maxPayloadBytes, logger } = options;
  const now = options.now ?? (() => new Date());
  const cameraIds = new Map<string, string | null>();
  const lastFixes = new LastFixCache(storage, { maxTags: options.lastFixCacheSize });
  const plausibility = { maxSpeedKmh: options.maxAnimalSpeedKmh };
  const frameCounter = options.frameCounter ?? null;
  const sizeLimit = { maxBytes: maxPayloadBytes };

  function decodeLimitsAt(receivedAt: Date) {
    return {
      maxFutureSkewMs: defaultDecodeLimits.maxFutureSkewMs,
      maxAgeMs: defaultDecodeLimits.maxAgeMs,
      now: receivedAt,
    };
  }

  /** Hands the rows to the batcher, marking the gateway as seen; resolves once committed. */
  function submit(received: Received, rows: WorkRows): Promise<void> {
    const { gatewayId } = received.origin;
    return batcher.submit(
      gatewayId === null
        ? rows
        : {
            readings: rows.readings,
            cameraCounts: rows.cameraCounts,
            rejections: rows.rejections,
            gatewaySeen: { gatewayId, at: received.receivedAt },
          },
    );
  }

  /**
   * Splits decoded readings (with their index in the message) into plausible ones and
   * rejections, checking each tag's fixes in time order against its last accepted fix. Runs
   * synchronously once the cache is loaded, so concurrent messages cannot interleave here.
   */
  function checkPlausible(readings: readonly { reading: EarTagReading; index: number }[]): {
    accepted: { reading: EarTagReading; index: number }[];
    refused: { index: number; tagId: string; verdict: Implausible }[];
  } {
    const accepted: { reading: EarTagReading; index: number }[] = [];
    const refused: { index: number; tagId: string; verdict: Implausible }[] = [];
    const inTimeOrder =
      readings.length < 2
        ? readings
        : [...readings].sort(
            (a, b) =>
              a.reading.observedAt.getTime() - b.reading.observedAt.getTime() || a.index - b.index,
          );
    for (const item of inTimeOrder) {
      const { reading } = item;
      const verdict = checkFixPlausibility(lastFixes.get(reading.tagId), reading, plausibility);
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
    if (accepted.length > 1) accepted.sort((a, b) => a.index - b.index);
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

  function handleTagMessage(received: Received, match: TagTopicMatch): Promise<void> {
    const decoded = decodeTagMessage(
      match,
      received.payload,
      decodeLimitsAt(received.receivedAt),
      sizeLimit,
    );
    if (!decoded.ok) return submit(received, refuseWhole(received, decoded.error));
    const message = decoded.value;
    const tags = message.readings.map((r) => r.tagId);
    if (lastFixes.hasAll(tags)) return submit(received, tagRows(received, match, message));
    return lastFixes.load(tags).then(() => submit(received, tagRows(received, match, message)));
  }

  /** The rows of a decoded ear-tag message, once its tags' last fixes are in the cache. */
  function tagRows(received: Received, match: TagTopicMatch, message: TagMessage): WorkRows {
    const isBatch = match.kind === 'tag_batch';
    const { origin } = received;
    // The good readings keep their index in the message: the items not rejected, in order.
    const rejectedIndexes =
      message.rejected.length === 0 ? null : new Set(message.rejected.map((r) => r.index));
    let next = 0;
    const decodedReadings = message.readings.map((reading) => {
      while (rejectedIndexes?.has(next) === true) next += 1;
      return { reading, index: next++ };
    });
    const { accepted, refused } = checkPlausible(decodedReadings);
    const readings = accepted.map(({ reading }) =>
      tagReadingOf(reading, origin.farmId, origin.gatewayId),
    );
    if (message.rejected.length === 0 && refused.length === 0) {
      return { readings, cameraCounts: none, rejections: none };
    }
    // One bad item of a batch is stored on its own, with its index; the good ones go on.
    const items = isBatch ? batchItems(received.payload) : [];
    const rawItem = (index: number): Buffer =>
      isBatch ? Buffer.from(JSON.stringify(items[index] ?? null)) : received.payload;
    return {
      readings,
      cameraCounts: none,
      rejections: [
        ...message.rejected.map(({ index, error }) =>
          rejection(
            received,
            error.code,
            error.message,
            { index, field: error.field },
            rawItem(index),
          ),
        ),
        ...refused.map(({ index, tagId, verdict }) =>
          rejection(
            received,
            verdict.code,
            isBatch
              ? `readings[${index}] (tag ${tagId}): ${verdict.message}`
              : `tag ${tagId}: ${verdict.message}`,
            {
              ...(isBatch ? { index } : {}),
              tagId,
              speedKmh: verdict.speedKmh === null ? null : Math.round(verdict.speedKmh * 10) / 10,
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

  /** Every message but ear-tag readings: camera counts and frames, gateway status, the rest. */
  async function otherRows(received: Received, match: TopicMatch | null): Promise<WorkRows> {
    const { origin, topic, payload, receivedAt } = received;
    if (match === null) {
      return refusal(
        received,
        'unknown_topic',
        `topic ${topic} is not one of PledgeWatch's topics`,
      );
    }
    if (match.kind === 'camera_count') {
      const decoded = decodeCameraCount(match, payload, decodeLimitsAt(receivedAt), sizeLimit);
      if (!decoded.ok) return refuseWhole(received, decoded.error);
      const cameraId = await cameraIdFor(origin.farmId, match.cameraId);
      if (cameraId === null) return unknownCamera(received, match.cameraId);
      const count = decoded.value;
      return {
        readings: none,
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
        rejections: none,
      };
    }
    if (match.kind === 'gateway_status') {
      const decoded = decodeGatewayStatus(match, payload, decodeLimitsAt(receivedAt), sizeLimit);
      if (!decoded.ok) return refuseWhole(received, decoded.error);
      logger.info('gateway status', { gateway: match.gatewayId, status: decoded.value.status });
      return { readings: none, cameraCounts: none, rejections: none };
    }
    if (match.kind === 'camera_frame') {
      if (frameCounter === null) {
        const reason =
          'camera frames are not counted: no detector is configured (PW_CAMERA_DETECTOR_MODEL)';
        return refusal(received, 'not_supported', reason);
      }
      // An unregistered camera is refused before the detector spends time on its frame.
      const cameraId = await cameraIdFor(origin.farmId, match.cameraId);
      if (cameraId === null) return unknownCamera(received, match.cameraId);
      // Rejects with DetectorBusyError when the detector's queue is full: not acknowledged.
      const counted = await frameCounter.countAnimals(payload);
      if (!counted.ok) {
        const { code, message, field } = counted.error;
        return refusal(received, code, message, { field });
      }
      const result = counted.value;
      logger.debug('camera frame counted', {
        camera: match.cameraId,
        counts: result.counts,
        totalMs: Math.round(result.timingsMs.total),
      });
      // One row per species the detector knows, zeros included: no cattle seen is a count.
      // A frame carries no time of its own: it is counted as of its arrival.
      return {
        readings: none,
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
        rejections: none,
      };
    }
    // Commands are ours to send (ear-tag topics never come here).
    return refusal(
      received,
      'not_supported',
      `topic ${topic} is for the service to publish, not gateways`,
    );
  }

  return function handleGatewayMessage(
    origin: MessageOrigin,
    topic: string,
    payload: Buffer,
  ): Promise<void> {
    try {
      const received: Received = { origin, topic, payload, receivedAt: now() };
      const match = matchTopic(topic);
      if (match !== null && (match.kind === 'tag_reading' || match.kind === 'tag_batch')) {
        return handleTagMessage(received, match);
      }
      return otherRows(received, match).then((rows) => submit(received, rows));
    } catch (error) {
      // Not expected (bad input is stored, not thrown), but the caller gets a rejected promise,
      // never a throw: the message then stays unacknowledged.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
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
