/** Public API of the IoT edge: what server/ may import. */
export type { DecodeError, Result } from './result.ts';
export type { DecodeLimits, EarTagReading } from './eartag/reading.ts';
export { defaultDecodeLimits } from './eartag/reading.ts';
export { decodeEarTagReading } from './eartag/decode.ts';
export type { TopicDirection, TopicKind, TopicMatch } from './topics.ts';
export {
  codePattern,
  isTopicSegment,
  matchTopic,
  serviceSubscriptions,
  topicDirection,
  topicFilterFor,
  topicFor,
  topicTable,
} from './topics.ts';
export type {
  RejectedItem,
  TagMessage,
  TagMessageOptions,
  TagTopicMatch,
} from './eartag/decode-message.ts';
export { decodeTagMessage } from './eartag/decode-message.ts';
export type {
  ImplausibleFix,
  PlausibilityOptions,
  PlausibilityVerdict,
  TagFix,
} from './eartag/plausibility.ts';
export { checkFixPlausibility, defaultMaxAnimalSpeedKmh } from './eartag/plausibility.ts';
export type { CameraCountReading, CameraSpecies } from './camera/count.ts';
export { cameraCountRanges, cameraSpecies } from './camera/count.ts';
export type { CameraCountOptions } from './camera/decode.ts';
export { decodeCameraCount } from './camera/decode.ts';
export type { FrameLimits, RgbaFrame } from './camera/frame.ts';
export { decodeFrame, defaultFrameLimits, isJpeg } from './camera/frame.ts';
export type { Detection, LetterboxedFrame, YoloxDecodeOptions } from './camera/yolox.ts';
export {
  decodeYoloxOutput,
  intersectionOverUnion,
  letterboxForYolox,
  suppressNonMaxima,
  yoloxDefaults,
} from './camera/yolox.ts';
export type {
  AnimalCount,
  AnimalDetection,
  AnimalDetector,
  AnimalDetectorOptions,
  AnimalDetectorStats,
  DetectorSpecies,
  FrameCountError,
} from './camera/detector.ts';
export {
  createAnimalDetector,
  DetectorBusyError,
  DetectorClosedError,
  detectorSpecies,
  detectorSpeciesByCocoClass,
} from './camera/detector.ts';
export type { GatewayStatus, GatewayStatusLimits, GatewayStatusOptions } from './gateway-status.ts';
export { decodeGatewayStatus } from './gateway-status.ts';
export type {
  BrokerHooks,
  BrokerLogger,
  BrokerOptions,
  BrokerStats,
  ConnectingClient,
  ListenOptions,
  PublishContext,
  RunningBroker,
  TlsOptions,
  Transport,
} from './broker.ts';
export { createBroker } from './broker.ts';
export type {
  ServiceClient,
  ServiceClientLogger,
  ServiceClientOptions,
  ServiceClientStats,
} from './client.ts';
export { connectServiceClient } from './client.ts';
