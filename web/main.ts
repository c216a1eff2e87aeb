import OlMap from 'ol/Map.js';
import View from 'ol/View.js';
import Attribution from 'ol/control/Attribution.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import Zoom from 'ol/control/Zoom.js';
import { createEmpty, extend, isEmpty, type Extent } from 'ol/extent.js';
import type {
  AnimalPositions,
  FarmFeature,
  Herd,
  HerdStateSummary,
  MapConfig,
  ParcelFeature,
  UserSummary,
} from '../server/api-types.ts';
import { AlertPanel } from './alerts/alert-panel.ts';
import { getAllPages, getJson } from './api.ts';
import { DetailsPanel } from './details/details-panel.ts';
import { LoanPanel } from './details/loan-panel.ts';
import { AnimalLayer, simulateAnimals } from './layers/animals.ts';
import { createSelectionLayer, showAlertSubject } from './layers/alert-subject.ts';
import {
  createSatelliteTileLayer,
  readTileLegend,
  renderTileLegend,
} from './layers/satellite-tiles.ts';
import { readParcelStatuses } from './layers/parcel-statuses.ts';
import { LayerSwitcher } from './controls/layer-switcher.ts';
import { Legend } from './controls/legend.ts';
import { createBasemapLayer } from './layers/basemap.ts';
import { createFarmLayer } from './layers/farms.ts';
import { createHerdLayer, updateHerdCounts } from './layers/herds.ts';
import { createParcelLayer } from './layers/parcels.ts';
import { ensureSignedIn } from './login.ts';
import { attachSearch, type SearchHit } from './search.ts';
import { exposeProbe, extendProbe, reportProbeError } from './test-hook.ts';

/** How often the herds' head counts are read again. */
const HERD_REFRESH_MS = 30_000;
/** How often the animals' latest fixes are read again (and at once on an alert event). */
const ANIMAL_REFRESH_MS = 5_000;
/** The open loan panel in the URL (`/#loan=<id>`), so a loan's collateral can be linked to. */
const LOAN_HASH = /^#loan=([\w-]+)$/;

function loanIdInHash(): string | null {
  return LOAN_HASH.exec(window.location.hash)?.[1] ?? null;
}

// No basemap by default: the map makes no request outside the service, and the farm boundaries
// stay readable on the plain background. PW_MAP_BASEMAP_URL configures one.
const statusElement = document.getElementById('status');
const listElement = document.getElementById('farms');

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function setStatus(text: string): void {
  if (statusElement !== null) statusElement.textContent = text;
}

/** The live count of each herd; a herd whose state cannot be read is left out (shown as `?`). */
async function readHerdStates(herds: readonly Herd[]): Promise<Map<string, HerdStateSummary>> {
  const states = await Promise.all(
    herds.map((herd) => getJson<HerdStateSummary>(`/api/herds/${herd.id}/state`).catch(() => null)),
  );
  return new Map(
    states.flatMap((state) => (state === null ? [] : [[state.herdId, state] as const])),
  );
}

async function start(): Promise<void> {
  await ensureSignedIn();
  setStatus('loading the portfolio…');
  const [mapConfig, farms, parcels, herds, me, parcelStatuses, cropLegend, ndviLegend] =
    await Promise.all([
      getJson<MapConfig>('/api/map-config'),
      getAllPages<FarmFeature, 'features'>('/api/farms', 'features'),
      getAllPages<ParcelFeature, 'features'>('/api/parcels', 'features'),
      getAllPages<Herd, 'items'>('/api/herds', 'items'),
      getJson<UserSummary>('/api/auth/me'),
      readParcelStatuses(),
      readTileLegend('crop'),
      readTileLegend('ndvi'),
    ]);
  const states = await readHerdStates(herds);

  const farmLayer = createFarmLayer({
    type: 'FeatureCollection',
    features: farms,
    nextCursor: null,
  });
  const farmSource = farmLayer.getSource();
  if (farmSource === null) throw new Error('the farm layer has no source');
  const parcelLayer = createParcelLayer(parcels, parcelStatuses);
  const herdLayer = createHerdLayer(herds, states, farmSource);
  let basemapProblem: string | null = null;
  const basemap = await createBasemapLayer(mapConfig.basemap).catch((error: unknown) => {
    basemapProblem = `basemap unavailable (${String(error)}): plain background`;
    return null;
  });

  // The satellite's tiles, when the service has them (their legend answers).
  const tileLayers = [
    ...(cropLegend === null ? [] : [createSatelliteTileLayer('crop')]),
    ...(ndviLegend === null ? [] : [createSatelliteTileLayer('ndvi')]),
  ];
  const animals = new AnimalLayer();
  const selection = createSelectionLayer();

  const legendTarget = document.getElementById('legend');
  const layerSwitcher = new LayerSwitcher();
  const layers = [
    ...(basemap === null ? [] : [basemap]),
    ...tileLayers,
    farmLayer,
    parcelLayer,
    animals.layer,
    herdLayer,
    selection,
  ];
  const map = new OlMap({
    target: 'map',
    layers,
    view: new View({ center: [0, 0], zoom: 2 }),
    controls: [
      new Zoom(),
      new ScaleLine({ units: 'metric' }),
      new Attribution({ collapsible: true }),
      layerSwitcher,
      new Legend(legendTarget === null ? {} : { target: legendTarget }),
    ],
  });
  layerSwitcher.showLayers(layers);
  for (const legend of [cropLegend, ndviLegend])
    if (legend !== null) legendTarget?.append(renderTileLegend(legend));

  // The layer switcher sits over the map's top left corner: keep the farms clear of it.
  const fit = (extent: Extent, padding = 40): void => {
    if (!isEmpty(extent))
      map
        .getView()
        .fit(extent, { padding: [padding, padding, padding, padding + 100], maxZoom: 17 });
  };
  const farmExtent = (farmIds: Iterable<string>): Extent => {
    const extent = createEmpty();
    for (const id of farmIds) {
      const geometry = farmSource.getFeatureById(id)?.getGeometry();
      if (geometry !== undefined) extend(extent, geometry.getExtent());
    }
    return extent;
  };
  if (farms.length > 0) fit(farmSource.getExtent() ?? createEmpty());

  // What the alerts and the loan panels zoom to: a parcel, a herd, a farm, a tag's position.
  const subjectLayers = {
    selection,
    animals,
    farms: farmSource,
    parcels: parcelLayer.getSource(),
    herds: herdLayer.getSource(),
  };
  const loanElement = document.createElement('section');
  loanElement.id = 'loan';
  loanElement.setAttribute('aria-label', 'Loan collateral');
  document.querySelector('aside')?.prepend(loanElement);
  const loanPanel = new LoanPanel({
    element: loanElement,
    zoomTo: (subject) => {
      const at = showAlertSubject(
        {
          subjectType: subject.type,
          subjectId: subject.id,
          farmId: subject.farmId,
          evidence: {},
        },
        subjectLayers,
      );
      if (at !== null) fit(at, 80);
    },
    onClose: () => {
      if (loanIdInHash() !== null)
        window.history.replaceState(null, '', window.location.pathname + window.location.search);
    },
  });
  const openLoan = (loanId: string): void => {
    if (loanIdInHash() !== loanId) window.history.replaceState(null, '', `#loan=${loanId}`);
    void loanPanel.open(loanId);
  };
  // A "Loan" link in the details (`#loan=<id>`), or the address bar: open that loan's panel.
  window.addEventListener('hashchange', () => {
    const loanId = loanIdInHash();
    if (loanId !== null && loanId !== loanPanel.openLoanId) void loanPanel.open(loanId);
  });
  const loanReferences = new Map(
    parcels.flatMap((p) =>
      p.properties.loanId === null || p.properties.loanReference === null
        ? []
        : [[p.properties.loanId, p.properties.loanReference] as const],
    ),
  );

  const show = (hit: SearchHit): void => {
    if (hit.kind === 'farm') fit(farmExtent([hit.id]), 60);
    else if (hit.kind === 'borrower')
      fit(farmExtent(farms.filter((f) => f.properties.borrowerId === hit.id).map((f) => f.id)), 60);
    else {
      // A loan: its pledged parcels and herds, else its borrower's farms.
      const extent = createEmpty();
      for (const feature of parcelLayer.getSource()?.getFeatures() ?? [])
        if (feature.get('loanId') === hit.id) extend(extent, feature.getGeometry()!.getExtent());
      extend(extent, farmExtent(herds.filter((h) => h.loanId === hit.id).map((h) => h.farmId)));
      fit(
        isEmpty(extent)
          ? farmExtent(
              farms.filter((f) => f.properties.borrowerId === hit.borrowerId).map((f) => f.id),
            )
          : extent,
        60,
      );
      openLoan(hit.id);
    }
  };
  const searchForm = document.getElementById('search');
  const searchInput = document.getElementById('search-text');
  const searchResults = document.getElementById('search-results');
  if (
    searchForm instanceof HTMLFormElement &&
    searchInput instanceof HTMLInputElement &&
    searchResults !== null
  )
    attachSearch(searchForm, searchInput, searchResults, show);

  for (const farm of farms) {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.textContent = `${farm.properties.name} (${farm.properties.code})`;
    button.addEventListener('click', () => fit(farmExtent([farm.id]), 60));
    item.append(button, ` · ${farm.properties.borrowerName}`);
    listElement?.append(item);
  }

  // The head counts follow the readings: read again now and then (one read at a time).
  let refreshing: Promise<void> | null = null;
  const refreshHerds = (): Promise<void> => {
    refreshing ??= readHerdStates(herds)
      .then((fresh) => updateHerdCounts(herdLayer, fresh))
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  };
  setInterval(() => {
    refreshHerds().catch((error: unknown) => setStatus(`cannot read the herds: ${String(error)}`));
  }, HERD_REFRESH_MS);

  // Live animal positions: read now, every ANIMAL_REFRESH_MS, and at once on an alert event.
  let animalRead: Promise<void> | null = null;
  const refreshAnimals = (): Promise<void> => {
    animalRead ??= getJson<AnimalPositions>('/api/animal-positions')
      .then((positions) => animals.setPositions(positions.items))
      .finally(() => {
        animalRead = null;
      });
    return animalRead;
  };
  const reportAnimalProblem = (error: unknown): void =>
    setStatus(`cannot read the animals: ${String(error)}`);
  refreshAnimals().catch(reportAnimalProblem);
  setInterval(() => refreshAnimals().catch(reportAnimalProblem), ANIMAL_REFRESH_MS);

  const details = new DetailsPanel(
    document.getElementById('details') ?? document.createElement('section'),
    {
      loanLink: (loanId) => {
        const reference = loanReferences.get(loanId);
        return {
          href: `#loan=${loanId}`,
          text: `Loan${reference === undefined ? '' : ` ${reference}`}: collateral and report`,
        };
      },
    },
  );
  const herdById = new Map(herds.map((h) => [h.id, h]));
  const showParcel = (id: string): void => {
    const feature = parcelLayer.getSource()?.getFeatureById(id);
    if (feature === null || feature === undefined) return;
    void details.showParcel(
      {
        id,
        code: String(feature.get('code')),
        declaredCropName: (feature.get('declaredCropName') as string | null) ?? null,
        declaredAreaM2: (feature.get('declaredAreaM2') as number | null) ?? null,
        areaM2: Number(feature.get('areaM2')),
        loanId: (feature.get('loanId') as string | null) ?? null,
      },
      parcelStatuses.get(id),
    );
  };
  const showHerd = (id: string): void => {
    const herd = herdById.get(id);
    if (herd !== undefined) void details.showHerd(herd);
  };
  map.on('singleclick', (event) => {
    const hit = map.forEachFeatureAtPixel(
      event.pixel,
      (feature, layer) => ({ id: String(feature.getId()), layer }),
      { layerFilter: (l) => l === parcelLayer || l === herdLayer, hitTolerance: 4 },
    );
    if (hit === undefined) return;
    if (hit.layer === herdLayer) showHerd(hit.id);
    else showParcel(hit.id);
  });

  const alertsElement = document.getElementById('alerts');
  const alertPanel =
    alertsElement === null
      ? null
      : new AlertPanel({
          element: alertsElement,
          zoomTo: (alert) => {
            const at = showAlertSubject(alert, subjectLayers);
            if (at !== null) fit(at, 80);
            if (alert.subjectType === 'parcel') showParcel(alert.subjectId);
            else if (alert.subjectType === 'herd') showHerd(alert.subjectId);
          },
          onEvent: () => {
            refreshAnimals().catch(reportAnimalProblem);
            refreshHerds().catch(() => undefined);
          },
        });
  if (alertPanel !== null) {
    // Tags in an open alert are drawn in vermillion on the animal layer.
    alertPanel.store.onChange(() =>
      animals.markAlerted(
        new Set(
          alertPanel
            .shown()
            .filter((a) => a.subjectType === 'ear_tag')
            .map((a) => String(a.evidence?.['tagCode'] ?? '')),
        ),
      ),
    );
    alertPanel
      .start(me)
      .catch((error: unknown) => setStatus(`cannot read the alerts: ${String(error)}`));
  }

  const probe = exposeProbe(
    map,
    { farms: farmLayer, parcels: parcelLayer, herds: herdLayer },
    mapConfig.basemap?.type ?? null,
    refreshHerds,
  );
  extendProbe({
    alerts: () =>
      (alertPanel?.shown() ?? []).map((a) => ({
        id: a.id,
        title: a.title,
        severity: a.severity,
        status: a.status,
      })),
    alertStream: () => ({
      connected: alertPanel?.connected ?? false,
      eventsReceived: alertPanel?.eventsReceived ?? 0,
    }),
    animals: () => animals.count,
    details: () => details.showing,
    tileLayers: tileLayers.map((l) => String(l.get('name'))),
    refreshAnimals,
    bench: {
      map,
      animals,
      simulate: (n: number) =>
        simulateAnimals(animals, n, map.getView().calculateExtent(map.getSize())),
    },
  });
  map.once('rendercomplete', () => {
    probe.ready = true;
    probe.readyAtMs = performance.now();
  });
  // Opened with a loan in the address (a link someone shared): show it.
  const linkedLoan = loanIdInHash();
  if (linkedLoan !== null) void loanPanel.open(linkedLoan, null);
  setStatus(
    [
      count(farms.length, 'farm'),
      count(parcels.length, 'parcel'),
      count(herds.length, 'herd'),
      ...(basemapProblem === null ? [] : [basemapProblem]),
    ].join(' · '),
  );
}

start().catch((error: unknown) => {
  reportProbeError(error);
  setStatus(`cannot load the portfolio: ${String(error)}`);
});
