/**
 * Counts animals on camera frames with a YOLOX ONNX detector (COCO classes horse, sheep, cow).
 *
 * Off the hot path: one frame at a time (concurrency 1) goes through a worker thread that decodes
 * the JPEG and letterboxes it (jpeg-js is synchronous: 80-260 ms per frame that would otherwise
 * stall every gateway's ear tags), then through one onnxruntime-node session, created once and
 * reused (its `run` works on onnxruntime's own thread, not the event loop). Frames wait in a
 * bounded queue; when it is full, `countAnimals` rejects with `DetectorBusyError` at once, before
 * any work, so memory stays bounded and the caller decides (the MQTT edge does not acknowledge the
 * frame: the gateway sends it again).
 */
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { DecodeError, Result } from '../result.ts';
import type { CameraSpecies } from './count.ts';
import { defaultFrameLimits, isJpeg, type FrameLimits } from './frame.ts';
import type { FrameJob, FrameJobResult } from './frame-worker.ts';
import { decodeYoloxOutput, yoloxDefaults, type Detection } from './yolox.ts';

/** The species this detector counts, and the COCO class each comes from. */
export const detectorSpeciesByCocoClass: ReadonlyMap<number, DetectorSpecies> = new Map([
  [17, 'horse'],
  [18, 'sheep'],
  [19, 'cattle'],
]);
export const detectorSpecies = [
  'cattle',
  'sheep',
  'horse',
] as const satisfies readonly CameraSpecies[];
export type DetectorSpecies = (typeof detectorSpecies)[number];

export interface AnimalDetection {
  readonly species: DetectorSpecies;
  readonly score: number;
  /** `[x1, y1, x2, y2]` in frame pixels. */
  readonly box: readonly [number, number, number, number];
}

/** What the detector saw on one frame. */
export interface AnimalCount {
  /** Animals per species, 0 included: a frame with no cattle is a count of 0 cattle. */
  readonly counts: Readonly<Record<DetectorSpecies, number>>;
  /** Mean detection score per species; null when none was seen. */
  readonly confidenceBySpecies: Readonly<Record<DetectorSpecies, number | null>>;
  /** Mean score of all animal detections, null when there are none. */
  readonly confidence: number | null;
  /** The animal detections, best first (other COCO classes are left out). */
  readonly detections: readonly AnimalDetection[];
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** Waiting in the queue, decoding (worker), inference, and all of it, in milliseconds. */
  readonly timingsMs: {
    readonly queued: number;
    readonly decode: number;
    readonly inference: number;
    readonly total: number;
  };
}

/** Why a frame was not counted: bad input (see `decodeFrame`) or the model failing on it. */
export type FrameCountError =
  | DecodeError
  | {
      readonly code: 'detector_failed';
      readonly field: 'frame';
      readonly value: null;
      readonly message: string;
    };

/** The queue is full: the frame was not looked at. Send it again later. */
export class DetectorBusyError extends Error {
  override readonly name = 'DetectorBusyError';
  readonly code = 'detector_busy';
}

/** The detector was closed. */
export class DetectorClosedError extends Error {
  override readonly name = 'DetectorClosedError';
  readonly code = 'detector_closed';
}

export interface AnimalDetectorOptions {
  /** Path of the YOLOX `.onnx` file (input `images` [1,3,416,416] BGR 0-255, output [1,N,85]). */
  readonly modelPath: string;
  /** Smallest detection score counted (objectness × class score). Default 0.3. */
  readonly minScore?: number;
  /** Class-aware NMS IoU. Default 0.45. */
  readonly iouThreshold?: number;
  /** Frame size, resolution and decoder memory limits. Default `defaultFrameLimits`. */
  readonly frameLimits?: Partial<FrameLimits>;
  /** Frames waiting besides the one being counted; one more is refused. Default 4. */
  readonly maxQueuedFrames?: number;
  /** onnxruntime intra-op threads. Default 1: leave the other cores to ingest. */
  readonly intraOpNumThreads?: number;
}

export interface AnimalDetectorStats {
  readonly queued: number;
  readonly running: boolean;
  readonly counted: number;
  readonly refusedInput: number;
  readonly failed: number;
  readonly busy: number;
}

export interface AnimalDetector {
  /**
   * Counts the animals on one JPEG. Resolves to the count, or to the reason the frame cannot be
   * counted (not a JPEG, too large, truncated, the model failing on it). Rejects with
   * `DetectorBusyError` when the queue is full and `DetectorClosedError` after `close`.
   */
  countAnimals(jpeg: Uint8Array): Promise<Result<AnimalCount, FrameCountError>>;
  stats(): AnimalDetectorStats;
  /** Refuses new frames, lets the running one finish, fails the queued ones, frees the model. */
  close(): Promise<void>;
}

interface QueuedFrame {
  readonly jpeg: Uint8Array;
  readonly queuedAt: number;
  resolve(result: Result<AnimalCount, FrameCountError>): void;
  reject(error: Error): void;
}

/**
 * Loads the model (once) and starts the decode worker.
 *
 * @example
 * const detector = await createAnimalDetector({ modelPath: 'yolox_nano.onnx', minScore: 0.3 });
 * const result = await detector.countAnimals(readFileSync('frame.jpg'));
 * if (result.ok) console.log(result.value.counts.cattle);
 * await detector.close();
 */
export async function createAnimalDetector(
  options: AnimalDetectorOptions,
): Promise<AnimalDetector> {
  const minScore = options.minScore ?? 0.3;
  const iouThreshold = options.iouThreshold ?? yoloxDefaults.iouThreshold;
  const maxQueued = options.maxQueuedFrames ?? 4;
  const limits: FrameLimits = { ...defaultFrameLimits, ...options.frameLimits };
  if (!(minScore > 0 && minScore <= 1))
    throw new RangeError(`minScore ${minScore} out of range (0, 1]`);

  // Loaded on first use: importing the IoT edge does not load the native runtime (about 20 ms).
  const ort = await import('onnxruntime-node');
  let session: InferenceSession;
  try {
    session = await ort.InferenceSession.create(options.modelPath, {
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new Error(`camera detector model ${options.modelPath} could not be loaded`, {
      cause: error,
    });
  }
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  if (inputName === undefined || outputName === undefined) {
    await session.release();
    throw new Error(`camera detector model ${options.modelPath} has no input or no output`);
  }
  const inputSize = yoloxDefaults.inputSize;

  const worker = new FrameWorker();
  // Warm up: start the worker thread (it compiles its modules) and run the model once on a blank
  // input, so the first real frame does not pay for either.
  worker.start();
  try {
    const blank = new Float32Array(3 * inputSize * inputSize).fill(yoloxDefaults.padValue);
    await session.run({
      [inputName]: new ort.Tensor('float32', blank, [1, 3, inputSize, inputSize]),
    });
  } catch (error) {
    await worker.close();
    await session.release();
    throw new Error(`camera detector model ${options.modelPath} does not run on a YOLOX input`, {
      cause: error,
    });
  }
  const queue: QueuedFrame[] = [];
  let running = false;
  let closed = false;
  let idle: Promise<void> = Promise.resolve();
  const counters = { counted: 0, refusedInput: 0, failed: 0, busy: 0 };

  async function countOne(frame: QueuedFrame): Promise<Result<AnimalCount, FrameCountError>> {
    const started = performance.now();
    const failed = (message: string) => {
      counters.failed++;
      return {
        ok: false,
        error: { code: 'detector_failed', field: 'frame', value: null, message },
      } as const;
    };
    const prepared = await worker.prepare(frame.jpeg, limits, inputSize);
    if (!prepared.ok) {
      if ('error' in prepared) {
        counters.refusedInput++;
        return { ok: false, error: prepared.error };
      }
      return failed(`frame could not be prepared for the detector: ${prepared.failure}`);
    }
    const inferenceStarted = performance.now();
    let raw: Float32Array;
    try {
      const input = new ort.Tensor('float32', prepared.tensor, [1, 3, inputSize, inputSize]);
      const outputs = await session.run({ [inputName as string]: input });
      const output = outputs[outputName as string];
      if (output === undefined || !(output.data instanceof Float32Array)) {
        return failed(`the detector's output ${outputName} is missing or not float32`);
      }
      raw = output.data;
    } catch (error) {
      return failed(`the detector failed on the frame: ${errorText(error)}`);
    }
    let boxes: Detection[];
    try {
      boxes = decodeYoloxOutput(raw, {
        scale: prepared.scale,
        minScore,
        iouThreshold,
        inputSize,
        frameWidth: prepared.width,
        frameHeight: prepared.height,
      });
    } catch (error) {
      return failed(`the detector's output could not be decoded: ${errorText(error)}`);
    }
    const finished = performance.now();
    counters.counted++;
    return {
      ok: true,
      value: summarize(boxes, {
        frameWidth: prepared.width,
        frameHeight: prepared.height,
        timingsMs: {
          queued: started - frame.queuedAt,
          decode: prepared.decodeMs,
          inference: finished - inferenceStarted,
          total: finished - frame.queuedAt,
        },
      }),
    };
  }

  function pump(): void {
    if (running) return;
    const next = queue.shift();
    if (next === undefined) return;
    running = true;
    idle = countOne(next)
      .then(
        (result) => {
          running = false;
          next.resolve(result);
        },
        (error: unknown) => {
          running = false;
          next.reject(error instanceof Error ? error : new Error(String(error)));
        },
      )
      .finally(pump);
  }

  return {
    countAnimals(jpeg) {
      if (closed) return Promise.reject(new DetectorClosedError('the camera detector is closed'));
      // Cheap refusals first, before the queue: the worker never sees an oversized payload.
      if (jpeg.length > limits.maxBytes) {
        counters.refusedInput++;
        return Promise.resolve({
          ok: false,
          error: {
            code: 'out_of_range',
            field: 'frame',
            value: jpeg.length,
            message: `frame ${jpeg.length} bytes exceeds the limit of ${limits.maxBytes} bytes`,
          },
        });
      }
      if (!isJpeg(jpeg)) {
        counters.refusedInput++;
        const head = Buffer.from(jpeg.subarray(0, 8)).toString('hex');
        return Promise.resolve({
          ok: false,
          error: {
            code: 'invalid_payload',
            field: 'frame',
            value: head,
            message:
              jpeg.length === 0
                ? 'frame is empty: expected a JPEG'
                : `frame is not a JPEG: starts with ${head}, expected ffd8ff (JPEG start of image)`,
          },
        });
      }
      if (queue.length >= maxQueued && running) {
        counters.busy++;
        return Promise.reject(
          new DetectorBusyError(
            `the camera detector is busy: ${queue.length} frames already wait (limit ${maxQueued})`,
          ),
        );
      }
      return new Promise((resolve, reject) => {
        queue.push({ jpeg, queuedAt: performance.now(), resolve, reject });
        pump();
      });
    },
    stats: () => ({ queued: queue.length, running, ...counters }),
    async close() {
      if (closed) return;
      closed = true;
      for (const frame of queue.splice(0)) {
        frame.reject(new DetectorClosedError('the camera detector closed before this frame'));
      }
      await idle;
      await worker.close();
      await session.release();
    },
  };
}

function summarize(
  boxes: readonly Detection[],
  frame: Pick<AnimalCount, 'frameWidth' | 'frameHeight' | 'timingsMs'>,
): AnimalCount {
  const detections: AnimalDetection[] = [];
  for (const d of boxes) {
    const species = detectorSpeciesByCocoClass.get(d.classId);
    if (species !== undefined) detections.push({ species, score: d.score, box: d.box });
  }
  const counts = { cattle: 0, sheep: 0, horse: 0 };
  const sums = { cattle: 0, sheep: 0, horse: 0 };
  for (const d of detections) {
    counts[d.species]++;
    sums[d.species] += d.score;
  }
  const mean = (s: DetectorSpecies) => (counts[s] === 0 ? null : sums[s] / counts[s]);
  return {
    counts,
    confidenceBySpecies: { cattle: mean('cattle'), sheep: mean('sheep'), horse: mean('horse') },
    confidence:
      detections.length === 0
        ? null
        : detections.reduce((n, d) => n + d.score, 0) / detections.length,
    detections,
    ...frame,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type PreparedFrame = FrameJobResult;

/**
 * The decode worker, started with the detector and again after it dies; one job at a time (the
 * detector's queue guarantees it).
 */
class FrameWorker {
  #worker: Worker | null = null;
  #nextId = 1;
  #pending: { id: number; resolve(result: PreparedFrame): void } | null = null;

  prepare(jpeg: Uint8Array, limits: FrameLimits, inputSize: number): Promise<PreparedFrame> {
    const worker = this.start();
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending = { id, resolve };
      // A copy with a buffer of its own, moved to the worker: a Buffer may be a view into a larger
      // pooled buffer, which structured cloning would copy whole.
      const own = new Uint8Array(jpeg);
      const job: FrameJob = { id, jpeg: own, limits, inputSize };
      worker.postMessage(job, [own.buffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (worker !== null) await worker.terminate();
  }

  /** Starts the thread if it is not running (it is started again after it died). */
  start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(new URL('./frame-worker-boot.js', import.meta.url));
    worker.unref();
    worker.on('message', (result: PreparedFrame) => {
      const pending = this.#pending;
      if (pending !== null && pending.id === result.id) {
        this.#pending = null;
        pending.resolve(result);
      }
    });
    const fail = (reason: string) => {
      if (this.#worker === worker) this.#worker = null;
      const pending = this.#pending;
      this.#pending = null;
      pending?.resolve({ id: pending.id, ok: false, failure: reason });
    };
    worker.on('error', (error) => fail(`decode worker failed: ${error.message}`));
    worker.on('exit', (code) => fail(`decode worker exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }
}
