/**
 * Where the animal layer's frames are drawn: in a worker (the main thread only places the
 * finished frame), or, where a worker cannot draw WebGL, on the page's own canvas.
 */
import { AnimalPainter, animalContextOf } from './animal-painter.ts';
import type { FromAnimalWorker, ToAnimalWorker } from './animal-draw-worker.ts';
import type { PackedPoints } from './animal-store.ts';
import { canvasSizeOf, clipTransform, toMat3, type FrameView } from './animal-view.ts';

/** A finished frame: its canvas and the view it was drawn for. */
export interface DrawnFrame {
  readonly canvas: HTMLCanvasElement;
  readonly view: FrameView;
}

export interface AnimalDrawer {
  /** True when a new frame can be asked for (the last one is done). */
  readonly idle: boolean;
  /** Frames finished so far. */
  readonly framesDrawn: number;
  /** Asks for a frame of `view`; `points` when they changed since the last frame asked for. */
  draw(view: FrameView, points: PackedPoints | null): void;
  /** The latest finished frame (maybe for an earlier view), or null before the first. */
  shown(): DrawnFrame | null;
  /** Forgets the last frame (nothing left to show). */
  forget(): void;
  dispose(): void;
}

/** Draws in a worker; `onFrame` when a frame is ready, `onUnusable` when the worker cannot draw. */
export class WorkerDrawer implements AnimalDrawer {
  framesDrawn = 0;
  private readonly worker: Worker;
  private readonly canvas = document.createElement('canvas');
  private readonly context: ImageBitmapRenderingContext | null;
  private ready = false;
  private busy = false;
  private origin: readonly [number, number] = [0, 0];
  private askedView: FrameView | null = null;
  private finished: { bitmap: ImageBitmap; view: FrameView } | null = null;
  private shownView: FrameView | null = null;
  private readonly onFrame: () => void;
  private readonly onUnusable: (reason: string) => void;

  constructor(onFrame: () => void, onUnusable: (reason: string) => void) {
    this.onFrame = onFrame;
    this.onUnusable = onUnusable;
    this.context = this.canvas.getContext('bitmaprenderer');
    this.worker = new Worker(new URL('./animal-draw-worker.ts', import.meta.url), {
      type: 'module',
      name: 'animal layer',
    });
    this.worker.onmessage = (event: MessageEvent<FromAnimalWorker>) => this.receive(event.data);
    this.worker.onerror = (event) => this.onUnusable(`the drawing worker failed: ${event.message}`);
  }

  get idle(): boolean {
    return this.ready && !this.busy;
  }

  draw(view: FrameView, points: PackedPoints | null): void {
    const send = (message: ToAnimalWorker, transfer: Transferable[] = []) =>
      this.worker.postMessage(message, transfer);
    if (points !== null) {
      this.origin = points.origin;
      send({ type: 'points', points }, [points.xy.buffer, points.flags.buffer]);
    }
    const [width, height] = canvasSizeOf(view);
    const toClip = toMat3(clipTransform(view, this.origin));
    send({ type: 'draw', width, height, toClip, pixelRatio: view.pixelRatio });
    this.busy = true;
    this.askedView = view;
  }

  shown(): DrawnFrame | null {
    if (this.finished !== null && this.context !== null) {
      // Shown in the same map frame that places it for the current view: no frame misplaced.
      this.context.transferFromImageBitmap(this.finished.bitmap);
      this.shownView = this.finished.view;
      this.finished = null;
    }
    return this.shownView === null ? null : { canvas: this.canvas, view: this.shownView };
  }

  forget(): void {
    this.finished?.bitmap.close();
    this.finished = null;
    this.shownView = null;
  }

  dispose(): void {
    this.forget();
    this.worker.terminate();
  }

  private receive(message: FromAnimalWorker): void {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.onFrame();
        return;
      case 'drawn':
        this.busy = false;
        this.framesDrawn++;
        this.finished?.bitmap.close();
        this.finished =
          this.askedView === null ? null : { bitmap: message.bitmap, view: this.askedView };
        this.onFrame();
        return;
      case 'unsupported':
      case 'failed':
        this.onUnusable(message.reason);
    }
  }
}

/** Draws on the page's canvas, in the map's frame (the frame is always for the current view). */
export class InlineDrawer implements AnimalDrawer {
  readonly idle = true;
  framesDrawn = 0;
  private readonly canvas = document.createElement('canvas');
  private readonly painter: AnimalPainter | null;
  private origin: readonly [number, number] = [0, 0];
  private shownView: FrameView | null = null;

  constructor() {
    const gl = animalContextOf(this.canvas);
    this.painter = gl === null ? null : new AnimalPainter(gl);
  }

  /** False when the browser has no WebGL at all (the layer then stays empty). */
  get usable(): boolean {
    return this.painter !== null;
  }

  draw(view: FrameView, points: PackedPoints | null): void {
    if (this.painter === null) return;
    if (points !== null) {
      this.origin = points.origin;
      this.painter.upload(points);
    }
    const [width, height] = canvasSizeOf(view);
    if (this.canvas.width !== width) this.canvas.width = width;
    if (this.canvas.height !== height) this.canvas.height = height;
    this.painter.draw(width, height, toMat3(clipTransform(view, this.origin)), view.pixelRatio);
    this.shownView = view;
    this.framesDrawn++;
  }

  shown(): DrawnFrame | null {
    return this.shownView === null ? null : { canvas: this.canvas, view: this.shownView };
  }

  forget(): void {
    this.shownView = null;
  }

  dispose(): void {
    this.forget();
  }
}
