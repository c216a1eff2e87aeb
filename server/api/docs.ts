import { Hono } from 'hono';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { AppEnv } from '../app-env.ts';

const require = createRequire(import.meta.url);
const assetsDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/**
 * `GET /api/docs`: the OpenAPI document as a readable page (Swagger UI), served from the
 * installed package: no CDN, so it works where the service has no internet.
 */
export function swaggerUiRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/', (c) => c.html(page));
  // Inline scripts would need a relaxed content-security policy; a script file does not.
  app.get('/init.js', (c) =>
    c.body(initScript, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = assets[file];
    if (type === undefined) return c.notFound();
    const body = await readFile(path.join(assetsDir, file));
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>PledgeWatch API</title>
  <link rel="stylesheet" href="/api/docs/assets/swagger-ui.css" />
</head>
<body>
  <div id="docs"></div>
  <script src="/api/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>`;

const initScript = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#docs', deepLinking: true });`;
