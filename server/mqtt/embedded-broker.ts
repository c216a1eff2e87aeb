import { readFile } from 'node:fs/promises';
import { createBroker, type RunningBroker } from '../../iot/index.ts';
import { createGatewayAuthenticator, type AuthenticatedGateway } from '../auth/gateway-auth.ts';
import type { Config } from '../config.ts';
import type { Storage } from '../db/storage.ts';
import { UnauthorizedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { GatewayMessageHandler } from './gateway-messages.ts';
import type { IngestBatcher } from './ingest-batcher.ts';
import { mayPublish, maySubscribe } from './gateway-policy.ts';
import {
  alertReaderUsername,
  authenticateAlertReader,
  isAlertReader,
  mayReadAlerts,
  type AlertReader,
} from '../alerts/delivery/index.ts';

/**
 * The embedded broker with the gateway policy: a gateway connects with its code as user name and
 * its secret as password; a QoS 1 message is acknowledged only after its rows are committed.
 */
export async function startEmbeddedBroker(options: {
  config: Config['mqtt'];
  storage: Storage;
  batcher: IngestBatcher;
  handleMessage: GatewayMessageHandler;
  logger: Logger;
}): Promise<RunningBroker> {
  const { config, storage, batcher, handleMessage, logger } = options;
  const authenticateGateway = createGatewayAuthenticator(storage);
  const tls =
    config.tlsKeyFile !== null && config.tlsCertFile !== null
      ? { key: await readFile(config.tlsKeyFile), cert: await readFile(config.tlsCertFile) }
      : undefined;

  // Alert subscribers connect as "apikey" with an API key, read their branch's alert topics only.
  return createBroker<AuthenticatedGateway | AlertReader>({
    tcp: { host: config.host, port: config.port, ...(tls === undefined ? {} : { tls }) },
    ws: { host: config.host, port: config.wsPort },
    logger,
    authenticate: async (_client, username, password) => {
      if (username === undefined || password === undefined) return null;
      if (username === alertReaderUsername) {
        return authenticateAlertReader(storage, password.toString('utf8'));
      }
      try {
        return await authenticateGateway(username, password.toString('utf8'));
      } catch (error) {
        if (error instanceof UnauthorizedError) return null;
        throw error; // the database is down: refuse as "server unavailable", not as bad credentials
      }
    },
    authorizePublish: (gateway, topic) => {
      if (isAlertReader(gateway)) return false;
      const verdict = mayPublish(gateway, topic);
      if (verdict.ok) return true;
      logger.warn('gateway publish refused', {
        gateway: gateway.code,
        topic,
        reason: verdict.reason,
      });
      // Kept with the reason like every refusal; the broker does not hand us the payload here.
      batcher
        .submit({
          readings: [],
          cameraCounts: [],
          rejections: [
            {
              source: 'mqtt',
              topic,
              clientId: gateway.code,
              farmId: gateway.farmId,
              gatewayId: gateway.id,
              payload: null,
              reasonCode: 'not_authorized',
              reason: verdict.reason,
              details: null,
              receivedAt: new Date(),
            },
          ],
        })
        .catch((error: unknown) => logger.error('recording a refused publish failed', { error }));
      return false;
    },
    authorizeSubscribe: (identity, filter) =>
      isAlertReader(identity) ? mayReadAlerts(identity, filter) : maySubscribe(identity, filter),
    handlePublish: (gateway, topic, payload, context) =>
      isAlertReader(gateway)
        ? Promise.reject(new Error('alert readers may not publish'))
        : handleMessage(
            { farmId: gateway.farmId, gatewayId: gateway.id, clientId: context.clientId },
            topic,
            payload,
          ),
  });
}
