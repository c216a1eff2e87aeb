/** The outcome of decoding untrusted input: a typed value or the reason it was refused. */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export interface DecodeError {
  /** snake_case reason code, stored with the rejected message. */
  readonly code:
    'invalid_payload' | 'missing_field' | 'out_of_range' | 'clock_skew' | 'null_island';
  /** Path of the offending field, e.g. `readings[3].lat`. */
  readonly field: string;
  readonly value: unknown;
  /** Names the field, the value and the rule: `lat 91 out of range [-90, 90]`. */
  readonly message: string;
}
