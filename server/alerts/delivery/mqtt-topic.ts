/**
 * The MQTT topic of an alert: `pledgewatch/alerts/{branchCode}/{farmCode}`, or
 * `pledgewatch/alerts/{branchCode}/_` for an alert on no farm (a loan's coverage, say). Farm codes
 * start with a letter or digit, so `_` never names a farm.
 *
 * @example alertTopic('KRT', 'F-KRT-01') // 'pledgewatch/alerts/KRT/F-KRT-01'
 */
export function alertTopic(branchCode: string, farmCode: string | null): string {
  return `${alertTopicPrefix}/${branchCode}/${farmCode ?? noFarmSegment}`;
}

export const alertTopicPrefix = 'pledgewatch/alerts';
export const noFarmSegment = '_';

/**
 * The topic filter an MQTT subscriber of a subscription listens on: one farm's topic for a farm
 * scope, otherwise every topic of the branch (`pledgewatch/alerts/KRT/+`).
 */
export function subscriptionTopicFilter(branchCode: string, farmCode: string | null): string {
  return `${alertTopicPrefix}/${branchCode}/${farmCode ?? '+'}`;
}
