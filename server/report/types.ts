/**
 * Everything a post-loan report says, as data: the HTML, PDF and CSV renderers draw only this,
 * and its content hash is computed over it, so every format of one report carries the same
 * figures and the same hash.
 */
import type { LngLat, MultiPolygon, Polygon } from '../../geo/index.ts';
import type { CoverageSeries, LoanCollateral } from '../collateral/types.ts';

export const REPORT_SCHEMA_VERSION = 1;

export interface ReportData {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  /** Unique per generated report (uuid), so a filed copy names the issuance it came from. */
  readonly reportId: string;
  readonly generatedAt: string;
  /** Who asked for it (display name and email), or the command line for a batch run. */
  readonly generatedBy: string;
  /** The period asked for (ISO timestamps, from inclusive, to exclusive). */
  readonly period: { readonly from: string; readonly to: string };
  /** The first and last data time actually used (observations, readings, alerts); null: none. */
  readonly dataRange: { readonly from: string; readonly to: string } | null;
  /** The crop model(s) whose observations appear, e.g. 'crop-type@sha256:ab12...'. */
  readonly modelVersions: readonly string[];
  readonly loan: {
    readonly id: string;
    readonly reference: string;
    readonly status: string;
    readonly amount: number;
    readonly currency: string;
    readonly disbursedOn: string | null;
    readonly maturesOn: string | null;
    readonly officer: { readonly name: string; readonly email: string } | null;
  };
  readonly borrower: {
    readonly id: string;
    readonly ref: string;
    readonly name: string;
    readonly registrationNo: string | null;
  };
  readonly branch: { readonly code: string; readonly name: string };
  readonly farms: ReadonlyArray<{
    readonly id: string;
    readonly code: string;
    readonly name: string;
    readonly boundary: Polygon | MultiPolygon;
  }>;
  readonly parcels: readonly ReportParcel[];
  readonly herds: readonly ReportHerd[];
  /** Every alert of the loan raised in the period, in order of raising. */
  readonly alerts: readonly ReportAlert[];
  /**
   * Collateral valued at the end of the period, and coverage over the period. `thresholds`: the
   * coverage alert's ratios for this loan at the end of the period (its rule settings); absent,
   * the report compares with the rule's defaults and says so.
   */
  readonly coverage: {
    readonly atEnd: LoanCollateral;
    readonly series: CoverageSeries;
    readonly thresholds?: {
      readonly minCoverageRatio: number;
      readonly criticalCoverageRatio: number;
    };
  };
}

export interface ReportParcel {
  readonly id: string;
  readonly code: string;
  readonly farmCode: string;
  readonly geometry: Polygon | MultiPolygon;
  readonly areaM2: number;
  readonly declaredCropCode: number | null;
  readonly declaredCropName: string | null;
  readonly declaredAreaM2: number | null;
  /** As of the end of the period (from coverage.atEnd). */
  readonly observedCropCode: number | null;
  readonly observedCropName: string | null;
  readonly observedConfidence: number | null;
  readonly plantedAreaM2: number | null;
  readonly status: string | null;
  readonly statusReason: string | null;
  /** Clear-sky NDVI means in the period, oldest first. */
  readonly ndviSeries: ReadonlyArray<{ readonly date: string; readonly ndvi: number }>;
  /** The scenes used in the period, with their clear share of the parcel. */
  readonly scenes: ReadonlyArray<{
    readonly sceneId: string;
    readonly observedAt: string;
    readonly clearPixels: number;
    readonly totalPixels: number;
    readonly modelVersion: string | null;
  }>;
}

export interface ReportHerd {
  readonly id: string;
  readonly code: string;
  readonly farmCode: string;
  readonly species: string;
  readonly pledgedHeadCount: number;
  /** Counted head over the period (the coverage series' points), oldest first. */
  readonly counts: ReadonlyArray<{ readonly at: string; readonly headCount: number }>;
  readonly countedAtStart: number;
  readonly countedAtEnd: number;
  readonly minCounted: number;
  /** Pledged tags not counted at the end of the period, sorted. */
  readonly missingTagsAtEnd: readonly string[];
  /** Each pledged tag's latest fix in the period, for the map. */
  readonly positions: ReadonlyArray<{
    readonly tagCode: string;
    readonly observedAt: string;
    readonly lngLat: LngLat;
    readonly inside: boolean;
  }>;
}

export interface ReportAlert {
  readonly id: string;
  readonly kind: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly status: 'open' | 'acknowledged' | 'resolved';
  readonly title: string;
  readonly subjectType: string;
  readonly subjectId: string;
  readonly raisedAt: string;
  readonly resolvedAt: string | null;
  readonly evidence: unknown;
  /** Its history (raised, updated, acknowledged, assigned, commented, escalated, resolved). */
  readonly events: ReadonlyArray<{
    readonly at: string;
    readonly type: string;
    readonly by: string | null;
    readonly comment: string | null;
  }>;
}

/** The rendered forms of one report. */
export type ReportFormat = 'html' | 'pdf' | 'csv' | 'json';
