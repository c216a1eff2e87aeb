import type { Condition, DurationParams } from '../types.ts';

export interface TemperatureInput {
  readonly earTagId: string;
  readonly tagCode: string;
  readonly temperatureC: number;
  readonly observedAt: string;
}

export interface TemperatureParams extends DurationParams {
  /** Normal range in °C, bounds inclusive as normal. */
  readonly minC: number;
  readonly maxC: number;
  /** This many °C beyond a bound is critical. */
  readonly criticalDeltaC: number;
}

export const temperatureDefaults: TemperatureParams = {
  minC: 37.5,
  maxC: 40.5,
  criticalDeltaC: 1.5,
  raiseAfterMs: 10 * 60_000,
  clearAfterMs: 30 * 60_000,
};

/** Temperature out of range: outside `[minC, maxC]` (warning); `criticalDeltaC` beyond: critical. */
export function evaluateTemperature(input: TemperatureInput, params: TemperatureParams): Condition {
  const t = input.temperatureC;
  const beyondC = t < params.minC ? params.minC - t : t > params.maxC ? t - params.maxC : 0;
  const critical = beyondC >= params.criticalDeltaC;
  return {
    kind: 'temperature_out_of_range',
    subjectType: 'ear_tag',
    subjectId: input.earTagId,
    active: beyondC > 0,
    severity: critical ? 'critical' : 'warning',
    title: `Tag ${input.tagCode}: temperature ${t} °C ${t < params.minC ? 'below' : 'above'} normal`,
    evidence: {
      tagCode: input.tagCode,
      temperatureC: t,
      range: { minC: params.minC, maxC: params.maxC },
      reading: { tagCode: input.tagCode, observedAt: input.observedAt },
    },
    evidenceKey: `${t < params.minC ? 'low' : 'high'}|${critical ? 'critical' : 'warning'}`,
  };
}
