/**
 * `/api/valuation`: the portfolio settings that value collateral, each valid from a date (the
 * row with the latest `validFrom` on or before a day is the one used that day; see
 * `valuation.ts`). Anyone signed in reads them; only admins write them, and every write is in
 * the audit log with its before and after.
 *
 * - `GET /api/valuation`: crop prices, crop yields and livestock values.
 * - `PUT|DELETE /api/valuation/crop-prices/{cropCode}/{validFrom}` `{pricePerTonne, currency}`
 * - `PUT|DELETE /api/valuation/crop-yields/{cropCode}/{validFrom}` `{tonnesPerHa}`
 * - `PUT|DELETE /api/valuation/livestock-values/{species}/{validFrom}` `{valuePerHead, currency}`
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv, Services } from '../app-env.ts';
import { requireRole } from '../api/crud.ts';
import { createApiRouter } from '../api/router.ts';
import { errorResponses } from '../api/schemas.ts';
import { recordAudit } from '../db/audit.ts';
import type { Queryable } from '../db/storage.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { isCalendarDate } from '../resources/field-rules.ts';

/** The species a herd may have (as the herds table checks). */
export const livestockSpecies = ['cattle', 'sheep', 'goat', 'pig', 'horse'] as const;

const MAX_MONEY = 1e12;
/** No crop yields more: sugar beet is about 90 t/ha, the heaviest of the legend's crops. */
const MAX_TONNES_PER_HA = 500;

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

const validFromSchema = z
  .string()
  .refine(isCalendarDate, {
    error: (issue) => `${show(issue.input)} is not a calendar date YYYY-MM-DD`,
  })
  .openapi({ param: { name: 'validFrom', in: 'path' }, example: '2024-01-01' });

const cropCodeSchema = z.coerce
  .number({ error: (issue) => `${show(issue.input)} is not a crop type code` })
  .int({ error: (issue) => `${show(issue.input)} is not a crop type code (a whole number)` })
  .openapi({ param: { name: 'cropCode', in: 'path' }, example: 1110 });

const speciesSchema = z
  .enum(livestockSpecies, {
    error: (issue) =>
      `${show(issue.input)} is not a species: must be one of ${livestockSpecies.join(', ')}`,
  })
  .openapi({ param: { name: 'species', in: 'path' }, example: 'cattle' });

const amount = (what: string, max: number, example: number) =>
  z
    .number({ error: (issue) => `${show(issue.input)} is not a number (${what})` })
    .min(0, { error: (issue) => `${show(issue.input)} must be >= 0: ${what} cannot be negative` })
    .max(max, { error: (issue) => `${show(issue.input)} must be <= ${max} (${what})` })
    .openapi({ example });

const currencySchema = z
  .string({ error: (issue) => `${show(issue.input)} is not a currency code` })
  .regex(/^[A-Z]{3}$/, {
    error: (issue) => `${show(issue.input)} is not a currency: three capital letters (ISO 4217)`,
  })
  .openapi({ example: 'EUR' });

const cropPriceSchema = z
  .object({
    cropCode: z.number().int(),
    cropName: z.string(),
    validFrom: z.string(),
    pricePerTonne: z.number(),
    currency: z.string(),
  })
  .openapi('CropPrice');
const cropYieldSchema = z
  .object({
    cropCode: z.number().int(),
    cropName: z.string(),
    validFrom: z.string(),
    tonnesPerHa: z.number(),
  })
  .openapi('CropYield');
const livestockValueSchema = z
  .object({
    species: z.string(),
    validFrom: z.string(),
    valuePerHead: z.number(),
    currency: z.string(),
  })
  .openapi('LivestockValue');

const valuationSchema = z
  .object({
    cropPrices: z.array(cropPriceSchema),
    cropYields: z.array(cropYieldSchema),
    livestockValues: z.array(livestockValueSchema),
  })
  .openapi('ValuationSettings');

type Row = Record<string, unknown>;

/** One dated-settings table: its key column, value columns and how a row looks in the API. */
interface SettingTable {
  readonly path: string;
  readonly table: 'crop_prices' | 'crop_yields' | 'livestock_values';
  readonly singular: string;
  readonly keyParam: 'cropCode' | 'species';
  readonly keyColumn: 'crop_code' | 'species';
  readonly keySchema: z.ZodType<number | string>;
  readonly bodySchema: z.ZodType<Record<string, number | string>>;
  readonly outputSchema: z.ZodType;
  /** body field -> column */
  readonly columns: Readonly<Record<string, string>>;
  readonly select: string;
  toOutput(row: Row): Record<string, unknown>;
}

const cropJoin = (table: string) =>
  `select t.*, t.valid_from::text as valid_from_text, ct.name as crop_name
     from ${table} t join crop_types ct on ct.code = t.crop_code`;

const tables: readonly SettingTable[] = [
  {
    path: 'crop-prices',
    table: 'crop_prices',
    singular: 'crop price',
    keyParam: 'cropCode',
    keyColumn: 'crop_code',
    keySchema: cropCodeSchema,
    bodySchema: z.strictObject({
      pricePerTonne: amount('a price per tonne', MAX_MONEY, 200),
      currency: currencySchema,
    }),
    outputSchema: cropPriceSchema,
    columns: { pricePerTonne: 'price_per_tonne', currency: 'currency' },
    select: cropJoin('crop_prices'),
    toOutput: (r) => ({
      cropCode: Number(r['crop_code']),
      cropName: String(r['crop_name']),
      validFrom: String(r['valid_from_text']),
      pricePerTonne: Number(r['price_per_tonne']),
      currency: String(r['currency']),
    }),
  },
  {
    path: 'crop-yields',
    table: 'crop_yields',
    singular: 'crop yield',
    keyParam: 'cropCode',
    keyColumn: 'crop_code',
    keySchema: cropCodeSchema,
    bodySchema: z.strictObject({
      tonnesPerHa: amount('a yield in t/ha', MAX_TONNES_PER_HA, 8),
    }),
    outputSchema: cropYieldSchema,
    columns: { tonnesPerHa: 'tonnes_per_ha' },
    select: cropJoin('crop_yields'),
    toOutput: (r) => ({
      cropCode: Number(r['crop_code']),
      cropName: String(r['crop_name']),
      validFrom: String(r['valid_from_text']),
      tonnesPerHa: Number(r['tonnes_per_ha']),
    }),
  },
  {
    path: 'livestock-values',
    table: 'livestock_values',
    singular: 'livestock value',
    keyParam: 'species',
    keyColumn: 'species',
    keySchema: speciesSchema,
    bodySchema: z.strictObject({
      valuePerHead: amount('a value per head', MAX_MONEY, 1750),
      currency: currencySchema,
    }),
    outputSchema: livestockValueSchema,
    columns: { valuePerHead: 'value_per_head', currency: 'currency' },
    select: `select t.*, t.valid_from::text as valid_from_text from livestock_values t`,
    toOutput: (r) => ({
      species: String(r['species']),
      validFrom: String(r['valid_from_text']),
      valuePerHead: Number(r['value_per_head']),
      currency: String(r['currency']),
    }),
  },
];

export function createValuationRoutes(services: Services): OpenAPIHono<AppEnv> {
  const app = createApiRouter();
  const db = services.storage;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['valuation'],
      summary: 'Crop prices, crop yields and livestock values, each valid from a date',
      responses: {
        200: {
          description: 'all dated valuation settings, by key and date',
          content: { 'application/json': { schema: valuationSchema } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const [cropPrices, cropYields, livestockValues] = await Promise.all(
        tables.map(async (t) =>
          (await db.query<Row>(`${t.select} order by t.${t.keyColumn}, t.valid_from`)).rows.map(
            (r) => t.toOutput(r),
          ),
        ),
      );
      return c.json(
        {
          cropPrices: cropPrices ?? [],
          cropYields: cropYields ?? [],
          livestockValues: livestockValues ?? [],
        } as z.infer<typeof valuationSchema>,
        200,
      );
    },
  );

  for (const t of tables) {
    const params = z.object({ [t.keyParam]: t.keySchema, validFrom: validFromSchema });
    const path = `/${t.path}/{${t.keyParam}}/{validFrom}`;

    app.openapi(
      createRoute({
        method: 'put',
        path,
        tags: ['valuation'],
        summary: `Set the ${t.singular} valid from a date (admins)`,
        request: {
          params,
          body: { content: { 'application/json': { schema: t.bodySchema } }, required: true },
        },
        responses: {
          200: {
            description: `the ${t.singular} as stored`,
            content: { 'application/json': { schema: t.outputSchema } },
          },
          ...errorResponses,
        },
      }),
      async (c) => {
        const principal = c.get('principal');
        requireRole(principal, 'admin', `change ${t.singular}s`);
        const { key, validFrom } = keyOf(c.req.valid('param'), t);
        const body = c.req.valid('json');
        const after = await db.transaction(async (tx) => {
          if (t.keyParam === 'cropCode') await requireCropType(tx, Number(key));
          const before = await readOne(tx, t, key, validFrom);
          const fields = Object.entries(t.columns);
          const columns = [t.keyColumn, 'valid_from', ...fields.map(([, column]) => column)];
          await tx.query(
            `insert into ${t.table} (${columns.join(', ')})
             values (${columns.map((_, i) => `$${i + 1}`).join(', ')})
             on conflict (${t.keyColumn}, valid_from) do update set
               ${fields.map(([, column]) => `${column} = excluded.${column}`).join(', ')}`,
            [key, validFrom, ...fields.map(([field]) => body[field] ?? null)],
          );
          const stored = await readOne(tx, t, key, validFrom);
          await recordAudit(tx, {
            ...auditOf(c, t, key, validFrom),
            action: before === null ? 'create' : 'update',
            before,
            after: stored,
          });
          return stored;
        });
        return c.json(after as object, 200);
      },
    );

    app.openapi(
      createRoute({
        method: 'delete',
        path,
        tags: ['valuation'],
        summary: `Remove the ${t.singular} valid from a date (admins)`,
        request: { params },
        responses: { 204: { description: 'removed' }, ...errorResponses },
      }),
      async (c) => {
        requireRole(c.get('principal'), 'admin', `change ${t.singular}s`);
        const { key, validFrom } = keyOf(c.req.valid('param'), t);
        await db.transaction(async (tx) => {
          const before = await readOne(tx, t, key, validFrom);
          if (before === null) throw new NotFoundError(t.singular, `${key}/${validFrom}`);
          await tx.query(`delete from ${t.table} where ${t.keyColumn} = $1 and valid_from = $2`, [
            key,
            validFrom,
          ]);
          await recordAudit(tx, {
            ...auditOf(c, t, key, validFrom),
            action: 'delete',
            before,
            after: null,
          });
        });
        return c.body(null, 204);
      },
    );
  }
  return app;
}

function keyOf(
  params: Record<string, unknown>,
  t: SettingTable,
): { key: string | number; validFrom: string } {
  return { key: params[t.keyParam] as string | number, validFrom: String(params['validFrom']) };
}

async function readOne(
  db: Queryable,
  t: SettingTable,
  key: string | number,
  validFrom: string,
): Promise<Record<string, unknown> | null> {
  const { rows } = await db.query<Row>(
    `${t.select} where t.${t.keyColumn} = $1 and t.valid_from = $2`,
    [key, validFrom],
  );
  return rows[0] === undefined ? null : t.toOutput(rows[0]);
}

async function requireCropType(db: Queryable, cropCode: number): Promise<void> {
  const { rows } = await db.query('select 1 from crop_types where code = $1', [cropCode]);
  if (rows.length === 0) {
    const message = `${cropCode} is not a known crop type code (see the WorldCereal legend in crop_types)`;
    throw new InvalidInputError(`param.cropCode: ${message}`, {
      details: [{ path: 'param.cropCode', message }],
    });
  }
}

function auditOf(c: Context<AppEnv>, t: SettingTable, key: string | number, validFrom: string) {
  return {
    principal: c.get('principal'),
    entityType: t.table,
    entityId: `${key}/${validFrom}`,
    branchId: null,
    requestId: c.get('requestId'),
  };
}
