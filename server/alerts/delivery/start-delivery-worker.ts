import type { Config } from '../../config.ts';
import type { Storage } from '../../db/storage.ts';
import type { Logger } from '../../logger.ts';
import type { AlertBus } from '../alert-bus.ts';
import { DeliveryWorker, type PublishAlert } from './delivery-worker.ts';

/**
 * Starts the outbox worker with the config's settings, woken whenever the engine publishes
 * committed alert events. `stop()` lets the sends in flight finish (each bounded by the timeout).
 */
export function startDeliveryWorker(options: {
  config: Config;
  storage: Storage;
  alertBus: AlertBus;
  logger: Logger;
  publishAlert?: PublishAlert | null;
}): { worker: DeliveryWorker; stop(): Promise<void> } {
  const worker = new DeliveryWorker({
    storage: options.storage,
    publishAlert: options.publishAlert ?? null,
    ...options.config.delivery,
    logger: options.logger.child({ part: 'delivery' }),
  });
  const unsubscribe = options.alertBus.subscribe(() => worker.wake());
  worker.start();
  return {
    worker,
    stop: async () => {
      unsubscribe();
      await worker.stop();
    },
  };
}
