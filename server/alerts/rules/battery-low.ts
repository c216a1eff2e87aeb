import type { Condition, DurationParams } from '../types.ts';

export interface BatteryInput {
  readonly earTagId: string;
  readonly tagCode: string;
  readonly batteryPct: number;
  readonly observedAt: string;
}

export interface BatteryParams extends DurationParams {
  /** Below this percentage the battery is low (info). */
  readonly batteryLowPct: number;
  /** Below this percentage the tag is about to go dark (warning). */
  readonly batteryCriticalPct: number;
}

export const batteryDefaults: BatteryParams = {
  batteryLowPct: 15,
  batteryCriticalPct: 5,
  raiseAfterMs: 0,
  clearAfterMs: 60 * 60_000,
};

/** Battery low: `batteryPct < batteryLowPct` (info); `< batteryCriticalPct` is a warning. */
export function evaluateBattery(input: BatteryInput, params: BatteryParams): Condition {
  const worse = input.batteryPct < params.batteryCriticalPct;
  return {
    kind: 'battery_low',
    subjectType: 'ear_tag',
    subjectId: input.earTagId,
    active: input.batteryPct < params.batteryLowPct,
    severity: worse ? 'warning' : 'info',
    title: `Tag ${input.tagCode}: battery ${input.batteryPct} %`,
    evidence: {
      tagCode: input.tagCode,
      batteryPct: input.batteryPct,
      reading: { tagCode: input.tagCode, observedAt: input.observedAt },
      batteryLowPct: params.batteryLowPct,
    },
    evidenceKey: worse ? 'critical' : 'low',
  };
}
