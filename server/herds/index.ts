export {
  computeHerdState,
  DEFAULT_BATTERY_LOW_PCT,
  DEFAULT_FRESHNESS_MS,
  DEFAULT_MARGIN_M,
  DEFAULT_SILENCE_MS,
  DEFAULT_TEMPERATURE_RANGE_C,
} from './herd-state.ts';
export type { Fix, HerdState, HerdStateOptions, OtherPledge } from './herd-state.ts';
export { createHerdStateRoutes } from './herd-state-routes.ts';
export type { HerdStateView } from './herd-state-routes.ts';
