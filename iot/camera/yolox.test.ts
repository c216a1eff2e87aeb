import { describe, expect, it } from 'vitest';
import {
  decodeYoloxOutput,
  intersectionOverUnion,
  letterboxForYolox,
  suppressNonMaxima,
  type Detection,
} from './yolox.ts';

const classes = 80;
const stride0 = 5 + classes;
const anchors = 52 * 52 + 26 * 26 + 13 * 13; // 3549

/** A raw output with every anchor silent (objectness 0). */
function silentOutput(): Float32Array {
  return new Float32Array(anchors * stride0);
}

/** Index of the anchor at grid cell (gx, gy) of the level with this stride. */
function anchorAt(stride: 8 | 16 | 32, gx: number, gy: number): number {
  const offsets = { 8: 0, 16: 52 * 52, 32: 52 * 52 + 26 * 26 };
  const cells = 416 / stride;
  return offsets[stride] + gy * cells + gx;
}

/** Writes one anchor: offsets in grid units, log sizes, objectness and one class score. */
function setAnchor(
  output: Float32Array,
  anchor: number,
  values: {
    dx: number;
    dy: number;
    logW: number;
    logH: number;
    obj: number;
    classId: number;
    cls: number;
  },
): void {
  const o = anchor * stride0;
  output.set([values.dx, values.dy, values.logW, values.logH, values.obj], o);
  output[o + 5 + values.classId] = values.cls;
}

describe('decodeYoloxOutput', () => {
  it('decodes grid, stride and exp(wh) into frame pixels, with objectness × class as score', () => {
    const output = silentOutput();
    // Stride 16, cell (10, 5): centre ((10 + 0.5) * 16, (5 + 0.5) * 16) = (168, 88) model px,
    // size exp(ln 4) * 16 = 64 × exp(ln 2) * 16 = 32.
    setAnchor(output, anchorAt(16, 10, 5), {
      dx: 0.5,
      dy: 0.5,
      logW: Math.log(4),
      logH: Math.log(2),
      obj: 0.9,
      classId: 19,
      cls: 0.8,
    });
    const [detection, ...rest] = decodeYoloxOutput(output, { scale: 0.5, minScore: 0.3 });
    expect(rest).toEqual([]);
    expect(detection?.classId).toBe(19);
    expect(detection?.score).toBeCloseTo(0.72, 6);
    // Model px / scale 0.5: centre (336, 176), size 128 × 64.
    const box = detection?.box ?? [];
    expect(box[0]).toBeCloseTo(272, 4);
    expect(box[1]).toBeCloseTo(144, 4);
    expect(box[2]).toBeCloseTo(400, 4);
    expect(box[3]).toBeCloseTo(208, 4);
  });

  it('uses the grid of each stride level (8, 16, 32) in order', () => {
    const output = silentOutput();
    const common = { dx: 0, dy: 0, logW: 0, logH: 0, obj: 1, cls: 1 };
    setAnchor(output, anchorAt(8, 51, 51), { ...common, classId: 17 });
    setAnchor(output, anchorAt(32, 12, 0), { ...common, classId: 18 });
    const detections = decodeYoloxOutput(output, { scale: 1, minScore: 0.5 });
    const centres = detections.map((d) => [
      d.classId,
      (d.box[0] + d.box[2]) / 2,
      (d.box[1] + d.box[3]) / 2,
    ]);
    expect(centres).toEqual(
      expect.arrayContaining([
        [17, 51 * 8, 51 * 8],
        [18, 12 * 32, 0],
      ]),
    );
  });

  it('drops anchors under the score threshold, objectness × class', () => {
    const output = silentOutput();
    // 0.6 × 0.4 = 0.24 < 0.3 although both parts exceed it.
    setAnchor(output, anchorAt(8, 3, 3), {
      dx: 0,
      dy: 0,
      logW: 1,
      logH: 1,
      obj: 0.6,
      classId: 19,
      cls: 0.4,
    });
    expect(decodeYoloxOutput(output, { scale: 1, minScore: 0.3 })).toEqual([]);
    expect(decodeYoloxOutput(output, { scale: 1, minScore: 0.2 })).toHaveLength(1);
  });

  it('gives each anchor its best class only, so one animal is never two species', () => {
    const output = silentOutput();
    const anchor = anchorAt(16, 7, 7);
    setAnchor(output, anchor, { dx: 0, dy: 0, logW: 1, logH: 1, obj: 1, classId: 19, cls: 0.7 });
    output[anchor * stride0 + 5 + 17] = 0.6; // horse, also above the threshold
    const detections = decodeYoloxOutput(output, { scale: 1, minScore: 0.3 });
    expect(detections.map((d) => d.classId)).toEqual([19]);
  });

  it('suppresses overlapping boxes of one class and keeps those of another (class-aware NMS)', () => {
    const output = silentOutput();
    const box = { logW: Math.log(4), logH: Math.log(4), dy: 0 };
    // Two cows whose centres are a quarter box apart (IoU 0.6), and a sheep on the same spot.
    setAnchor(output, anchorAt(8, 20, 20), { ...box, dx: 0, obj: 0.9, classId: 19, cls: 1 });
    setAnchor(output, anchorAt(8, 21, 20), { ...box, dx: 0, obj: 0.8, classId: 19, cls: 1 });
    setAnchor(output, anchorAt(8, 22, 20), { ...box, dx: -1, obj: 0.7, classId: 18, cls: 1 });
    // A third cow far away.
    setAnchor(output, anchorAt(8, 40, 40), { ...box, dx: 0, obj: 0.6, classId: 19, cls: 1 });
    const detections = decodeYoloxOutput(output, { scale: 1, minScore: 0.3 });
    expect(detections.map((d) => [d.classId, Number(d.score.toFixed(2))])).toEqual([
      [19, 0.9],
      [18, 0.7],
      [19, 0.6],
    ]);
  });

  it('clips boxes to the frame', () => {
    const output = silentOutput();
    setAnchor(output, anchorAt(32, 0, 0), {
      dx: 0,
      dy: 0,
      logW: 1,
      logH: 1,
      obj: 1,
      classId: 19,
      cls: 1,
    });
    const [d] = decodeYoloxOutput(output, {
      scale: 1,
      minScore: 0.5,
      frameWidth: 100,
      frameHeight: 50,
    });
    expect(d?.box[0]).toBe(0);
    expect(d?.box[1]).toBe(0);
  });

  it('refuses an output whose shape is not this model', () => {
    expect(() => decodeYoloxOutput(new Float32Array(100), { scale: 1, minScore: 0.3 })).toThrow(
      /expected 3549 anchors × 85/,
    );
  });
});

describe('suppressNonMaxima', () => {
  const d = (classId: number, score: number, box: [number, number, number, number]): Detection => ({
    classId,
    score,
    box,
  });

  it('keeps the best of each overlapping group, best first, whatever the input order', () => {
    const kept = suppressNonMaxima(
      [d(19, 0.5, [0, 0, 10, 10]), d(19, 0.9, [1, 1, 11, 11]), d(19, 0.4, [50, 50, 60, 60])],
      0.45,
    );
    expect(kept.map((k) => k.score)).toEqual([0.9, 0.4]);
  });

  it('keeps boxes overlapping at or below the threshold', () => {
    // IoU of [0,0,10,10] and [5,0,15,10] is 50/150 = 0.33.
    expect(
      suppressNonMaxima([d(19, 0.9, [0, 0, 10, 10]), d(19, 0.8, [5, 0, 15, 10])], 0.45),
    ).toHaveLength(2);
  });

  it('computes IoU, 0 for disjoint or empty boxes', () => {
    expect(intersectionOverUnion([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(intersectionOverUnion([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3, 10);
    expect(intersectionOverUnion([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(intersectionOverUnion([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });
});

describe('letterboxForYolox', () => {
  it('scales to fit, places the frame top-left, pads with 114, and orders planes B, G, R', () => {
    // 832 × 416 frame of pure red: scale 0.5, image in rows 0-207, padding below.
    const width = 832;
    const height = 416;
    const rgba = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.set([200, 10, 0, 255], i * 4);
    const { tensor, scale, size } = letterboxForYolox({ width, height, rgba });
    expect(size).toBe(416);
    expect(scale).toBe(0.5);
    expect(tensor).toHaveLength(3 * 416 * 416);
    const plane = 416 * 416;
    const at = (p: number, x: number, y: number) => tensor[p * plane + y * 416 + x];
    expect([at(0, 100, 100), at(1, 100, 100), at(2, 100, 100)]).toEqual([0, 10, 200]);
    expect([at(0, 100, 207), at(2, 415, 207)]).toEqual([0, 200]);
    expect([at(0, 100, 208), at(1, 100, 300), at(2, 0, 415)]).toEqual([114, 114, 114]);
  });

  it('interpolates bilinearly between pixels', () => {
    // 2 × 1 frame, grey 0 then 100, upscaled to 416 × 208: a ramp, ends clamped.
    const rgba = new Uint8Array([0, 0, 0, 255, 100, 100, 100, 255]);
    const { tensor } = letterboxForYolox({ width: 2, height: 1, rgba });
    expect(tensor[0]).toBe(0);
    // Output x 207 samples source x (207.5 / 208 - 0.5) = 0.4976.
    expect(tensor[207]).toBeCloseTo(100 * (207.5 / 208 - 0.5), 4);
    expect(tensor[415]).toBe(100);
    expect(tensor[208 * 416]).toBe(114); // below the image
  });

  it('refuses pixels that do not fit the size', () => {
    expect(() => letterboxForYolox({ width: 10, height: 10, rgba: new Uint8Array(10) })).toThrow(
      RangeError,
    );
  });
});
