/** Public API of alert delivery: the outbox write, the worker, and what receivers need to know. */
export { computeBackoffMs } from './backoff.ts';
export type { DeliveryBody } from './delivery-body.ts';
export { deliveryBodySql } from './delivery-body.ts';
export type { DeliveryWorkerOptions, PublishAlert } from './delivery-worker.ts';
export { DeliveryWorker } from './delivery-worker.ts';
export { startDeliveryWorker } from './start-delivery-worker.ts';
export { enqueueDeliveries } from './enqueue.ts';
export { enqueueTestDelivery } from './enqueue-test-delivery.ts';
export { alertTopic, alertTopicPrefix, subscriptionTopicFilter } from './mqtt-topic.ts';
export { signWebhook, verifyWebhookSignature } from './sign-webhook.ts';
export type { AlertReader } from './mqtt-alert-readers.ts';
export {
  alertReaderUsername,
  authenticateAlertReader,
  isAlertReader,
  mayReadAlerts,
} from './mqtt-alert-readers.ts';
