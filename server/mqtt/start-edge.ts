import { createAnimalDetector, type AnimalDetector } from '../../iot/index.ts';
import type { Config } from '../config.ts';
import type { Storage } from '../db/storage.ts';
import type { Logger } from '../logger.ts';
import { startEmbeddedBroker } from './embedded-broker.ts';
import { connectExternalBroker } from './external-broker.ts';
import { createGatewayMessageHandler } from './gateway-messages.ts';
import { IngestBatcher, type CommittedWork, type IngestWork } from './ingest-batcher.ts';

export interface MqttEndpoints {
  /** `mqtt://host:port` (or mqtts) of the embedded broker, or the external broker's URL. */
  readonly url: string;
  readonly wsUrl: string | null;
  readonly embedded: boolean;
}

/**
 * Starts the MQTT edge: a consumer of the external broker when MQTT_URL is set, otherwise the
 * embedded broker. Every accepted message goes
 * through one handler and one batcher, so both paths store and acknowledge the same way.
 */
export async function startMqttEdge(options: {
  config: Config;
  storage: Storage;
  logger: Logger;
  /** Called after each committed ingest batch (the alert engine's herd monitor). */
  onCommitted?: (work: CommittedWork) => void;
  /** Work the batcher commits at once, in its express lane (the herd monitor's `isUrgent`). */
  isUrgent?: (work: IngestWork) => boolean;
}): Promise<{
  endpoints: MqttEndpoints;
  /** Publishes an alert message for alert subscribers (QoS 1, not retained). */
  publishAlert(topic: string, payload: string): Promise<void>;
  stop(timeoutMs: number): Promise<void>;
}> {
  const { config, storage } = options;
  const logger = options.logger.child({ part: 'mqtt' });
  const batcher = new IngestBatcher(storage, {
    logger,
    lingerMs: config.ingest.lingerMs,
    ...(options.onCommitted === undefined ? {} : { onCommitted: options.onCommitted }),
    ...(options.isUrgent === undefined ? {} : { isUrgent: options.isUrgent }),
  });
  const frameCounter = await startFrameCounter(config, logger);
  const handleMessage = createGatewayMessageHandler({
    storage,
    batcher,
    frameCounter,
    maxPayloadBytes: config.mqtt.maxPayloadBytes,
    maxAnimalSpeedKmh: config.ingest.maxAnimalSpeedKmh,
    logger,
  });

  const mqttUrl = config.mqtt.url;
  if (mqttUrl !== null) {
    const client = await connectExternalBroker({
      config: { ...config.mqtt, url: mqttUrl },
      storage,
      batcher,
      handleMessage,
      logger,
    });
    const endpoints: MqttEndpoints = { url: redactUrl(mqttUrl), wsUrl: null, embedded: false };
    logger.info('mqtt consuming from external broker', {
      ...endpoints,
      group: config.mqtt.sharedGroup,
    });
    return {
      endpoints,
      publishAlert: (topic, payload) => client.publish(topic, payload, { retain: false }),
      stop: async (timeoutMs) => {
        await client.close({ drainTimeoutMs: timeoutMs });
        await batcher.close(timeoutMs);
        await frameCounter?.close();
      },
    };
  }

  const broker = await startEmbeddedBroker({
    config: config.mqtt,
    storage,
    batcher,
    handleMessage,
    logger,
  });
  const scheme = broker.tcp.tls ? 'mqtts' : 'mqtt';
  const endpoints: MqttEndpoints = {
    url: `${scheme}://${broker.tcp.host}:${broker.tcp.port}`,
    wsUrl: broker.ws === null ? null : `ws://${broker.ws.host}:${broker.ws.port}${broker.ws.path}`,
    embedded: true,
  };
  logger.info('mqtt broker listening', { ...endpoints });
  return {
    endpoints,
    publishAlert: (topic, payload) => broker.publish(topic, payload, { qos: 1, retain: false }),
    stop: async (timeoutMs) => {
      // The broker waits for messages being stored; if the database is down those would wait
      // forever, so after the timeout the batcher refuses them (unacknowledged: sent again later).
      const brokerClosed = broker.close();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        brokerClosed,
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
      await batcher.close(timeoutMs);
      await brokerClosed;
      await frameCounter?.close();
    },
  };
}

/** The camera-frame detector when PW_CAMERA_DETECTOR_MODEL is set; a bad model stops the start. */
async function startFrameCounter(config: Config, logger: Logger): Promise<AnimalDetector | null> {
  const modelPath = config.camera.detectorModel;
  if (modelPath === null) {
    logger.info('camera frames are not counted: no detector configured');
    return null;
  }
  const detector = await createAnimalDetector({
    modelPath,
    minScore: config.camera.detectorMinScore,
    frameLimits: { maxBytes: config.camera.maxFrameBytes },
  });
  logger.info('camera detector loaded', {
    model: modelPath,
    minScore: config.camera.detectorMinScore,
    maxFrameBytes: config.camera.maxFrameBytes,
  });
  return detector;
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
