/**
 * Field rules shared by the resource specs: refinements of the shared schemas, and 400s for the
 * rules only the database can answer (a reference to another row), shaped like a validation failure.
 */
import { z } from '@hono/zod-openapi';
import { dateSchema, moneySchema } from '../api/schemas.ts';
import { InvalidInputError } from '../errors.ts';

/** Only when the format is right: a malformed value gets the format's message alone. */
const whenWellFormed = {
  when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0,
};

export const positiveMoneySchema = moneySchema.refine((v) => /[1-9]/.test(v), {
  message: 'must be greater than 0',
  ...whenWellFormed,
});

/** `YYYY-MM-DD` that is also a real day (no 2026-02-31, which the database would refuse). */
export const calendarDateSchema = dateSchema.refine(isCalendarDate, {
  message: 'is not a calendar date',
  ...whenWellFormed,
});

export const timestampSchema = z.iso
  .datetime({
    offset: true,
    error: 'must be an ISO 8601 timestamp with a time zone, e.g. 2026-03-01T10:00:00Z',
  })
  .openapi({ example: '2026-03-01T10:00:00Z' });

export function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** A 400 naming one body field, with the same details shape as a validation failure. */
export function invalidField(field: string, message: string): InvalidInputError {
  const path = `json.${field}`;
  return new InvalidInputError(`${path}: ${message}`, { details: [{ path, message }] });
}

/**
 * The error map of a strict PATCH body: unknown keys are refused, and the message says which of
 * them may never change (a loan's borrower, a herd's farm).
 *
 * @example z.strictObject(fields, { error: refuseKeys(['borrowerId']) }).partial()
 */
export function refuseKeys(immutable: readonly string[]) {
  return (issue: { code?: string; keys?: readonly string[] }): string | undefined =>
    issue.code === 'unrecognized_keys'
      ? (issue.keys ?? [])
          .map((key) =>
            immutable.includes(key) ? `${key} cannot be changed` : `unknown field ${key}`,
          )
          .join('; ')
      : undefined;
}
