/**
 * The wait before the next try of a delivery after `attempts` failed tries: exponential backoff
 * with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015): a uniform
 * random time in [0, min(maxMs, baseMs * 2^(attempts-1))].
 *
 * @example computeBackoffMs(3, { baseMs: 1000, maxMs: 60_000 }, () => 0.5) // 2000
 */
export function computeBackoffMs(
  attempts: number,
  options: { baseMs: number; maxMs: number },
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 52);
  const ceilingMs = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return Math.floor(random() * ceilingMs);
}
