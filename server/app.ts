import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { serveStatic } from '@hono/node-server/serve-static';
import { existsSync } from 'node:fs';
import type { AppEnv, Services } from './app-env.ts';
import { envelope, createErrorHandler } from './http-errors.ts';
import { createHealthRoutes } from './routes/health.ts';
import { createIngestRoutes } from './routes/ingest.ts';
import { createMapConfigRoutes } from './routes/map-config.ts';
import { createApiApp } from './resources/index.ts';
import { limitRequestBodies } from './api/body-limits.ts';
import { importBodyLimits } from './resources/import-routes.ts';

/** The HTTP application: one sub-app per resource, one error handler. No listening here. */
export function createApp(services: Services, options: { webRoot?: string } = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  // One body limit for all routes; the land-register imports may send up to 20 MiB.
  app.use(limitRequestBodies(services.config.http.bodyLimitBytes, importBodyLimits));
  app.onError(createErrorHandler(services.logger));
  app.notFound((c) =>
    c.json(
      envelope('not_found', `no route for ${c.req.method} ${c.req.path}`, c.get('requestId')),
      404,
    ),
  );

  app.route('/', createHealthRoutes(services));
  app.route('/api/ingest', createIngestRoutes(services));
  app.route('/api/map-config', createMapConfigRoutes(services));
  app.route('/api', createApiApp(services));
  // The built map (web/dist). Absent in a checkout that was never built: say so instead of a bare 404.
  const webRoot = options.webRoot;
  if (webRoot !== undefined && existsSync(webRoot)) {
    app.use('/*', serveStatic({ root: webRoot }));
  } else {
    app.get('/', (c) =>
      c.text('The map is not built: run `npm run build:web` (npm start does it for you).', 404),
    );
  }
  return app;
}
