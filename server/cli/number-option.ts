import { CliUsageError } from './usage-error.ts';

/**
 * A numeric command-line option: `fallback` when absent, else the number if it keeps the rule;
 * otherwise a usage error naming the option, the value and the rule.
 *
 * @example numberOption('0.3', 'test-fraction', 0.3, { min: 0.05, max: 0.9, integer: false })
 */
export function numberOption(
  raw: string | undefined,
  name: string,
  fallback: number,
  rule: { min: number; max: number; integer: boolean },
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (
    raw.trim() === '' ||
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    value < rule.min ||
    value > rule.max
  )
    throw new CliUsageError(
      `--${name} ${JSON.stringify(raw)} must be ${rule.integer ? 'an integer' : 'a number'} in [${rule.min}, ${rule.max}]`,
    );
  return value;
}
