import type OlMap from 'ol/Map.js';
import type VectorLayer from 'ol/layer/Vector.js';
import type VectorSource from 'ol/source/Vector.js';
import Point from 'ol/geom/Point.js';
import Polygon from 'ol/geom/Polygon.js';
import MultiPolygon from 'ol/geom/MultiPolygon.js';
import type { Geometry } from 'ol/geom.js';
import { HERD_OFFSET_PX } from './style/herd-style.ts';

/**
 * `window.__pledgewatch`: what the map shows, for the end-to-end tests and for a person at the
 * console. Read-only facts; nothing in it changes the map.
 */
export interface MapProbe {
  /** True once the portfolio is loaded and the first frame with it rendered. */
  ready: boolean;
  error: string | null;
  counts: Record<string, number>;
  /** Codes of the features of each layer (farms, parcels, herds). */
  codes: Record<string, string[]>;
  /** Parcels per status. */
  parcelStatuses: Record<string, number>;
  herds: { code: string; headCount: number | null; pledgedHeadCount: number }[];
  /** Features of each layer that the rendered map hit-detects at their own point on screen. */
  renderedCounts(): Record<string, number>;
  basemap: string | null;
  zoom(): number | undefined;
  /** Reads the herds' counts again now (the map also does it every HERD_REFRESH_MS). */
  refreshHerds(): Promise<void>;
  /** `performance.now()` when the portfolio's first frame was rendered (for the bench). */
  readyAtMs?: number;
  /** The alerts panel's list, in the order shown (worst first). */
  alerts?: () => { id: string; title: string; severity: string; status: string }[];
  alertStream?: () => { connected: boolean; eventsReceived: number };
  /** Animals on the live layer. */
  animals?: () => number;
  refreshAnimals?: () => Promise<void>;
  /** What the details panel shows: `parcel:<code>`, `herd:<code>` or null. */
  details?: () => string | null;
  /** Names of the satellite tile layers the map offers. */
  tileLayers?: string[];
  /** The map and its animal layer, for `npm run bench -- --suite map`. */
  bench?: unknown;
}

/** Adds facts to `window.__pledgewatch` (the alerts, animals and details panels). */
export function extendProbe(extra: Partial<MapProbe>): void {
  if (window.__pledgewatch !== undefined) Object.assign(window.__pledgewatch, extra);
}

declare global {
  interface Window {
    __pledgewatch?: MapProbe;
  }
}

export function exposeProbe(
  map: OlMap,
  layers: Record<string, VectorLayer<VectorSource>>,
  basemap: string | null,
  refreshHerds: () => Promise<void>,
): MapProbe {
  const codes: Record<string, string[]> = {};
  const counts: Record<string, number> = {};
  for (const [name, layer] of Object.entries(layers)) {
    const features = layer.getSource()?.getFeatures() ?? [];
    counts[name] = features.length;
    codes[name] = features.map((f) => String(f.get('code'))).sort();
  }
  const parcelStatuses: Record<string, number> = {};
  for (const feature of layers['parcels']?.getSource()?.getFeatures() ?? []) {
    const status = String(feature.get('status'));
    parcelStatuses[status] = (parcelStatuses[status] ?? 0) + 1;
  }
  const probe: MapProbe = {
    ready: false,
    error: null,
    counts,
    codes,
    parcelStatuses,
    get herds() {
      return (layers['herds']?.getSource()?.getFeatures() ?? []).map((f) => ({
        code: String(f.get('code')),
        headCount: f.get('headCount') as number | null,
        pledgedHeadCount: Number(f.get('pledgedHeadCount')),
      }));
    },
    basemap,
    refreshHerds,
    zoom: () => map.getView().getZoom(),
    renderedCounts: () => {
      const rendered: Record<string, number> = {};
      for (const [name, layer] of Object.entries(layers)) {
        let hits = 0;
        for (const feature of layer.getSource()?.getFeatures() ?? []) {
          const at = probePoint(feature.getGeometry());
          if (at === null) continue;
          const anchor = map.getPixelFromCoordinate(at);
          if (anchor === null) continue;
          // Herd symbols are drawn below their anchor (web/style/herd-style.ts).
          const pixel = name === 'herds' ? [anchor[0]!, anchor[1]! + HERD_OFFSET_PX] : anchor;
          const found = map.forEachFeatureAtPixel(
            pixel,
            (f) => (f === feature ? true : undefined),
            {
              layerFilter: (l) => l === layer,
              hitTolerance: 2,
            },
          );
          if (found === true) hits += 1;
        }
        rendered[name] = hits;
      }
      return rendered;
    },
  };
  window.__pledgewatch = probe;
  return probe;
}

function probePoint(geometry: Geometry | undefined): number[] | null {
  if (geometry instanceof Point) return geometry.getCoordinates();
  if (geometry instanceof Polygon) return geometry.getInteriorPoint().getCoordinates();
  if (geometry instanceof MultiPolygon)
    return geometry.getInteriorPoints().getPoint(0)?.getCoordinates() ?? null;
  return null;
}

/** Marks the probe as failed (the page's error shows in the status line too). */
export function reportProbeError(error: unknown): void {
  window.__pledgewatch = {
    ...(window.__pledgewatch ?? {
      ready: false,
      counts: {},
      codes: {},
      parcelStatuses: {},
      herds: [],
      basemap: null,
      renderedCounts: () => ({}),
      zoom: () => undefined,
      refreshHerds: () => Promise.resolve(),
    }),
    error: String(error),
  };
}
