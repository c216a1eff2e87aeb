/**
 * The detector's worker thread: decodes a frame's JPEG and letterboxes it for the model, so the
 * 80-260 ms of synchronous jpeg-js work never blocks the service's event loop (ear-tag ingest,
 * the HTTP API). Loaded through `frame-worker-boot.js`, which registers tsx in this thread.
 *
 * Protocol: the parent posts `FrameJob`; the worker answers one `FrameJobResult` per job, the
 * tensor's buffer transferred, never thrown.
 */
import { parentPort } from 'node:worker_threads';
import type { DecodeError } from '../result.ts';
import { decodeFrame, type FrameLimits } from './frame.ts';
import { letterboxForYolox } from './yolox.ts';

export interface FrameJob {
  readonly id: number;
  readonly jpeg: Uint8Array;
  readonly limits: FrameLimits;
  readonly inputSize: number;
}

export type FrameJobResult =
  | {
      readonly id: number;
      readonly ok: true;
      readonly tensor: Float32Array;
      readonly scale: number;
      readonly width: number;
      readonly height: number;
      readonly decodeMs: number;
    }
  | { readonly id: number; readonly ok: false; readonly error: DecodeError }
  | { readonly id: number; readonly ok: false; readonly failure: string };

/** Decodes and letterboxes one frame; never throws. */
export function prepareFrame(job: FrameJob): FrameJobResult {
  const started = performance.now();
  try {
    const decoded = decodeFrame(job.jpeg, job.limits);
    if (!decoded.ok) return { id: job.id, ok: false, error: decoded.error };
    const { tensor, scale } = letterboxForYolox(decoded.value, job.inputSize);
    return {
      id: job.id,
      ok: true,
      tensor,
      scale,
      width: decoded.value.width,
      height: decoded.value.height,
      decodeMs: performance.now() - started,
    };
  } catch (error) {
    return {
      id: job.id,
      ok: false,
      failure: error instanceof Error ? error.message : String(error),
    };
  }
}

parentPort?.on('message', (job: FrameJob) => {
  const result = prepareFrame(job);
  parentPort?.postMessage(result, result.ok ? [result.tensor.buffer as ArrayBuffer] : []);
});
