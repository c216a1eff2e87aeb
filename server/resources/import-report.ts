import { z } from '@hono/zod-openapi';
import { fieldProblemSchema, type FieldProblem } from '../api/geometry-input.ts';

/** What became of one feature of an import. */
export interface ImportResult {
  /** 0-based position in `features`. */
  index: number;
  /** The new item's id; only when written (not on a dry run, never for a rejected feature). */
  id?: string;
  code: string | null;
  status: 'accepted' | 'rejected';
  /** Why it was rejected; empty when accepted. */
  problems: FieldProblem[];
  /** Stored anyway, but worth a look (a parcel outside the farm boundary). */
  warnings: FieldProblem[];
  /** What was corrected in the geometry before it was stored (rewinding, repeated positions). */
  fixes: string[];
}

export interface ImportReport {
  dryRun: boolean;
  totals: { features: number; accepted: number; rejected: number };
  results: ImportResult[];
}

export const importReportSchema = z
  .object({
    dryRun: z.boolean().openapi({ description: 'true: validated only, nothing written' }),
    totals: z.object({
      features: z.number().int(),
      accepted: z.number().int(),
      rejected: z.number().int(),
    }),
    results: z.array(
      z
        .object({
          index: z.number().int(),
          id: z.string().uuid().optional(),
          code: z.string().nullable(),
          status: z.enum(['accepted', 'rejected']),
          problems: z.array(fieldProblemSchema),
          warnings: z.array(fieldProblemSchema),
          fixes: z.array(z.string()),
        })
        .openapi('ImportResult'),
    ),
  })
  .openapi('ImportReport');

export function rejected(
  index: number,
  code: string | null,
  problems: FieldProblem[],
): ImportResult {
  return { index, code, status: 'rejected', problems, warnings: [], fixes: [] };
}

export function reportOf(results: ImportResult[], dryRun: boolean): ImportReport {
  const accepted = results.filter((r) => r.status === 'accepted').length;
  return {
    dryRun,
    totals: { features: results.length, accepted, rejected: results.length - accepted },
    results,
  };
}
