import { z } from '@hono/zod-openapi';
import { InvalidInputError } from '../errors.ts';

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50).openapi({ example: 50 }),
  cursor: z.string().optional().openapi({ description: 'nextCursor of the previous page' }),
  q: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'text search (case-insensitive substring)' }),
  bbox: z.string().optional().openapi({
    description: 'minLng,minLat,maxLng,maxLat: items whose extent meets this box',
    example: '3.0,50.8,3.1,50.9',
  }),
});

export type ListQuery = z.infer<typeof listQuerySchema>;

/** Keyset cursor: the sort value and id of the last item of a page, opaque to clients. */
export function encodeCursor(sortValue: string, id: string): string {
  return Buffer.from(JSON.stringify([sortValue, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { sortValue: string; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      parsed.every((v) => typeof v === 'string')
    ) {
      return { sortValue: parsed[0] as string, id: parsed[1] as string };
    }
  } catch {
    // fall through to the error below: a cursor we did not make
  }
  throw new InvalidInputError(
    `query.cursor ${JSON.stringify(cursor)} is not a cursor this API issued`,
  );
}

export function parseBbox(text: string): [number, number, number, number] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  const [minLng, minLat, maxLng, maxLat] = parts;
  if (
    parts.length !== 4 ||
    minLng === undefined ||
    minLat === undefined ||
    maxLng === undefined ||
    maxLat === undefined ||
    parts.some((p) => !Number.isFinite(p)) ||
    minLng > maxLng ||
    minLat > maxLat ||
    minLng < -180 ||
    maxLng > 180 ||
    minLat < -90 ||
    maxLat > 90
  ) {
    throw new InvalidInputError(
      `query.bbox ${JSON.stringify(text)} must be minLng,minLat,maxLng,maxLat within [-180, 180] x [-90, 90] with min <= max`,
    );
  }
  return [minLng, minLat, maxLng, maxLat];
}

/** Escapes LIKE wildcards so a search for "50%" means the text "50%". */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
