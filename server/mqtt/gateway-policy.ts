import { matchTopic, topicDirection, topicFor } from '../../iot/index.ts';
import type { AuthenticatedGateway } from '../auth/gateway-auth.ts';

/**
 * What a gateway may do on the broker: publish only on its own farm's uplink topics (and its own
 * status topic), subscribe only to its own command topic. Pure, so it is tested on its own.
 */
export function mayPublish(
  gateway: AuthenticatedGateway,
  topic: string,
): { ok: true } | { ok: false; reason: string } {
  const match = matchTopic(topic);
  if (match === null)
    return { ok: false, reason: `topic ${topic} is not one of PledgeWatch's topics` };
  if (topicDirection(match.kind) !== 'uplink') {
    return { ok: false, reason: `topic ${topic} is for the service to publish, not gateways` };
  }
  if (match.farmId !== gateway.farmCode) {
    return {
      ok: false,
      reason: `gateway ${gateway.code} belongs to farm ${gateway.farmCode} and may not publish for farm ${match.farmId}`,
    };
  }
  if (match.kind === 'gateway_status' && match.gatewayId !== gateway.code) {
    return {
      ok: false,
      reason: `gateway ${gateway.code} may not publish the status of gateway ${match.gatewayId}`,
    };
  }
  return { ok: true };
}

export function maySubscribe(gateway: AuthenticatedGateway, filter: string): boolean {
  return filter === topicFor.gatewayCommands(gateway.farmCode, gateway.code);
}
