import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import type { FarmCollection } from '../server/api-types.ts';
import { createFarmLayer } from './layers/farms.ts';
import { ensureSignedIn } from './login.ts';

// No basemap by default: the map makes no request outside the service, and the farm boundaries
// stay readable on the plain background.
const statusElement = document.getElementById('status');
const listElement = document.getElementById('farms');

async function start(): Promise<void> {
  await ensureSignedIn();
  const response = await fetch('/api/farms', { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`GET /api/farms answered ${response.status}`);
  const farms = (await response.json()) as FarmCollection;
  const layer = createFarmLayer(farms);
  const map = new Map({
    target: 'map',
    layers: [layer],
    view: new View({ center: [0, 0], zoom: 2 }),
    controls: [new ScaleLine()],
  });
  const extent = layer.getSource()?.getExtent();
  if (extent !== undefined && extent !== null && farms.features.length > 0) {
    map.getView().fit(extent, { padding: [40, 40, 40, 40] });
  }
  for (const farm of farms.features) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.textContent = `${farm.properties.name} (${farm.properties.code})`;
    button.addEventListener('click', () => {
      const feature = layer.getSource()?.getFeatureById(farm.id);
      const geometry = feature?.getGeometry();
      if (geometry !== undefined)
        map.getView().fit(geometry.getExtent(), { padding: [60, 60, 60, 60], duration: 300 });
    });
    item.append(button, ` · ${farm.properties.borrowerName}`);
    listElement?.append(item);
  }
  if (statusElement !== null) statusElement.textContent = `${farms.features.length} farms`;
}

start().catch((error: unknown) => {
  if (statusElement !== null)
    statusElement.textContent = `cannot load the portfolio: ${String(error)}`;
});
