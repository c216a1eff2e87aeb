/**
 * `/api/tiles`: the classified crops and the latest clear NDVI of the caller's parcels as 256 px
 * PNG map tiles in Web Mercator (XYZ numbering, as OpenLayers' `XYZ` source asks for them):
 * `GET /api/tiles/{layer}/{z}/{x}/{y}.png` with layer `crop` or `ndvi`, transparent where there is
 * nothing; `GET /api/tiles/crop/legend` and `/api/tiles/ndvi/legend` say what the colours mean. Like the rest of /api it
 * needs a session or an API key (the map's cookie goes with same-origin image requests); the tile
 * route is not in the OpenAPI document (an image, not JSON).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Services } from '../app-env.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses } from '../api/schemas.ts';
import { branchScope } from '../auth/principal.ts';
import { InvalidInputError } from '../errors.ts';
import { renderTile, type TileLayer } from './render-tile.ts';
import { NDVI_STOPS, cropColour, paletteCropCodes, toHex } from './tile-colors.ts';

const layers = ['crop', 'ndvi'] as const;
const MAX_ZOOM = 22;

const legendSchema = z
  .object({
    layer: z.enum(layers),
    description: z.string(),
    entries: z.array(
      z.object({
        label: z.string(),
        colour: z.string().openapi({ example: '#f0e442' }),
        cropCode: z.number().optional(),
        ndvi: z.number().optional(),
      }),
    ),
  })
  .openapi('TileLegend');

export function createTileRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  // One documented path per layer (a fixed path: nothing of a branch to reach by id).
  for (const layer of layers) {
    app.openapi(
      createRoute({
        method: 'get',
        path: `/${layer}/legend`,
        tags: ['tiles'],
        summary: `What the colours of the ${layer} map tiles mean`,
        responses: {
          200: {
            description: 'the legend',
            content: { 'application/json': { schema: legendSchema } },
          },
          ...errorResponses,
        },
      }),
      async (c) => c.json(await legendOf(services, layer), 200),
    );
  }
  // An image: a plain route, outside the OpenAPI document.
  app.get('/:layer/:z/:x/:file', async (c) => {
    const { layer, z: zText, x: xText, file } = c.req.param();
    const match = /^(\d+)\.png$/.exec(file);
    if (!(layers as readonly string[]).includes(layer)) {
      throw new InvalidInputError(`path.layer ${JSON.stringify(layer)} must be one of crop, ndvi`);
    }
    const z = Number(zText);
    const x = Number(xText);
    const y = Number(match?.[1] ?? Number.NaN);
    if (!Number.isInteger(z) || z < 0 || z > MAX_ZOOM || !/^\d+$/.test(zText)) {
      throw new InvalidInputError(
        `path.z ${JSON.stringify(zText)} must be an integer 0-${MAX_ZOOM}`,
      );
    }
    const n = 2 ** z;
    if (!/^\d+$/.test(xText) || x >= n || match === null || y >= n) {
      throw new InvalidInputError(
        `tile ${z}/${xText}/${file}: x and y must be integers 0-${n - 1}, as {y}.png`,
      );
    }
    const png = await renderTile(
      services.storage,
      layer as TileLayer,
      z,
      x,
      y,
      branchScope(c.get('principal')),
    );
    return c.body(new Uint8Array(png), 200, {
      'content-type': 'image/png',
      'cache-control': 'private, max-age=300',
    });
  });
  return app;
}

async function legendOf(
  services: Services,
  layer: (typeof layers)[number],
): Promise<z.infer<typeof legendSchema>> {
  if (layer === 'ndvi') {
    return {
      layer,
      description:
        'NDVI of each 10 m pixel on its latest clear date: bare soil brown, dense canopy dark green',
      entries: NDVI_STOPS.map((stop) => ({
        label: `NDVI ${stop.ndvi}`,
        colour: toHex(stop.colour),
        ndvi: stop.ndvi,
      })),
    };
  }
  const { rows } = await services.storage.query<{ code: number; name: string }>(
    `select code, name from crop_types where code = any($1::int[]) order by code`,
    [[...paletteCropCodes]],
  );
  return {
    layer,
    description:
      'Crop predicted for each classified 10 m pixel (the inner pixels of each parcel); other crop codes get a colour derived from the code',
    entries: rows.map((row) => ({
      label: `${row.code} ${row.name}`,
      colour: toHex(cropColour(Number(row.code)) ?? [0, 0, 0, 0]),
      cropCode: Number(row.code),
    })),
  };
}
