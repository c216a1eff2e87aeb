import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import type { ParcelFeature } from '../../server/api-types.ts';
import { parcelStatusOf } from '../style/parcel-status.ts';
import { parcelStyle } from '../style/parcel-style.ts';

/**
 * The pledged parcels, coloured by the status of their satellite check (`statuses`, by parcel id,
 * from `GET /api/parcels/status.geojson`). A parcel the check has not reached is
 * `no_observation`; the status is set on each feature here, so the style and the legend agree on
 * what a missing status means.
 */
export function createParcelLayer(
  parcels: readonly ParcelFeature[],
  statuses: ReadonlyMap<string, { readonly status?: unknown }> = new Map(),
): VectorLayer<VectorSource> {
  const features = new GeoJSON().readFeatures(
    { type: 'FeatureCollection', features: parcels },
    { featureProjection: 'EPSG:3857' },
  );
  for (const feature of features) {
    const checked = statuses.get(String(feature.getId()));
    feature.set('status', parcelStatusOf(checked ?? feature.getProperties()));
  }
  return new VectorLayer({
    source: new VectorSource({ features }),
    style: parcelStyle,
    declutter: true,
    properties: { title: 'Parcels', name: 'parcels' },
  });
}
