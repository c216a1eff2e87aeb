/** Species a camera may count: the animals a herd can be pledged as. */
export const cameraSpecies = ['cattle', 'sheep', 'goat', 'pig', 'horse'] as const;
export type CameraSpecies = (typeof cameraSpecies)[number];

/** One head count reported by a camera (or its gateway), decoded and range-checked. */
export interface CameraCountReading {
  /** From the topic, `farms/{farmId}/cameras/{cameraId}/count`. */
  readonly cameraId: string;
  /** When the frame was counted (device clock). */
  readonly observedAt: Date;
  readonly species: CameraSpecies;
  /** Animals counted (payload field `count`), an integer in [0, 100000]. */
  readonly headCount: number;
  /** Detector confidence in [0, 1], when the camera reports one. */
  readonly confidence: number | null;
  /** The part of the farm the camera watches, up to 64 characters. */
  readonly zone: string | null;
}

export const cameraCountRanges = {
  maxHeadCount: 100_000,
  maxZoneChars: 64,
} as const;
