import Feature from 'ol/Feature.js';
import Point from 'ol/geom/Point.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { createEmpty, extend, isEmpty, type Extent } from 'ol/extent.js';
import { fromLonLat } from 'ol/proj.js';
import Circle from 'ol/style/Circle.js';
import Stroke from 'ol/style/Stroke.js';
import Style from 'ol/style/Style.js';
import Text from 'ol/style/Text.js';
import Fill from 'ol/style/Fill.js';
import type { AlertWithHistory } from '../../server/api-types.ts';
import type { AnimalLayer } from './animals.ts';

/** A black-and-white target ring where the open alert's subject is (readable on any colour). */
const ringStyle = [
  new Style({
    image: new Circle({ radius: 14, stroke: new Stroke({ color: '#ffffff', width: 5 }) }),
  }),
  new Style({
    image: new Circle({ radius: 14, stroke: new Stroke({ color: '#000000', width: 2.5 }) }),
    text: new Text({
      text: '⚠',
      offsetY: -26,
      font: 'bold 16px system-ui, sans-serif',
      fill: new Fill({ color: '#000000' }),
      stroke: new Stroke({ color: '#ffffff', width: 3 }),
    }),
  }),
];

/** The layer that marks the open alert's subject. */
export function createSelectionLayer(): VectorLayer<VectorSource> {
  return new VectorLayer({
    source: new VectorSource(),
    style: ringStyle,
    zIndex: 20,
    properties: { name: 'alert-subject' },
  });
}

export interface SubjectLayers {
  readonly selection: VectorLayer<VectorSource>;
  readonly animals: AnimalLayer;
  readonly farms: VectorSource;
  readonly parcels: VectorSource | null;
  readonly herds: VectorSource | null;
}

/**
 * Marks the alert's subject and answers the extent to zoom to: a tag's position from the
 * evidence (or its latest fix), the parcel, the herd's symbol, the farm; else the alert's farm.
 */
export function showAlertSubject(
  alert: Pick<AlertWithHistory, 'subjectType' | 'subjectId' | 'farmId' | 'evidence'>,
  layers: SubjectLayers,
): Extent | null {
  const source = layers.selection.getSource();
  source?.clear();
  const extent = createEmpty();
  const position = alert.evidence['position'] as { lng?: unknown; lat?: unknown } | undefined;
  let at: number[] | null = null;
  if (typeof position?.lng === 'number' && typeof position.lat === 'number')
    at = fromLonLat([position.lng, position.lat]);
  else if (alert.subjectType === 'ear_tag' && typeof alert.evidence['tagCode'] === 'string')
    at = layers.animals.positionOf(alert.evidence['tagCode']);
  const byId = (s: VectorSource | null, id: string | null) =>
    id === null ? null : (s?.getFeatureById(id) ?? null);
  const subject =
    alert.subjectType === 'parcel'
      ? byId(layers.parcels, alert.subjectId)
      : alert.subjectType === 'herd'
        ? byId(layers.herds, alert.subjectId)
        : alert.subjectType === 'farm'
          ? byId(layers.farms, alert.subjectId)
          : null;
  const subjectExtent = subject?.getGeometry()?.getExtent();
  if (at !== null) {
    source?.addFeature(new Feature(new Point(at)));
    extend(extent, [at[0]!, at[1]!, at[0]!, at[1]!]);
  } else if (subjectExtent !== undefined) {
    extend(extent, subjectExtent);
    const [minX, minY, maxX, maxY] = subjectExtent as [number, number, number, number];
    source?.addFeature(new Feature(new Point([(minX + maxX) / 2, (minY + maxY) / 2])));
  }
  // The farm around it, so the position is seen against the boundary.
  const farmExtent = byId(layers.farms, alert.farmId)?.getGeometry()?.getExtent();
  if (farmExtent !== undefined) extend(extent, farmExtent);
  return isEmpty(extent) ? null : extent;
}
