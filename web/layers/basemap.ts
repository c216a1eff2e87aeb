import TileLayer from 'ol/layer/Tile.js';
import WMTSCapabilities from 'ol/format/WMTSCapabilities.js';
import WMTS, { optionsFromCapabilities } from 'ol/source/WMTS.js';
import XYZ from 'ol/source/XYZ.js';
import type { MapConfig } from '../../server/api-types.ts';

/**
 * The configured basemap (XYZ template or WMTS capabilities), or null when none is configured:
 * then the map draws on a plain background and makes no request outside the service.
 */
export async function createBasemapLayer(basemap: MapConfig['basemap']): Promise<TileLayer | null> {
  if (basemap === null) return null;
  const attributions = basemap.attribution === null ? undefined : [basemap.attribution];
  const properties = { title: 'Basemap', name: 'basemap' };
  if (basemap.type === 'xyz') {
    return new TileLayer({
      source: new XYZ({ url: basemap.url, attributions, crossOrigin: 'anonymous' }),
      properties,
    });
  }
  const response = await fetch(basemap.url);
  if (!response.ok) throw new Error(`WMTS capabilities ${basemap.url} answered ${response.status}`);
  const capabilities = new WMTSCapabilities().read(await response.text());
  const options = optionsFromCapabilities(capabilities, {
    layer: basemap.layer,
    projection: 'EPSG:3857',
  });
  if (options === null)
    throw new Error(`WMTS layer ${basemap.layer} not in ${basemap.url} for EPSG:3857`);
  return new TileLayer({
    source: new WMTS({ ...options, attributions, crossOrigin: 'anonymous' }),
    properties,
  });
}
