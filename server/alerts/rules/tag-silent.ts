import type { Condition, DurationParams } from '../types.ts';

export interface TagSilentInput {
  readonly earTagId: string;
  readonly tagCode: string;
  readonly herdCode: string;
  readonly now: Date;
  /** Latest valid fix, or null when the tag never reported. */
  readonly lastSeenAt: Date | null;
  /** When the tag was bound to the herd: silence of a tag that never spoke counts from here. */
  readonly boundAt: Date;
}

export interface TagSilentParams extends DurationParams {
  /** Silence timeout in ms (per herd or per device). */
  readonly silenceMs: number;
  /** Silent this long (ms) is critical. */
  readonly criticalAfterMs: number;
}

export const tagSilentDefaults: TagSilentParams = {
  silenceMs: 6 * 60 * 60_000,
  criticalAfterMs: 48 * 60 * 60_000,
  raiseAfterMs: 0,
  clearAfterMs: 0,
};

/** Tag silent: no fix for more than `silenceMs` (strictly); critical past `criticalAfterMs`. */
export function evaluateTagSilent(input: TagSilentInput, params: TagSilentParams): Condition {
  const from = input.lastSeenAt ?? input.boundAt;
  const silentForMs = input.now.getTime() - from.getTime();
  const active = silentForMs > params.silenceMs;
  return {
    kind: 'tag_silent',
    subjectType: 'ear_tag',
    subjectId: input.earTagId,
    active,
    severity: silentForMs >= params.criticalAfterMs ? 'critical' : 'warning',
    title: `Tag ${input.tagCode} (herd ${input.herdCode}) silent`,
    evidence: {
      tagCode: input.tagCode,
      lastSeenAt: input.lastSeenAt?.toISOString() ?? null,
      silentForMs,
      silenceMs: params.silenceMs,
      at: input.now.toISOString(),
    },
    evidenceKey: input.lastSeenAt?.toISOString() ?? 'never',
  };
}
