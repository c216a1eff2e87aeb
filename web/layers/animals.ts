import Layer from 'ol/layer/Layer.js';
import { fromLonLat } from 'ol/proj.js';
import { toString as cssTransform } from 'ol/transform.js';
import type { Extent } from 'ol/extent.js';
import type { FrameState } from 'ol/Map.js';
import type { AnimalPositions } from '../../server/api-types.ts';
import { InlineDrawer, WorkerDrawer, type AnimalDrawer } from './animal-drawers.ts';
import { ALERTED, AnimalStore, packPoints, type PointSet } from './animal-store.ts';
import { frameViewOf, redrawTransform, sameView, type FrameView } from './animal-view.ts';

/**
 * Live animal positions: one WebGL point per ear tag at its latest fix, Okabe-Ito blue, and
 * bigger in vermillion for a tag with an open alert. Positions live in typed arrays (moved in
 * place), go to the GPU in one upload per change, and are drawn with one `gl.POINTS` call per
 * frame, only when the animals or the view changed. The drawing runs in a worker where the
 * browser allows: the map then never waits for it (software WebGL takes a good part of a second
 * for 100 000 points) and shows the last frame, moved with the view, until the next one is ready.
 */
export class AnimalLayer {
  readonly layer: Layer;
  private readonly live = new AnimalStore();
  private simulated: PointSet | null = null;
  private container: HTMLDivElement | null = null;
  private drawer: AnimalDrawer | null = null;
  /** Bumped by every change of the points; `sentVersion` is what the drawer has. */
  private version = 0;
  private sentVersion = -1;
  private askedView: FrameView | null = null;

  constructor() {
    this.layer = new Layer({
      // OpenLayers also accepts null (nothing to show this frame); its type says HTMLElement.
      render: (frameState) => this.render(frameState) as HTMLElement,
      properties: { title: 'Animals (live)', name: 'animals' },
      zIndex: 5,
    });
  }

  get count(): number {
    return this.live.count;
  }

  /** Frames of the layer drawn so far (for the bench: how often the animals are redrawn). */
  get framesDrawn(): number {
    return this.drawer?.framesDrawn ?? 0;
  }

  /**
   * Sets the latest fixes: moves known tags, adds new ones, removes tags no longer reported. The
   * same fixes again (the map reads them every few seconds) draw nothing again.
   */
  setPositions(items: AnimalPositions['items']): void {
    const seen = new Set<string>();
    let changed = false;
    for (const item of items) {
      seen.add(item.tagCode);
      const [x, y] = fromLonLat([item.lng, item.lat]) as [number, number];
      if (this.live.put(item.tagCode, x, y)) changed = true;
    }
    if (this.live.keepOnly(seen)) changed = true;
    if (changed) this.pointsChanged();
  }

  /** Marks the tags with an open alert (drawn bigger, in vermillion). */
  markAlerted(tagCodes: ReadonlySet<string>): void {
    if (this.live.setAlerted(tagCodes)) this.pointsChanged();
  }

  /** Drops everything but the live tags (e.g. simulated animals). */
  keepOnlyLive(): void {
    if (this.simulated === null) return;
    this.simulated = null;
    this.pointsChanged();
  }

  /** The tag's position (map projection), or null. */
  positionOf(tagCode: string): number[] | null {
    return this.live.positionOf(tagCode);
  }

  /** Shows made-up points besides the live ones (see simulateAnimals); one set at a time. */
  showSimulated(points: PointSet): void {
    this.simulated = points;
    this.pointsChanged();
  }

  /** Says the points changed in place (e.g. simulated animals moved): drawn again. */
  pointsChanged(): void {
    this.version++;
    this.layer.changed();
  }

  private pointSets(): PointSet[] {
    return this.simulated === null ? [this.live] : [this.live, this.simulated];
  }

  private render(frameState: FrameState): HTMLElement | null {
    if (this.live.count === 0 && (this.simulated?.count ?? 0) === 0) {
      // Nothing to draw: no stale frame either when animals come back.
      this.drawer?.forget();
      this.sentVersion = -1;
      return null;
    }
    const view = frameViewOf(frameState);
    const drawer = (this.drawer ??= this.createDrawer());
    const pointsChanged = this.sentVersion !== this.version;
    if (
      drawer.idle &&
      (pointsChanged || this.askedView === null || !sameView(this.askedView, view))
    ) {
      drawer.draw(view, pointsChanged ? packPoints(this.pointSets()) : null);
      this.sentVersion = this.version;
      this.askedView = view;
    }
    const frame = drawer.shown();
    if (frame === null) return null;
    const { canvas } = frame;
    const container = (this.container ??= createContainer());
    if (canvas.parentElement !== container) container.replaceChildren(canvas);
    canvas.style.position = 'absolute';
    canvas.style.left = '0';
    canvas.style.top = '0';
    canvas.style.width = `${frame.view.size[0]}px`;
    canvas.style.height = `${frame.view.size[1]}px`;
    canvas.style.transformOrigin = 'top left';
    canvas.style.transform = cssTransform(redrawTransform(frame.view, view));
    const layerState = frameState.layerStatesArray[frameState.layerIndex];
    container.style.opacity = String(layerState?.opacity ?? 1);
    return container;
  }

  /** A worker where it can draw; else (or when it stops) the page's own canvas. */
  private createDrawer(): AnimalDrawer {
    const onFrame = () => this.layer.changed();
    if (typeof Worker === 'undefined' || typeof OffscreenCanvas === 'undefined')
      return new InlineDrawer();
    return new WorkerDrawer(onFrame, (reason) => {
      console.warn(`animal layer: drawing on the page instead of a worker (${reason})`);
      this.drawer?.dispose();
      this.drawer = new InlineDrawer();
      this.sentVersion = -1;
      this.askedView = null;
      onFrame();
    });
  }
}

/** The layer's element in the map's viewport (its own class: no canvas layer draws into it). */
function createContainer(): HTMLDivElement {
  const container = document.createElement('div');
  container.className = 'ol-layer animal-layer';
  container.style.position = 'absolute';
  container.style.inset = '0';
  container.style.pointerEvents = 'none';
  return container;
}

/**
 * `n` made-up animals in `extent` that wander on each `step()`: for the bench (and a person
 * trying the map), through the same in-place update as the live positions. One in a thousand
 * is drawn as alerted.
 */
export function simulateAnimals(
  animals: AnimalLayer,
  n: number,
  extent: Extent,
): { step(): void; clear(): void } {
  const [minX, minY, maxX, maxY] = extent as [number, number, number, number];
  const width = Math.max(maxX - minX, 1);
  const height = Math.max(maxY - minY, 1);
  const xy = new Float64Array(2 * n);
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) {
    xy[2 * i] = minX + Math.random() * width;
    xy[2 * i + 1] = minY + Math.random() * height;
    if (i % 1000 === 0) flags[i] = ALERTED;
  }
  animals.showSimulated({ count: n, xy, flags });
  const stepM = Math.max(width, height) / 2000;
  return {
    step() {
      for (let i = 0; i < n; i += 1) {
        xy[2 * i] = Math.min(maxX, Math.max(minX, xy[2 * i]! + (Math.random() - 0.5) * stepM));
        xy[2 * i + 1] = Math.min(
          maxY,
          Math.max(minY, xy[2 * i + 1]! + (Math.random() - 0.5) * stepM),
        );
      }
      animals.pointsChanged();
    },
    clear() {
      animals.keepOnlyLive();
    },
  };
}
