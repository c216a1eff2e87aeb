/**
 * The animal layer's drawing, off the page's main thread: WebGL on an OffscreenCanvas, each frame
 * handed back as an ImageBitmap. Without a GPU (software WebGL) 100 000 points take a good part of
 * a second to draw; here that time does not hold up the map, which keeps panning and showing the
 * last frame (moved with the view) until the next one is ready.
 */
import { AnimalPainter, animalContextOf } from './animal-painter.ts';
import type { PackedPoints } from './animal-store.ts';

/** Page -> worker. */
export type ToAnimalWorker =
  | { readonly type: 'points'; readonly points: PackedPoints }
  | {
      readonly type: 'draw';
      readonly width: number;
      readonly height: number;
      readonly toClip: Float32Array;
      readonly pixelRatio: number;
    };

/** Worker -> page. */
export type FromAnimalWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'unsupported'; readonly reason: string }
  | { readonly type: 'drawn'; readonly bitmap: ImageBitmap }
  | { readonly type: 'failed'; readonly reason: string };

// Typed here: web/tsconfig has the DOM library, not the worker one.
const scope = globalThis as unknown as {
  postMessage(message: FromAnimalWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToAnimalWorker>) => void) | null;
};

function start(): { canvas: OffscreenCanvas; painter: AnimalPainter } | string {
  if (typeof OffscreenCanvas === 'undefined') return 'no OffscreenCanvas in workers';
  const canvas = new OffscreenCanvas(1, 1);
  const gl = animalContextOf(canvas);
  if (gl === null) return 'no WebGL on an OffscreenCanvas';
  if (typeof canvas.transferToImageBitmap !== 'function') return 'no transferToImageBitmap';
  return { canvas, painter: new AnimalPainter(gl) };
}

const started = (() => {
  try {
    return start();
  } catch (error) {
    return String(error);
  }
})();

if (typeof started === 'string') scope.postMessage({ type: 'unsupported', reason: started });
else {
  const { canvas, painter } = started;
  scope.onmessage = (event) => {
    const message = event.data;
    try {
      if (message.type === 'points') {
        painter.upload(message.points);
        return;
      }
      if (canvas.width !== message.width) canvas.width = message.width;
      if (canvas.height !== message.height) canvas.height = message.height;
      painter.draw(message.width, message.height, message.toClip, message.pixelRatio);
      const bitmap = canvas.transferToImageBitmap();
      scope.postMessage({ type: 'drawn', bitmap }, [bitmap]);
    } catch (error) {
      scope.postMessage({ type: 'failed', reason: String(error) });
    }
  };
  scope.postMessage({ type: 'ready' });
}
