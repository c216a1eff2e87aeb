/**
 * Reading the service's API from the map: same origin, the session cookie, and every page of a
 * list (lists answer at most 500 items a page and a `nextCursor`).
 */
import type { CoverageSeries, LoanCollateral } from '../server/api-types.ts';

/** An answer other than 2xx, with its status (a 404 is "not there, or not yours to see"). */
export class ApiError extends Error {
  readonly status: number;

  constructor(method: string, path: string, status: number) {
    super(`${method} ${path} answered ${status}`);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** GETs `path` and parses the JSON answer; any status but 200 is an ApiError naming the path. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
    ...(signal === undefined ? {} : { signal }),
  });
  if (!response.ok) throw new ApiError('GET', path, response.status);
  return (await response.json()) as T;
}

/** Every page of a list whose answer keeps its items under `key` (`items` or `features`). */
export async function getAllPages<T, K extends 'items' | 'features'>(
  path: string,
  key: K,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page: Record<K, T[]> & { nextCursor: string | null } = await getJson(
      `${path}${separator}limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    all.push(...page[key]);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return all;
}

/** POSTs `body` as JSON and parses the answer; an error answer throws with the service's message. */
export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const answer = (await response.json().catch(() => null)) as {
      error?: { message?: string };
    } | null;
    throw new Error(
      `POST ${path} answered ${response.status}${answer?.error?.message === undefined ? '' : `: ${answer.error.message}`}`,
    );
  }
  return (await response.json()) as T;
}

/** A loan's collateral and its coverage over time (`GET /api/loans/{id}/collateral`, `/coverage`). */
export type {
  CollateralHerd,
  CollateralParcel,
  CoveragePoint,
  CoverageSeries,
  LoanCollateral,
  ParcelObservationSummary,
  UnvaluedReason,
} from '../server/api-types.ts';

/**
 * The loan's collateral valued at `at` (null: now). A 404 ApiError: no such loan, or another
 * branch's.
 */
export function getLoanCollateral(
  loanId: string,
  at: Date | null,
  signal?: AbortSignal,
): Promise<LoanCollateral> {
  const query = at === null ? '' : `?at=${encodeURIComponent(at.toISOString())}`;
  return getJson<LoanCollateral>(
    `/api/loans/${encodeURIComponent(loanId)}/collateral${query}`,
    signal,
  );
}

/** The loan's coverage from `from` to `to`, sampled at `points` moments. */
export function getLoanCoverage(
  loanId: string,
  period: { readonly from: Date; readonly to: Date; readonly points: number },
  signal?: AbortSignal,
): Promise<CoverageSeries> {
  const query = new URLSearchParams({
    from: period.from.toISOString(),
    to: period.to.toISOString(),
    points: String(period.points),
  });
  return getJson<CoverageSeries>(
    `/api/loans/${encodeURIComponent(loanId)}/coverage?${query.toString()}`,
    signal,
  );
}
