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
  /**
   * Lookups under way, by farm code: the messages that arrive meanwhile wait for the same query.
   * (Without it, the first burst after a start sent one query per message of a farm not yet
   * known: close to a thousand in the ingest bench's first measurement, holding every pooled
   * connection meanwhile.)
   */
  const farmLookups = new Map<string, Promise<string | null>>();

  function farmIdFor(code: string): Promise<string | null> | string {
    const known = farmIds.get(code);
    if (known !== undefined) return known;
    let lookup = farmLookups.get(code);
    if (lookup === undefined) {
      lookup = storage
        .query<{ id: string }>('select id from farms where code = $1', [code])
        .then(({ rows }) => {
          // Unknown farms are not cached: one may be added a minute later.
          if (rows[0] !== undefined) farmIds.set(code, rows[0].id);
          return rows[0]?.id ?? null;
        })
        .finally(() => farmLookups.delete(code));
      farmLookups.set(code, lookup);
    }
    return lookup;
  }

  /** Kept with its reason; a farm we do not know has no row to hang readings on. */
  function refuseUnknown(
    topic: string,
    payload: Buffer,
    match: ReturnType<typeof matchTopic>,
  ): Promise<void> {
    return batcher.submit({
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
  }

  function handleFor(
    match: ReturnType<typeof matchTopic>,
    farmId: string | null,
    topic: string,
    payload: Buffer,
  ): Promise<void> {
    if (farmId === null) return refuseUnknown(topic, payload, match);
    return handleMessage({ farmId, gatewayId: null, clientId: 'external' }, topic, payload);
  }

  return connectServiceClient({
    url: url.toString(),
    clientId: config.clientId ?? `pledgewatch-${os.hostname()}`,
    ...(username === '' ? {} : { username }),
    ...(password === '' ? {} : { password }),
    sharedGroup: config.sharedGroup,
    maxInFlight: config.maxInFlight,
    subscriptions: serviceSubscriptions,
    logger,
    handleMessage: (topic, payload) => {
      const match = matchTopic(topic);
      const farmId = match === null ? null : farmIdFor(match.farmId);
      // A known farm is answered at once, without a turn of the event loop.
      return typeof farmId === 'string' || farmId === null
        ? handleFor(match, farmId, topic, payload)
        : farmId.then((id) => handleFor(match, id, topic, payload));
    },
  });
}
