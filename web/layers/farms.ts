import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import type { FarmCollection } from '../../server/api-types.ts';
import { farmStyle } from '../style/farm-style.ts';

/** The portfolio's farms, read from the service as GeoJSON (WGS84) and shown in Web Mercator. */
export function createFarmLayer(collection: FarmCollection): VectorLayer<VectorSource> {
  const source = new VectorSource({
    features: new GeoJSON().readFeatures(collection, { featureProjection: 'EPSG:3857' }),
  });
  return new VectorLayer({
    source,
    style: farmStyle,
    properties: { title: 'Farms', name: 'farms' },
  });
}
