/**
 * The real detector (YOLOX-Nano, COCO) on real pasture-camera frames, both kept outside the
 * project in `../shared/data` (see their PROVENANCE.md; never copied here). Skipped, saying so,
 * where they are absent. The model is a weak counter (a plumbing fixture): these tests check that
 * frames go through decode, letterbox, inference and decoding, not that the counts are right.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAnimalDetector,
  DetectorBusyError,
  DetectorClosedError,
  type AnimalDetector,
} from './detector.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const sharedData = path.resolve(projectRoot, '../shared/data');
const modelPath = path.join(sharedData, 'models/yolox-nano-coco/yolox_nano.onnx');
const framesDir = path.join(sharedData, 'camera/pasture-frames');
const available = existsSync(modelPath) && existsSync(path.join(framesDir, 'counts.csv'));
if (!available) {
  console.warn(
    `skipping the camera detector tests: ${modelPath} or ${framesDir} is missing (the shared test data lives next to the project, in ../shared/data)`,
  );
}

/** The real frames and their true cattle counts, from counts.csv. */
function realFrames(): { name: string; jpeg: Buffer; trueCount: number }[] {
  const lines = readFileSync(path.join(framesDir, 'counts.csv'), 'utf8').trim().split('\n');
  return lines.slice(1).map((line) => {
    const [name = '', count = ''] = line.split(',');
    return {
      name,
      jpeg: readFileSync(path.join(framesDir, 'images', name)),
      trueCount: Number(count),
    };
  });
}

describe.skipIf(!available)('camera detector on real frames', () => {
  let detector: AnimalDetector;

  beforeAll(async () => {
    detector = await createAnimalDetector({ modelPath, minScore: 0.3, maxQueuedFrames: 1 });
  });

  afterAll(async () => {
    await detector?.close();
  });

  it('counts cattle, sheep and horses on every real frame, within the frame', async () => {
    const frames = realFrames();
    expect(frames.map((f) => f.trueCount)).toEqual([4, 13, 54]);
    const report: string[] = [];
    for (const frame of frames) {
      const result = await detector.countAnimals(frame.jpeg);
      expect(result.ok, frame.name).toBe(true);
      if (!result.ok) continue;
      const { counts, detections, confidence, frameWidth, frameHeight, timingsMs } = result.value;
      expect(counts.cattle + counts.sheep + counts.horse).toBe(detections.length);
      for (const d of detections) {
        expect(d.score).toBeGreaterThanOrEqual(0.3);
        expect(d.box[0]).toBeGreaterThanOrEqual(0);
        expect(d.box[2]).toBeLessThanOrEqual(frameWidth);
        expect(d.box[3]).toBeLessThanOrEqual(frameHeight);
      }
      expect(confidence === null).toBe(detections.length === 0);
      report.push(
        `${frame.name} ${frameWidth}x${frameHeight}: true ${frame.trueCount} cattle, detected ${JSON.stringify(counts)} in ${Math.round(timingsMs.total)} ms (decode ${Math.round(timingsMs.decode)}, inference ${Math.round(timingsMs.inference)})`,
      );
    }
    console.info(`camera detector, min score 0.3:\n  ${report.join('\n  ')}`);
  });

  it('finds at least one of the cattle on the daylight pasture frame', async () => {
    const frame = realFrames().find((f) => f.trueCount === 54);
    const result = await detector.countAnimals(frame?.jpeg ?? Buffer.alloc(0));
    expect(result.ok && result.value.counts.cattle).toBeGreaterThanOrEqual(1);
  });

  it('gives the same count for the same frame (one session, reused)', async () => {
    const frame = realFrames()[2]?.jpeg ?? Buffer.alloc(0);
    const a = await detector.countAnimals(frame);
    const b = await detector.countAnimals(frame);
    expect(a.ok && b.ok && a.value.counts).toEqual(b.ok && b.value.counts);
  });

  it('refuses a truncated real frame and a non-JPEG with reasons', async () => {
    const jpeg = realFrames()[1]?.jpeg ?? Buffer.alloc(0);
    const truncated = await detector.countAnimals(jpeg.subarray(0, 50_000));
    expect(truncated.ok ? null : truncated.error.code).toBe('invalid_payload');
    expect(truncated.ok ? '' : truncated.error.message).toMatch(/truncated or corrupt/);
    const notJpeg = await detector.countAnimals(Buffer.from('{"count": 3}'));
    expect(notJpeg.ok ? '' : notJpeg.error.message).toMatch(/^frame is not a JPEG/);
  });

  it('decodes off the event loop: timers keep firing while a 2 MP frame is counted', async () => {
    const frame = realFrames()[2]?.jpeg ?? Buffer.alloc(0);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const result = await detector.countAnimals(frame);
    delay.disable();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // Decoding in this thread would block it for the whole decode (about 250 ms here).
    expect(delay.max / 1e6).toBeLessThan(result.value.timingsMs.decode);
  });

  it('refuses a frame when the queue is full, before doing any work, and counts the others', async () => {
    const frame = realFrames()[0]?.jpeg ?? Buffer.alloc(0);
    // One running, one waiting (maxQueuedFrames 1), the third refused at once.
    const first = detector.countAnimals(frame);
    const second = detector.countAnimals(frame);
    await expect(detector.countAnimals(frame)).rejects.toBeInstanceOf(DetectorBusyError);
    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
    expect(detector.stats()).toMatchObject({ queued: 0, running: false });
    expect(detector.stats().busy).toBeGreaterThanOrEqual(1);
  });

  it('refuses an oversized frame without decoding it', async () => {
    const small = await createAnimalDetector({ modelPath, frameLimits: { maxBytes: 100_000 } });
    try {
      const frame = realFrames()[2]?.jpeg ?? Buffer.alloc(0);
      const result = await small.countAnimals(frame);
      expect(result.ok ? null : result.error).toMatchObject({
        code: 'out_of_range',
        message: `frame ${frame.length} bytes exceeds the limit of 100000 bytes`,
      });
    } finally {
      await small.close();
    }
    await expect(small.countAnimals(Buffer.from([0xff, 0xd8, 0xff]))).rejects.toBeInstanceOf(
      DetectorClosedError,
    );
  });

  it('fails to start, naming the file, on a model that does not exist', async () => {
    await expect(createAnimalDetector({ modelPath: '/nonexistent/model.onnx' })).rejects.toThrow(
      /camera detector model \/nonexistent\/model.onnx could not be loaded/,
    );
  });
});
