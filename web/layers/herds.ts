import Feature from 'ol/Feature.js';
import MultiPolygon from 'ol/geom/MultiPolygon.js';
import Point from 'ol/geom/Point.js';
import Polygon from 'ol/geom/Polygon.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import type { Herd, HerdStateSummary } from '../../server/api-types.ts';
import { herdStyle } from '../style/herd-style.ts';

/**
 * The pledged herds, drawn at their farm (inside its boundary) with their live head count
 * against the pledge. A herd whose state could not be read shows `?` instead of a count.
 */
export function createHerdLayer(
  herds: readonly Herd[],
  states: ReadonlyMap<string, HerdStateSummary>,
  farms: VectorSource,
): VectorLayer<VectorSource> {
  const features: Feature<Point>[] = [];
  // Two herds on one farm: spread them so neither hides the other.
  const perFarm = new Map<string, number>();
  for (const herd of herds) {
    const at = farmAnchor(farms.getFeatureById(herd.farmId));
    if (at === null) continue; // the farm is not on the map (another page, or not visible)
    const index = perFarm.get(herd.farmId) ?? 0;
    perFarm.set(herd.farmId, index + 1);
    const feature = new Feature({
      geometry: new Point([at[0] ?? 0, (at[1] ?? 0) - index * 60]),
      code: herd.code,
      name: herd.name,
      species: herd.species,
      farmId: herd.farmId,
      loanId: herd.loanId,
      pledgedHeadCount: herd.pledgedHeadCount,
      headCount: states.get(herd.id)?.headCount ?? null,
    });
    feature.setId(herd.id);
    features.push(feature);
  }
  return new VectorLayer({
    source: new VectorSource({ features }),
    style: herdStyle,
    properties: { title: 'Herds', name: 'herds' },
    zIndex: 10,
  });
}

/** Sets each herd's head count from fresh states; a herd without a state keeps its last count. */
export function updateHerdCounts(
  layer: VectorLayer<VectorSource>,
  states: ReadonlyMap<string, HerdStateSummary>,
): void {
  for (const feature of layer.getSource()?.getFeatures() ?? []) {
    const state = states.get(String(feature.getId()));
    if (state !== undefined) feature.set('headCount', state.headCount);
  }
}

/** A point inside the farm's boundary (its largest part's interior point). */
function farmAnchor(farm: ReturnType<VectorSource['getFeatureById']>): number[] | null {
  const geometry = farm?.getGeometry();
  if (geometry instanceof Polygon) return geometry.getInteriorPoint().getCoordinates();
  if (geometry instanceof MultiPolygon) {
    const [first, ...rest] = geometry.getPolygons();
    if (first === undefined) return null;
    const largest = rest.reduce((a, b) => (b.getArea() > a.getArea() ? b : a), first);
    return largest.getInteriorPoint().getCoordinates();
  }
  return null;
}
