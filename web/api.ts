/**
 * Reading the service's API from the map: same origin, the session cookie, and every page of a
 * list (lists answer at most 500 items a page and a `nextCursor`).
 */

/** GETs `path` and parses the JSON answer; any status but 200 is an error naming the path. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
    ...(signal === undefined ? {} : { signal }),
  });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
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
