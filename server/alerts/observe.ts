import type { Condition, DurationParams, ObservedCondition } from './types.ts';

/** A rule's condition with its context and the minimum durations of its params. */
export function withContext(
  condition: Condition,
  context: ObservedCondition['context'],
  params: DurationParams,
): ObservedCondition {
  return {
    ...condition,
    context,
    raiseAfterMs: params.raiseAfterMs,
    clearAfterMs: params.clearAfterMs,
  };
}
