import Feature from 'ol/Feature.js';
import Point from 'ol/geom/Point.js';
import WebGLPointsLayer from 'ol/layer/WebGLPoints.js';
import VectorSource from 'ol/source/Vector.js';
import { fromLonLat } from 'ol/proj.js';
import type { Extent } from 'ol/extent.js';
import type { AnimalPositions } from '../../server/api-types.ts';

/** Okabe-Ito blue for an animal, vermillion (and bigger) for one in an open alert. */
const ANIMAL_COLOR = '#0072B2';
const ALERT_COLOR = '#D55E00';

type AnimalSource = VectorSource<Feature<Point>>;

/**
 * Live animal positions: one WebGL point per ear tag at its latest fix. Drawn by the GPU, so
 * 100 000 animals stay smooth; positions are moved in place (one change for the whole source,
 * not one event per animal), and the layer keeps no spatial index (nothing queries it by area).
 */
export class AnimalLayer {
  readonly source: AnimalSource = new VectorSource({ useSpatialIndex: false });
  readonly layer: WebGLPointsLayer<AnimalSource>;
  private readonly byTag = new Map<string, Feature<Point>>();
  private alerted = new Set<string>();

  constructor() {
    this.layer = new WebGLPointsLayer({
      source: this.source,
      disableHitDetection: true,
      style: {
        'circle-radius': ['match', ['get', 'alert'], 1, 7, 3.5],
        'circle-fill-color': ['match', ['get', 'alert'], 1, ALERT_COLOR, ANIMAL_COLOR],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': ['match', ['get', 'alert'], 1, 2, 0.75],
      },
      properties: { title: 'Animals (live)', name: 'animals' },
      zIndex: 5,
    });
  }

  get count(): number {
    return this.byTag.size;
  }

  /** Sets the latest fixes: moves known tags, adds new ones, removes tags no longer reported. */
  setPositions(items: AnimalPositions['items']): void {
    const seen = new Set<string>();
    const added: Feature<Point>[] = [];
    for (const item of items) {
      seen.add(item.tagCode);
      const [x, y] = fromLonLat([item.lng, item.lat]) as [number, number];
      const known = this.byTag.get(item.tagCode);
      if (known !== undefined) {
        const flat = known.getGeometry()!.getFlatCoordinates();
        flat[0] = x;
        flat[1] = y;
        continue;
      }
      const feature = new Feature({
        geometry: new Point([x, y]),
        tagCode: item.tagCode,
        herdId: item.herdId,
        alert: this.alerted.has(item.tagCode) ? 1 : 0,
      });
      this.byTag.set(item.tagCode, feature);
      added.push(feature);
    }
    for (const [tagCode, feature] of this.byTag)
      if (!seen.has(tagCode)) {
        this.source.removeFeature(feature);
        this.byTag.delete(tagCode);
      }
    if (added.length > 0) this.source.addFeatures(added);
    this.source.changed();
  }

  /** Marks the tags with an open alert (drawn bigger, in vermillion). */
  markAlerted(tagCodes: ReadonlySet<string>): void {
    this.alerted = new Set(tagCodes);
    for (const [tagCode, feature] of this.byTag) {
      const alert = tagCodes.has(tagCode) ? 1 : 0;
      if (feature.get('alert') !== alert) feature.set('alert', alert);
    }
  }

  /** Drops everything but the live tags (e.g. simulated animals). */
  keepOnlyLive(): void {
    this.source.clear(true);
    this.source.addFeatures([...this.byTag.values()]);
  }

  /** The tag's position (map projection), or null. */
  positionOf(tagCode: string): number[] | null {
    return this.byTag.get(tagCode)?.getGeometry()?.getCoordinates() ?? null;
  }
}

/**
 * `n` made-up animals in `extent` that wander on each `step()`: for the bench (and a person
 * trying the map), through the same in-place update as the live positions.
 */
export function simulateAnimals(
  animals: AnimalLayer,
  n: number,
  extent: Extent,
): { step(): void; clear(): void } {
  const [minX, minY, maxX, maxY] = extent as [number, number, number, number];
  const width = Math.max(maxX - minX, 1);
  const height = Math.max(maxY - minY, 1);
  const features: Feature<Point>[] = [];
  for (let i = 0; i < n; i += 1)
    features.push(
      new Feature({
        geometry: new Point([minX + Math.random() * width, minY + Math.random() * height]),
        alert: i % 1000 === 0 ? 1 : 0,
      }),
    );
  animals.source.addFeatures(features);
  const stepM = Math.max(width, height) / 2000;
  return {
    step() {
      for (const feature of features) {
        const flat = feature.getGeometry()!.getFlatCoordinates();
        flat[0] = Math.min(maxX, Math.max(minX, flat[0]! + (Math.random() - 0.5) * stepM));
        flat[1] = Math.min(maxY, Math.max(minY, flat[1]! + (Math.random() - 0.5) * stepM));
      }
      animals.source.changed();
    },
    clear() {
      animals.keepOnlyLive();
    },
  };
}
