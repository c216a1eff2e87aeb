/** Public API of the alert stream (Server-Sent Events). */
export { createAlertStreamRoutes, endAlertStreams } from './alert-stream-routes.ts';
export type { StreamFilter } from './stream-filter.ts';
export { isStreamMatch } from './stream-filter.ts';
export type { StreamMessage } from './stream-message.ts';
export { toStreamMessage } from './stream-message.ts';
