/**
 * The alert engine's public face. The satellite job calls `evaluateParcelConditions`; the service
 * starts everything with `startAlerts`; delivery channels subscribe to the AlertBus.
 */
export { AlertBus } from './alert-bus.ts';
export type { AlertEventListener, AlertEventView } from './alert-bus.ts';
export { AlertEngine } from './engine.ts';
export type { AlertEngineOptions, ApplyResult } from './engine.ts';
export { HerdMonitor } from './herd-monitor.ts';
export { evaluateParcelConditions, parcelConditions } from './parcel-alerts.ts';
export type {
  ParcelDeclaration,
  ParcelObservationSummary,
  SceneRef,
} from './rules/parcel-summary.ts';
export { evaluateLoanCoverage } from './coverage.ts';
export { escalateDueAlerts } from './escalation.ts';
export { acknowledgeAlert, assignAlert, commentAlert, resolveAlert } from './lifecycle.ts';
export { createAlertRoutes, readAlert } from './alerts-routes.ts';
export { checkRuleParams, getRule, rules } from './rules/registry.ts';
export type { RuleDefinition } from './rules/registry.ts';
export { loadRuleSettings, RuleSettings } from './settings.ts';
export type { ScopeChain } from './settings.ts';
export { startAlerts } from './start-alerts.ts';
export type { RunningAlerts } from './start-alerts.ts';
export { withContext } from './observe.ts';
export type {
  AlertContext,
  Condition,
  ObservedCondition,
  ScopeType,
  Severity,
  SubjectType,
} from './types.ts';
