import { z } from '@hono/zod-openapi';
import type { ResourceSpec, Row } from '../api/crud.ts';
import { codeSchema } from '../api/schemas.ts';
import type { Queryable } from '../db/storage.ts';
import { invalidField, refuseKeys, timestampSchema } from './field-rules.ts';

export const earTagSchema = z
  .object({
    id: z.string().uuid(),
    branchId: z.string().uuid(),
    herdId: z.string().uuid(),
    tagCode: z.string().openapi({ example: '056000379866048' }),
    boundAt: z.string().openapi({ example: '2026-03-01T10:00:00.000Z' }),
    unboundAt: z.string().nullable(),
  })
  .openapi('EarTag');

const earTagFields = {
  // The same rule as the tagId an ear tag reports over MQTT (iot/eartag/decode.ts).
  tagCode: codeSchema.openapi({ example: '056000379866048' }),
  boundAt: timestampSchema
    .optional()
    .openapi({ description: 'when the tag was put on; now when not given' }),
  unboundAt: timestampSchema
    .nullable()
    .optional()
    .openapi({ description: 'when the tag left the herd; after boundAt' }),
};

const createEarTagSchema = z
  .strictObject({ herdId: z.string().uuid(), ...earTagFields })
  .superRefine((tag, ctx) => {
    const problem = boundProblem(tag.boundAt, tag.unboundAt);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: ['unboundAt'], message: problem });
  })
  .openapi('EarTagCreate');

const updateEarTagSchema = z
  .strictObject(earTagFields, { error: refuseKeys(['herdId']) })
  .partial()
  .openapi('EarTagUpdate');

type CreateEarTag = z.infer<typeof createEarTagSchema>;
type UpdateEarTag = z.infer<typeof updateEarTagSchema>;

/**
 * Ear tags pledged in a herd, in the branch of the herd's farm's borrower. A tag code is unique
 * within a herd only: the same code on two herds is a double pledge for the alerts to find.
 */
export const earTagsSpec: ResourceSpec<CreateEarTag, UpdateEarTag> = {
  singular: 'ear tag',
  plural: 'ear-tags',
  parentName: 'herd',
  outputSchema: earTagSchema,
  createSchema: createEarTagSchema,
  updateSchema: updateEarTagSchema,
  selectSql: `select t.id, b.branch_id, t.herd_id, t.tag_code, t.bound_at, t.unbound_at,
                     f.min_lng, f.min_lat, f.max_lng, f.max_lat, t.tag_code as sort_key
              from ear_tags t
              join herds h on h.id = t.herd_id
              join farms f on f.id = h.farm_id
              join borrowers b on b.id = f.borrower_id`,
  searchColumns: ['tag_code'],
  hasBbox: true,
  filters: { herdId: 'herd_id' },
  roles: { write: 'officer', remove: 'supervisor' },
  toOutput: (row: Row) => ({
    id: row['id'],
    branchId: row['branch_id'],
    herdId: row['herd_id'],
    tagCode: row['tag_code'],
    boundAt: (row['bound_at'] as Date).toISOString(),
    unboundAt: row['unbound_at'] === null ? null : (row['unbound_at'] as Date).toISOString(),
  }),
  branchForCreate: async (tx, input) => {
    const { rows } = await tx.query<{ branch_id: string }>(
      `select b.branch_id from herds h
       join farms f on f.id = h.farm_id
       join borrowers b on b.id = f.borrower_id
       where h.id = $1`,
      [input.herdId],
    );
    return rows[0]?.branch_id ?? null;
  },
  insert: async (tx, input) => {
    const boundAt = input.boundAt ?? new Date().toISOString();
    const problem = boundProblem(boundAt, input.unboundAt);
    if (problem !== null) throw invalidField('unboundAt', problem);
    const { rows } = await tx.query<{ id: string }>(
      `insert into ear_tags (herd_id, tag_code, bound_at, unbound_at)
       values ($1, $2, $3, $4) returning id`,
      [input.herdId, input.tagCode, boundAt, input.unboundAt ?? null],
    );
    return String(rows[0]?.id);
  },
  update: async (tx, id, input) => {
    const tag = { ...(await loadEarTag(tx, id)), ...input };
    const problem = boundProblem(tag.boundAt, tag.unboundAt);
    if (problem !== null) {
      throw invalidField(input.unboundAt === undefined ? 'boundAt' : 'unboundAt', problem);
    }
    await tx.query(
      'update ear_tags set tag_code = $2, bound_at = $3, unbound_at = $4 where id = $1',
      [id, tag.tagCode, tag.boundAt, tag.unboundAt],
    );
  },
  remove: async (tx, id) => {
    await tx.query('delete from ear_tags where id = $1', [id]);
  },
};

async function loadEarTag(
  tx: Queryable,
  id: string,
): Promise<{ tagCode: string; boundAt: string; unboundAt: string | null }> {
  const { rows } = await tx.query<{ tag_code: string; bound_at: Date; unbound_at: Date | null }>(
    'select tag_code, bound_at, unbound_at from ear_tags where id = $1',
    [id],
  );
  const row = rows[0];
  return {
    tagCode: String(row?.tag_code),
    boundAt: row === undefined ? '' : row.bound_at.toISOString(),
    unboundAt: row?.unbound_at?.toISOString() ?? null,
  };
}

/** Timestamps with offsets compare as instants, not as text. */
function boundProblem(
  boundAt: string | undefined,
  unboundAt: string | null | undefined,
): string | null {
  if (boundAt === undefined || unboundAt == null) return null;
  const bound = Date.parse(boundAt);
  const unbound = Date.parse(unboundAt);
  // Malformed timestamps have their own messages.
  return Number.isNaN(bound) || Number.isNaN(unbound) || unbound > bound
    ? null
    : `unboundAt ${unboundAt} must be after boundAt ${boundAt}`;
}
