/** The edge handler's camera-frame routing, with a stand-in detector, database and batcher. */
import { describe, expect, it } from 'vitest';
import { DetectorBusyError, type AnimalCount, type AnimalDetector } from '../../iot/index.ts';
import type { Storage } from '../db/storage.ts';
import { silentLogger } from '../logger.ts';
import { createGatewayMessageHandler } from './gateway-messages.ts';
import type { IngestBatcher, IngestWork } from './ingest-batcher.ts';

const now = new Date('2026-11-22T12:00:00Z');
const origin = { farmId: 'farm-1', gatewayId: 'gw-1', clientId: 'GW-1' };
const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
const topic = 'farms/F-1/cameras/CAM-1/frame';

const counted: AnimalCount = {
  counts: { cattle: 5, sheep: 0, horse: 1 },
  confidenceBySpecies: { cattle: 0.6, sheep: null, horse: 0.4 },
  confidence: 0.5667,
  detections: [],
  frameWidth: 640,
  frameHeight: 480,
  timingsMs: { queued: 0, decode: 50, inference: 20, total: 70 },
};

function setup(countAnimals: AnimalDetector['countAnimals'] | null) {
  const storage = {
    query: (_sql: string, params: unknown[] = []) =>
      Promise.resolve({ rows: params[1] === 'CAM-1' ? [{ id: 'camera-1' }] : [], rowCount: 0 }),
  } as unknown as Storage;
  const works: IngestWork[] = [];
  const batcher = {
    submit: (work: IngestWork) => {
      works.push(work);
      return Promise.resolve();
    },
  } as unknown as IngestBatcher;
  const handle = createGatewayMessageHandler({
    storage,
    batcher,
    maxPayloadBytes: 65_536,
    logger: silentLogger,
    now: () => now,
    frameCounter: countAnimals === null ? null : { countAnimals },
  });
  return { handle, works };
}

describe('camera frames at the edge', () => {
  it('stores one detector count per species, zeros included, as of arrival', async () => {
    const { handle, works } = setup(() => Promise.resolve({ ok: true, value: counted }));
    await handle(origin, topic, jpeg);
    expect(works[0]?.rejections).toEqual([]);
    expect(works[0]?.cameraCounts).toEqual(
      (['cattle', 'sheep', 'horse'] as const).map((species) => ({
        cameraId: 'camera-1',
        farmId: 'farm-1',
        observedAt: now,
        species,
        headCount: counted.counts[species],
        confidence: counted.confidenceBySpecies[species],
        zone: null,
        source: 'detector',
      })),
    );
  });

  it('does not acknowledge a frame the busy detector refused: the handler rejects, nothing stored', async () => {
    const { handle, works } = setup(() => Promise.reject(new DetectorBusyError('busy')));
    await expect(handle(origin, topic, jpeg)).rejects.toBeInstanceOf(DetectorBusyError);
    expect(works).toEqual([]);
  });

  it('records a frame the detector could not count, with its reason', async () => {
    const { handle, works } = setup(() =>
      Promise.resolve({
        ok: false,
        error: {
          code: 'detector_failed',
          field: 'frame',
          value: null,
          message: 'the detector failed on the frame: boom',
        },
      }),
    );
    await handle(origin, topic, jpeg);
    expect(works[0]?.cameraCounts).toEqual([]);
    expect(works[0]?.rejections).toMatchObject([
      {
        reasonCode: 'detector_failed',
        reason: 'the detector failed on the frame: boom',
        payload: jpeg,
        topic,
      },
    ]);
  });

  it('refuses frames from unregistered cameras without running the detector', async () => {
    let calls = 0;
    const { handle, works } = setup(() => {
      calls++;
      return Promise.resolve({ ok: true, value: counted });
    });
    await handle(origin, 'farms/F-1/cameras/CAM-2/frame', jpeg);
    expect(calls).toBe(0);
    expect(works[0]?.rejections[0]?.reasonCode).toBe('unknown_device');
  });

  it('records every frame with the reason when no detector is configured', async () => {
    const { handle, works } = setup(null);
    await handle(origin, topic, jpeg);
    expect(works[0]?.rejections).toMatchObject([
      {
        reasonCode: 'not_supported',
        reason:
          'camera frames are not counted: no detector is configured (PW_CAMERA_DETECTOR_MODEL)',
        payload: jpeg,
      },
    ]);
  });
});
