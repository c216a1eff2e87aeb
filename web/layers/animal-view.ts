/**
 * The view a frame of the animal layer is drawn for, and the transforms between it, the GPU's
 * clip space and the screen: pure math on ol/transform, so the drawing can happen elsewhere
 * (a worker) and be placed on a later frame of the map with a CSS transform.
 */
import {
  compose,
  create as createTransform,
  makeInverse,
  multiply,
  type Transform,
} from 'ol/transform.js';

/** What decides where a map coordinate lands on the screen. */
export interface FrameView {
  readonly center: readonly [number, number];
  /** Map units per CSS pixel. */
  readonly resolution: number;
  /** Radians, as ol/View. */
  readonly rotation: number;
  /** CSS pixels. */
  readonly size: readonly [number, number];
  /** Device pixels per CSS pixel. */
  readonly pixelRatio: number;
}

/** The part of an OpenLayers frame state the layer reads. */
export interface FrameStateLike {
  readonly pixelRatio: number;
  readonly size: readonly number[];
  readonly viewState: {
    readonly center: readonly number[];
    readonly resolution: number;
    readonly rotation: number;
  };
}

export function frameViewOf(frameState: FrameStateLike): FrameView {
  const { center, resolution, rotation } = frameState.viewState;
  return {
    center: [center[0] ?? 0, center[1] ?? 0],
    resolution,
    rotation,
    size: [frameState.size[0] ?? 0, frameState.size[1] ?? 0],
    pixelRatio: frameState.pixelRatio,
  };
}

export function sameView(a: FrameView, b: FrameView): boolean {
  return (
    a.center[0] === b.center[0] &&
    a.center[1] === b.center[1] &&
    a.resolution === b.resolution &&
    a.rotation === b.rotation &&
    a.size[0] === b.size[0] &&
    a.size[1] === b.size[1] &&
    a.pixelRatio === b.pixelRatio
  );
}

/** The canvas a frame is drawn on: the view's size in device pixels. */
export function canvasSizeOf(view: FrameView): [number, number] {
  return [Math.round(view.size[0] * view.pixelRatio), Math.round(view.size[1] * view.pixelRatio)];
}

/**
 * Map coordinate, as an offset from `origin`, to WebGL clip space (-1..1, y up) for the view.
 * The centre's offset is taken in float64 here, so the GPU's float32 only sees small numbers.
 */
export function clipTransform(view: FrameView, origin: readonly [number, number]): Transform {
  const [width, height] = view.size;
  return compose(
    createTransform(),
    0,
    0,
    2 / (view.resolution * width),
    2 / (view.resolution * height),
    -view.rotation,
    -(view.center[0] - origin[0]),
    -(view.center[1] - origin[1]),
  );
}

/** Map coordinate to CSS pixel of the map's viewport (as ol/Map's coordinateToPixelTransform). */
export function pixelTransform(view: FrameView): Transform {
  return compose(
    createTransform(),
    view.size[0] / 2,
    view.size[1] / 2,
    1 / view.resolution,
    -1 / view.resolution,
    -view.rotation,
    -view.center[0],
    -view.center[1],
  );
}

/**
 * Places a frame drawn for `drawn` on the screen of `now`: CSS pixel of the drawn frame to CSS
 * pixel of the current one (identity when the view has not changed since).
 */
export function redrawTransform(drawn: FrameView, now: FrameView): Transform {
  const toMap = makeInverse(createTransform(), pixelTransform(drawn));
  return multiply(pixelTransform(now), toMap);
}

/** The transform as a WebGL `mat3` (column-major). */
export function toMat3(transform: Transform): Float32Array {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = transform;
  return new Float32Array([a, b, 0, c, d, 0, e, f, 1]);
}
