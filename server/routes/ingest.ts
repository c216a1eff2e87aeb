import { Hono, type Context } from 'hono';
import type { AppEnv, Services } from '../app-env.ts';
import { createGatewayAuthenticator, parseBasicAuth } from '../auth/gateway-auth.ts';
import { recordRejections } from '../db/rejected-messages.ts';
import { AppError, InvalidInputError, UnauthorizedError, errorMessage } from '../errors.ts';
import { ingestTagReadings } from '../readings/ingest-tag-readings.ts';

const topic = 'POST /api/ingest/tag-readings';

/**
 * `POST /api/ingest/tag-readings`: a gateway's batch of ear-tag readings over HTTP, for gateways
 * that cannot speak MQTT. A 200 answer means every accepted reading and every rejection is
 * committed; a gateway that gets no answer sends the batch again, and duplicates are ignored.
 * After the commit the readings go to `services.onReadingsCommitted` (the alert engine's herd
 * monitor), as committed MQTT readings do, so geofence, battery and temperature alerts see both.
 */
export function createIngestRoutes(services: Services): Hono<AppEnv> {
  const authenticate = createGatewayAuthenticator(services.storage);
  const { maxReadingsPerRequest } = services.config.ingest;

  return new Hono<AppEnv>().post('/tag-readings', async (c) => {
    const receivedAt = new Date();
    const credentials = parseBasicAuth(c.req.header('authorization'));
    const gateway = await authenticate(credentials.user, credentials.secret).catch(
      (error: unknown) => {
        // Only a refusal is worth a warning; a database failure is logged by the error handler.
        if (error instanceof UnauthorizedError) {
          services.logger.warn('gateway refused', {
            gateway: credentials.user,
            requestId: c.get('requestId'),
          });
        }
        throw error;
      },
    );

    const raw = await c.req.text();
    const refuse = async (error: AppError): Promise<never> => {
      // The whole request is refused: keep it, with the reason, before answering.
      await recordRejections(services.storage, [
        {
          source: 'http',
          topic,
          clientId: gateway.code,
          farmId: gateway.farmId,
          gatewayId: gateway.id,
          payload: Buffer.from(raw),
          reasonCode: 'invalid_payload',
          reason: error.message,
          details: null,
          receivedAt,
        },
      ]);
      throw error;
    };

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      return refuse(
        new InvalidInputError(`body is not valid JSON: ${(error as Error).message}`, {
          cause: error,
        }),
      );
    }
    const items = (body as { readings?: unknown } | null)?.readings;
    if (!Array.isArray(items) || items.length === 0 || items.length > maxReadingsPerRequest) {
      return refuse(
        new InvalidInputError(
          `readings must be an array of 1-${maxReadingsPerRequest} readings, got ${describe(items)}`,
        ),
      );
    }
    const onReadingsCommitted = services.onReadingsCommitted;
    const outcome = await ingestTagReadings(services.storage, gateway, items, {
      receivedAt,
      topic,
      ...(onReadingsCommitted === undefined
        ? {}
        : {
            onCommitted: (readings) => {
              try {
                onReadingsCommitted({ readings, cameraCounts: [] });
              } catch (error) {
                // The readings are committed: answer the gateway, keep the failure in the log.
                services.logger.error('onReadingsCommitted hook failed', {
                  reason: errorMessage(error),
                  requestId: c.get('requestId'),
                });
              }
            },
          }),
    });
    return answer(c, outcome);
  });
}

function answer(c: Context<AppEnv>, outcome: Awaited<ReturnType<typeof ingestTagReadings>>) {
  return c.json({ ...outcome, requestId: c.get('requestId') });
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === undefined) return 'nothing';
  return typeof value;
}
