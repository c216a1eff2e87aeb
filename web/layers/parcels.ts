import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import type { ParcelFeature } from '../../server/api-types.ts';
import { parcelStatusOf } from '../style/parcel-status.ts';
import { parcelStyle } from '../style/parcel-style.ts';

/**
 * The pledged parcels, coloured by the status of their collateral check. Until the satellite
 * check reports, every parcel is `no_observation`; the status is set on each feature here, so
 * the style and the legend agree on what a missing status means.
 */
export function createParcelLayer(parcels: readonly ParcelFeature[]): VectorLayer<VectorSource> {
  const features = new GeoJSON().readFeatures(
    { type: 'FeatureCollection', features: parcels },
    { featureProjection: 'EPSG:3857' },
  );
  for (const feature of features) feature.set('status', parcelStatusOf(feature.getProperties()));
  return new VectorLayer({
    source: new VectorSource({ features }),
    style: parcelStyle,
    declutter: true,
    properties: { title: 'Parcels', name: 'parcels' },
  });
}
