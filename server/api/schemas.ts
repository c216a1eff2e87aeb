import { z } from '@hono/zod-openapi';

export const idParamSchema = z.object({
  id: z
    .string()
    .uuid()
    .openapi({
      param: { name: 'id', in: 'path' },
      example: '3f1c2a9e-6a43-4d7e-9a38-2f0b6f4c1d20',
    }),
});

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_input' }),
      message: z.string().openapi({ example: 'body.amount: Too small: expected number to be >0' }),
      details: z.unknown().optional(),
      requestId: z.string().nullable(),
    }),
  })
  .openapi('Error');

const errorContent = { 'application/json': { schema: errorSchema } };

/** The error answers every API route may give. */
export const errorResponses = {
  400: { description: 'invalid input: every problem with its field path', content: errorContent },
  401: { description: 'not signed in, or the API key was refused', content: errorContent },
  403: { description: 'the role may not do this', content: errorContent },
  404: { description: 'no such item in the caller’s branch', content: errorContent },
  409: { description: 'conflicts with existing data', content: errorContent },
  413: { description: 'request body too large', content: errorContent },
} as const;

/** A GeoJSON Polygon or MultiPolygon in WGS84 [lng, lat]; checked in depth by geo's validator. */
export const polygonalGeometrySchema = z
  .object({
    type: z.enum(['Polygon', 'MultiPolygon']),
    coordinates: z.array(z.unknown()),
  })
  .openapi('PolygonalGeometry', {
    example: {
      type: 'Polygon',
      coordinates: [
        [
          [3.02, 50.81],
          [3.03, 50.81],
          [3.03, 50.82],
          [3.02, 50.82],
          [3.02, 50.81],
        ],
      ],
    },
  });

export const moneySchema = z
  .string()
  .regex(
    /^\d{1,16}(\.\d{1,2})?$/,
    'must be a decimal amount with at most 2 decimals, e.g. "250000.00"',
  )
  .openapi({ example: '250000.00' });

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
  .openapi({ example: 'EUR' });

export const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .openapi({ example: '2026-03-01' });

export const codeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    'must be letters, digits and . _ : - starting with a letter or digit',
  );
