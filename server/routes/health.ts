import { Hono } from 'hono';
import type { AppEnv, Services } from '../app-env.ts';
import { errorMessage } from '../errors.ts';

/** `GET /healthz`: the backend and versions the service runs on, and whether it can reach it. */
export function createHealthRoutes(services: Services): Hono<AppEnv> {
  const { storage, storageInfo, startedAt } = services;
  return new Hono<AppEnv>().get('/healthz', async (c) => {
    const body = {
      backend: storageInfo.backend,
      versions: {
        postgres: storageInfo.serverVersion,
        timescaledb: storageInfo.timescaledbVersion,
        postgis: storageInfo.postgisVersion,
      },
      startedAt: startedAt.toISOString(),
      uptimeS: Math.round((Date.now() - startedAt.getTime()) / 1000),
    };
    try {
      const { rows } = await storage.query<{ version: string | null }>(
        'select max(version) as version from schema_migrations',
      );
      return c.json({ status: 'ok', ...body, schemaVersion: rows[0]?.version ?? null });
    } catch (error) {
      return c.json({ status: 'unavailable', ...body, reason: errorMessage(error) }, 503);
    }
  });
}
