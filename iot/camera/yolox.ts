/**
 * Pre- and post-processing for a YOLOX detector exported to ONNX (YOLOX-Nano, COCO, 416×416), as
 * in the reference `yolox/yolox_onnx.py` of Kazuhito00/YOLOX-ONNX-TFLite-Sample and
 * Megvii-BaseDetection/YOLOX `demo/ONNXRuntime`. Pure: no I/O, no model.
 */

/** A detection in the original frame's pixels: `[x1, y1, x2, y2]`, top-left origin. */
export interface Detection {
  /** COCO class index (0-based: 17 horse, 18 sheep, 19 cow). */
  readonly classId: number;
  /** Objectness × class score, in [0, 1]. */
  readonly score: number;
  readonly box: readonly [number, number, number, number];
}

/** The model input: a `[1, 3, size, size]` float32 tensor, and the scale applied to the frame. */
export interface LetterboxedFrame {
  readonly tensor: Float32Array;
  readonly size: number;
  /** Model pixels per frame pixel: `min(size / width, size / height)`. */
  readonly scale: number;
}

export const yoloxDefaults = {
  inputSize: 416,
  strides: [8, 16, 32] as readonly number[],
  numClasses: 80,
  padValue: 114,
  iouThreshold: 0.45,
  /** Most candidates kept for NMS, best first, so a noisy output stays cheap. */
  maxCandidates: 1_000,
} as const;

/**
 * Letterboxes an RGBA frame into the YOLOX input: scaled by `min(size/width, size/height)` with
 * bilinear sampling (OpenCV `INTER_LINEAR` pixel centres), placed at the TOP-LEFT corner, the
 * rest padded with 114; channels planar in B, G, R order, raw 0-255 values (no mean or std).
 *
 * @example
 * letterboxForYolox({ width: 1920, height: 1080, rgba }, 416)
 * // { tensor: Float32Array(519168), size: 416, scale: 0.21666 } (image in rows 0-233)
 */
export function letterboxForYolox(
  frame: { readonly width: number; readonly height: number; readonly rgba: Uint8Array },
  size: number = yoloxDefaults.inputSize,
  padValue: number = yoloxDefaults.padValue,
): LetterboxedFrame {
  const { width, height, rgba } = frame;
  if (width < 1 || height < 1 || rgba.length < width * height * 4) {
    throw new RangeError(
      `frame ${width}x${height} with ${rgba.length} bytes is not an RGBA image of that size`,
    );
  }
  const scale = Math.min(size / width, size / height);
  const outW = Math.max(1, Math.min(size, Math.floor(width * scale)));
  const outH = Math.max(1, Math.min(size, Math.floor(height * scale)));
  const plane = size * size;
  const tensor = new Float32Array(3 * plane).fill(padValue);
  const fx = width / outW;
  const fy = height / outH;

  // Horizontal sample positions, shared by every row.
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const wxs = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const sx = Math.min(Math.max((x + 0.5) * fx - 0.5, 0), width - 1);
    const x0 = Math.floor(sx);
    x0s[x] = x0;
    x1s[x] = Math.min(x0 + 1, width - 1);
    wxs[x] = sx - x0;
  }
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(Math.max((y + 0.5) * fy - 0.5, 0), height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = sy - y0;
    const row0 = y0 * width * 4;
    const row1 = y1 * width * 4;
    for (let x = 0; x < outW; x++) {
      const a = row0 + (x0s[x] as number) * 4;
      const b = row0 + (x1s[x] as number) * 4;
      const c = row1 + (x0s[x] as number) * 4;
      const d = row1 + (x1s[x] as number) * 4;
      const wx = wxs[x] as number;
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      const at = y * size + x;
      // Planes B, G, R from RGBA channels 2, 1, 0.
      for (let p = 0; p < 3; p++) {
        const ch = 2 - p;
        tensor[p * plane + at] =
          (rgba[a + ch] as number) * w00 +
          (rgba[b + ch] as number) * w01 +
          (rgba[c + ch] as number) * w10 +
          (rgba[d + ch] as number) * w11;
      }
    }
  }
  return { tensor, size, scale };
}

export interface YoloxDecodeOptions {
  /** Model pixels per frame pixel, from `letterboxForYolox`. */
  readonly scale: number;
  /** Keep detections scoring at least this (objectness × best class score). */
  readonly minScore: number;
  /** Class-aware NMS: a box overlapping a better one of the same class above this IoU goes. */
  readonly iouThreshold?: number;
  readonly inputSize?: number;
  readonly strides?: readonly number[];
  readonly numClasses?: number;
  /** Frame size, to clip boxes to it. */
  readonly frameWidth?: number;
  readonly frameHeight?: number;
}

/**
 * Decodes a raw YOLOX output `[1, anchors, 5 + classes]` (anchors = Σ (size/stride)² = 3549 for
 * 416 and strides 8/16/32) into detections in frame pixels. Per anchor: `cx, cy = (xy + grid) *
 * stride`, `w, h = exp(wh) * stride`; its class is the best of all classes and its score
 * objectness × that class's score (so one animal is never two species); anchors under `minScore`
 * are dropped; then class-aware greedy NMS (IoU above `iouThreshold`, default 0.45). Boxes are
 * divided by `scale` to return to frame pixels. Throws a RangeError when the output's length does
 * not fit the input size, strides and classes (a model that is not this model).
 *
 * @example
 * decodeYoloxOutput(output, { scale: 0.2167, minScore: 0.3 })
 * // [{ classId: 19, score: 0.81, box: [412, 300, 530, 388] }, ...] best first
 */
export function decodeYoloxOutput(output: Float32Array, options: YoloxDecodeOptions): Detection[] {
  const size = options.inputSize ?? yoloxDefaults.inputSize;
  const strides = options.strides ?? yoloxDefaults.strides;
  const numClasses = options.numClasses ?? yoloxDefaults.numClasses;
  const iouThreshold = options.iouThreshold ?? yoloxDefaults.iouThreshold;
  const { scale, minScore } = options;
  const stride0 = 5 + numClasses;
  const anchors = strides.reduce((n, s) => n + Math.floor(size / s) ** 2, 0);
  if (output.length !== anchors * stride0) {
    throw new RangeError(
      `YOLOX output has ${output.length} values, expected ${anchors} anchors × ${stride0} = ${anchors * stride0} for input ${size} and strides ${strides.join('/')}`,
    );
  }
  if (!(scale > 0)) throw new RangeError(`scale ${scale} must be positive`);

  const candidates: Detection[] = [];
  let anchor = 0;
  for (const stride of strides) {
    const cells = Math.floor(size / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++, anchor++) {
        const o = anchor * stride0;
        const objectness = output[o + 4] as number;
        if (!(objectness >= minScore)) continue; // score = obj × cls ≤ obj
        let classId = 0;
        let best = -Infinity;
        for (let c = 0; c < numClasses; c++) {
          const v = output[o + 5 + c] as number;
          if (v > best) {
            best = v;
            classId = c;
          }
        }
        const score = objectness * best;
        if (!(score >= minScore)) continue;
        const cx = ((output[o] as number) + gx) * stride;
        const cy = ((output[o + 1] as number) + gy) * stride;
        const w = Math.exp(output[o + 2] as number) * stride;
        const h = Math.exp(output[o + 3] as number) * stride;
        candidates.push({
          classId,
          score,
          box: clipBox(
            [
              (cx - w / 2) / scale,
              (cy - h / 2) / scale,
              (cx + w / 2) / scale,
              (cy + h / 2) / scale,
            ],
            options.frameWidth,
            options.frameHeight,
          ),
        });
      }
    }
  }
  candidates.sort((a, b) => b.score - a.score);
  return suppressNonMaxima(candidates.slice(0, yoloxDefaults.maxCandidates), iouThreshold);
}

/**
 * Class-aware greedy non-maximum suppression: keeps detections best first, dropping any whose IoU
 * with an already kept detection OF THE SAME CLASS exceeds `iouThreshold`. Input in any order;
 * output best first.
 */
export function suppressNonMaxima(
  detections: readonly Detection[],
  iouThreshold: number = yoloxDefaults.iouThreshold,
): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const candidate of sorted) {
    const overlaps = kept.some(
      (k) =>
        k.classId === candidate.classId &&
        intersectionOverUnion(k.box, candidate.box) > iouThreshold,
    );
    if (!overlaps) kept.push(candidate);
  }
  return kept;
}

/** Intersection over union of two `[x1, y1, x2, y2]` boxes; 0 when either is empty. */
export function intersectionOverUnion(
  a: readonly [number, number, number, number],
  b: readonly [number, number, number, number],
): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

function clipBox(
  box: [number, number, number, number],
  width: number | undefined,
  height: number | undefined,
): [number, number, number, number] {
  if (width === undefined || height === undefined) return box;
  return [
    Math.min(Math.max(box[0], 0), width),
    Math.min(Math.max(box[1], 0), height),
    Math.min(Math.max(box[2], 0), width),
    Math.min(Math.max(box[3], 0), height),
  ];
}
