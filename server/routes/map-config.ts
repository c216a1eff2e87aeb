/**
 * `GET /api/map-config`: what the web map needs from the service's configuration (the basemap).
 * Signed-in callers only: a commercial basemap URL may carry the bank's key.
 */
import { Hono } from 'hono';
import type { MapConfig } from '../api-types.ts';
import type { AppEnv, Services } from '../app-env.ts';
import { authenticate } from '../auth/authenticate.ts';
import type { Config } from '../config.ts';

/** The map's configuration from the service's Config. */
export function toMapConfig(config: Config): MapConfig {
  const { basemapUrl, basemapType, basemapLayer, basemapAttribution } = config.map;
  if (basemapUrl === null) return { basemap: null };
  if (basemapType === 'wmts' && basemapLayer !== null) {
    return {
      basemap: {
        type: 'wmts',
        url: basemapUrl,
        layer: basemapLayer,
        attribution: basemapAttribution,
      },
    };
  }
  return { basemap: { type: 'xyz', url: basemapUrl, attribution: basemapAttribution } };
}

export function createMapConfigRoutes(services: Services): Hono<AppEnv> {
  const body = toMapConfig(services.config);
  return new Hono<AppEnv>().use('*', authenticate(services.storage)).get('/', (c) => c.json(body));
}
