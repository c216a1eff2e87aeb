import os from 'node:os';
import {
  connectServiceClient,
  matchTopic,
  serviceSubscriptions,
  type ServiceClient,
} from '../../iot/index.ts';
import type { Config } from '../config.ts';
import type { Storage } from '../db/storage.ts';
import type { Logger } from '../logger.ts';
import type { GatewayMessageHandler } from './gateway-messages.ts';
import type { IngestBatcher } from './ingest-batcher.ts';

/**
 * Consumes from an external broker (MQTT_URL) through an MQTT 5 shared subscription, so several
 * service instances split the messages. That broker authenticates the gateways and enforces their
 * topic ACL; here a message's farm is the one its topic names. A message is acknowledged only after
 * its rows are committed: unacknowledged ones stay in the broker's session and come again.
 */
export async function connectExternalBroker(options: {
  config: Config['mqtt'] & { url: string };
  storage: Storage;
  batcher: IngestBatcher;
  handleMessage: GatewayMessageHandler;
  logger: Logger;
}): Promise<ServiceClient> {
  const { config, storage, batcher, handleMessage, logger } = options;
  const url = new URL(config.url);
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  const farmIds = new Map<string, string>();

  async function farmIdFor(code: string): Promise<string | null> {
    const known = farmIds.get(code);
    if (known !== undefined) return known;
    const { rows } = await storage.query<{ id: string }>('select id from farms where code = $1', [
      code,
    ]);
    if (rows[0] !== undefined) farmIds.set(code, rows[0].id);
    return rows[0]?.id ?? null;
  }

  return connectServiceClient({
    url: url.toString(),
    clientId: config.clientId ?? `pledgewatch-${os.hostname()}`,
    ...(username === '' ? {} : { username }),
    ...(password === '' ? {} : { password }),
    sharedGroup: config.sharedGroup,
    subscriptions: serviceSubscriptions,
    logger,
    handleMessage: async (topic, payload) => {
      const match = matchTopic(topic);
      const farmId = match === null ? null : await farmIdFor(match.farmId);
      if (farmId === null) {
        // Kept with its reason; a farm we do not know has no row to hang readings on.
        await batcher.submit({
          readings: [],
          cameraCounts: [],
          rejections: [
            {
              source: 'mqtt',
              topic,
              clientId: null,
              farmId: null,
              gatewayId: null,
              payload,
              reasonCode: match === null ? 'unknown_topic' : 'unknown_farm',
              reason:
                match === null
                  ? `topic ${topic} is not one of PledgeWatch's topics`
                  : `farm ${match.farmId} is not in the portfolio`,
              details: null,
              receivedAt: new Date(),
            },
          ],
        });
        return;
      }
      await handleMessage({ farmId, gatewayId: null, clientId: 'external' }, topic, payload);
    },
  });
}
