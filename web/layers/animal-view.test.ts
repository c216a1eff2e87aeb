import { apply } from 'ol/transform.js';
import { describe, expect, it } from 'vitest';
import {
  canvasSizeOf,
  clipTransform,
  frameViewOf,
  pixelTransform,
  redrawTransform,
  sameView,
  toMat3,
  type FrameView,
} from './animal-view.ts';

const view: FrameView = {
  center: [400_000, 6_600_000],
  resolution: 2,
  rotation: 0,
  size: [800, 600],
  pixelRatio: 1,
};

const close = (actual: number[], expected: number[]) =>
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));

describe('animal layer view math', () => {
  it('maps the centre to clip (0, 0) and the view corners to ±1, y up', () => {
    const origin: [number, number] = [399_000, 6_601_000];
    const t = clipTransform(view, origin);
    const at = (x: number, y: number) => apply(t, [x - origin[0], y - origin[1]]);
    close(at(400_000, 6_600_000), [0, 0]);
    close(at(400_800, 6_600_600), [1, 1]); // 400 px right, 300 px up
    close(at(399_200, 6_599_400), [-1, -1]);
  });

  it('rotates as the view does (OpenLayers: counter-clockwise, map rotated by -rotation)', () => {
    const rotated = { ...view, rotation: Math.PI / 2 };
    const t = clipTransform(rotated, [400_000, 6_600_000]);
    // East of the centre shows up when the view turns a quarter: ol/Map's pixel says where.
    const pixel = apply(pixelTransform(rotated), [400_100, 6_600_000]);
    const clip = apply(t, [100, 0]);
    close(clip, [(pixel[0]! - 400) / 400, (300 - pixel[1]!) / 300]);
  });

  it('places a frame drawn for one view on a panned and zoomed one', () => {
    const later = { ...view, center: [400_100, 6_600_000] as const, resolution: 1 };
    const t = redrawTransform(view, later);
    // A point drawn at pixel p of the old frame must land where the new view shows its coordinate.
    for (const coordinate of [
      [400_000, 6_600_000],
      [400_150, 6_599_900],
    ]) {
      const drawnAt = apply(pixelTransform(view), [...coordinate]);
      const expected = apply(pixelTransform(later), [...coordinate]);
      close(apply(t, drawnAt), expected);
    }
    close(redrawTransform(view, view), [1, 0, 0, 1, 0, 0]);
  });

  it('reads the frame state, compares views and sizes the canvas in device pixels', () => {
    const fromFrame = frameViewOf({
      pixelRatio: 2,
      size: [800, 600],
      viewState: { center: [1, 2], resolution: 3, rotation: 0.5 },
    });
    expect(fromFrame).toEqual({
      center: [1, 2],
      resolution: 3,
      rotation: 0.5,
      size: [800, 600],
      pixelRatio: 2,
    });
    expect(canvasSizeOf(fromFrame)).toEqual([1600, 1200]);
    expect(sameView(fromFrame, { ...fromFrame })).toBe(true);
    expect(sameView(fromFrame, { ...fromFrame, resolution: 3.0001 })).toBe(false);
    expect([...toMat3([1, 2, 3, 4, 5, 6])]).toEqual([1, 2, 0, 3, 4, 0, 5, 6, 1]);
  });
});
