import TileLayer from 'ol/layer/Tile.js';
import XYZ from 'ol/source/XYZ.js';
import type { TileLegend } from '../../server/api-types.ts';
import { getJson } from '../api.ts';

export type SatelliteTileLayerName = 'crop' | 'ndvi';

const titles: Readonly<Record<SatelliteTileLayerName, string>> = {
  crop: 'Crops (classified)',
  ndvi: 'NDVI (latest clear)',
};

/**
 * The service's PNG tiles of the classified crops or the latest clear NDVI over the caller's
 * parcels (`/api/tiles/{layer}/{z}/{x}/{y}.png`, same origin, so the session cookie goes along),
 * hidden until switched on. Transparent where there is nothing.
 */
export function createSatelliteTileLayer(name: SatelliteTileLayerName): TileLayer<XYZ> {
  return new TileLayer({
    source: new XYZ({ url: `/api/tiles/${name}/{z}/{x}/{y}.png`, maxZoom: 19 }),
    visible: false,
    opacity: 0.75,
    properties: { title: titles[name], name: `${name}-tiles` },
  });
}

/**
 * The layer's legend from the service, or null when the service has no tiles (an older service,
 * or the satellite side not deployed): the map then leaves the layer out.
 */
export function readTileLegend(name: SatelliteTileLayerName): Promise<TileLegend | null> {
  return getJson<TileLegend>(`/api/tiles/${name}/legend`).catch(() => null);
}

/** A legend section for a tile layer: a swatch and a label per entry. */
export function renderTileLegend(legend: TileLegend): HTMLElement {
  const section = document.createElement('section');
  section.className = 'tile-legend';
  section.dataset['layer'] = legend.layer;
  const heading = document.createElement('h3');
  heading.textContent = titles[legend.layer];
  const list = document.createElement('ul');
  for (const entry of legend.entries) {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'tile-swatch';
    swatch.style.background = entry.colour;
    swatch.setAttribute('aria-hidden', 'true');
    item.append(swatch, document.createTextNode(entry.label));
    list.append(item);
  }
  section.append(heading, list);
  return section;
}
