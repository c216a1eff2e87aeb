import type { Condition, DurationParams } from '../types.ts';

export interface TagsCamerasInput {
  readonly herdId: string;
  readonly herdCode: string;
  readonly at: string;
  /** Pledged tags counted inside the geofence. */
  readonly tagHeadCount: number;
  /** The latest count per camera and zone within the freshness window (zones are disjoint). */
  readonly cameras: ReadonlyArray<{
    readonly cameraCode: string;
    readonly zones: ReadonlyArray<{
      readonly zone: string | null;
      readonly headCount: number;
      readonly observedAt: string;
    }>;
  }>;
}

export interface TagsCamerasParams extends DurationParams {
  /** Heads of difference always tolerated. */
  readonly toleranceHeads: number;
  /** Difference tolerated as a percentage of the larger count. */
  readonly tolerancePct: number;
}

export const tagsCamerasDefaults: TagsCamerasParams = {
  toleranceHeads: 2,
  tolerancePct: 10,
  raiseAfterMs: 30 * 60_000,
  clearAfterMs: 30 * 60_000,
};

/**
 * Tags and cameras disagree: the cameras' total (sum of the latest count per camera and zone)
 * differs from the tag count by more than `max(toleranceHeads, tolerancePct % of the larger)`.
 * Cameras seeing fewer animals than tags (tags without animals) is a warning, critical beyond three
 * times the tolerance; cameras seeing more is info. No camera count: inactive.
 */
export function evaluateTagsCameras(input: TagsCamerasInput, params: TagsCamerasParams): Condition {
  const counts = input.cameras.flatMap((c) => c.zones.map((z) => ({ camera: c.cameraCode, ...z })));
  const cameraHeadCount = counts.reduce((n, z) => n + z.headCount, 0);
  const difference = cameraHeadCount - input.tagHeadCount;
  const allowed = Math.max(
    params.toleranceHeads,
    (params.tolerancePct / 100) * Math.max(cameraHeadCount, input.tagHeadCount),
  );
  const active = counts.length > 0 && Math.abs(difference) > allowed;
  const severity =
    difference >= 0 ? 'info' : Math.abs(difference) > 3 * allowed ? 'critical' : 'warning';
  return {
    kind: 'tags_cameras_disagree',
    subjectType: 'herd',
    subjectId: input.herdId,
    active,
    severity,
    title: `Herd ${input.herdCode}: cameras count ${cameraHeadCount}, tags ${input.tagHeadCount}`,
    evidence: {
      at: input.at,
      tagHeadCount: input.tagHeadCount,
      cameraHeadCount,
      difference,
      counts,
    },
    evidenceKey: difference < 0 ? 'fewer' : 'more',
  };
}
