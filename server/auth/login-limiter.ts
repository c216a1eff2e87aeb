import type { Queryable } from '../db/storage.ts';
import { TooManyRequestsError } from '../errors.ts';

export interface LoginLimits {
  /** Failed logins are counted over this sliding window. */
  readonly windowMs: number;
  /** Failures for one email (since its last successful login) before further attempts are refused. */
  readonly maxFailuresPerEmail: number;
  /** Failures from one client address before further attempts from it are refused. */
  readonly maxFailuresPerIp: number;
}

export interface LoginAttempt {
  readonly id: string;
}

/**
 * Starts a login attempt: records it in `login_attempts` as failed *before* the password is checked,
 * then counts the other recent failures for the email and for the client address. Recording first
 * means concurrent guesses see each other, so no burst of parallel requests gets more than the
 * allowed number of password checks; the table (not memory) means the count survives a restart
 * and spans instances. Over a limit, the attempt is withdrawn (a refused attempt does not extend
 * the lock) and a TooManyRequestsError says when to try again.
 *
 * Algorithm: the limit lifts when the max-th most recent failure leaves the window, so
 * Retry-After = that failure's time + window - now.
 */
export async function beginLoginAttempt(
  db: Queryable,
  attempt: { email: string; clientIp: string | null },
  limits: LoginLimits,
): Promise<LoginAttempt> {
  const email = normalizeEmail(attempt.email);
  const { rows } = await db.query<{ id: string }>(
    'insert into login_attempts (email, client_ip, succeeded) values ($1, $2, false) returning id',
    [email, attempt.clientIp],
  );
  const id = String(rows[0]?.id);
  const byEmail = await retryAfterS(
    db,
    `lower(email) = $1 and at > coalesce(
       (select max(at) from login_attempts where lower(email) = $1 and succeeded), '-infinity')`,
    email,
    id,
    limits.maxFailuresPerEmail,
    limits.windowMs,
  );
  const byIp =
    attempt.clientIp === null
      ? null
      : await retryAfterS(
          db,
          'client_ip = $1',
          attempt.clientIp,
          id,
          limits.maxFailuresPerIp,
          limits.windowMs,
        );
  if (byEmail === null && byIp === null) return { id };

  await db.query('delete from login_attempts where id = $1', [id]);
  const waitS = Math.max(byEmail ?? 0, byIp ?? 0);
  const windowMin = Math.round(limits.windowMs / 60_000);
  throw new TooManyRequestsError(
    byEmail !== null
      ? `too many failed logins for this email (${limits.maxFailuresPerEmail} in ${windowMin} min): try again in ${waitS} s`
      : `too many failed logins from this address (${limits.maxFailuresPerIp} in ${windowMin} min): try again in ${waitS} s`,
    waitS,
  );
}

/** Marks the attempt as a success: the email's earlier failures no longer count. */
export async function loginSucceeded(db: Queryable, attempt: LoginAttempt): Promise<void> {
  await db.query('update login_attempts set succeeded = true where id = $1', [attempt.id]);
}

/** Deletes attempts older than `olderThanMs`; returns how many. */
export async function pruneLoginAttempts(db: Queryable, olderThanMs: number): Promise<number> {
  const { rowCount } = await db.query(
    `delete from login_attempts where at < now() - $1::double precision * interval '1 millisecond'`,
    [olderThanMs],
  );
  return rowCount;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Seconds until fewer than `max` failures match `condition` in the window; null when already fewer. */
async function retryAfterS(
  db: Queryable,
  condition: string,
  key: string,
  ownId: string,
  max: number,
  windowMs: number,
): Promise<number | null> {
  const { rows } = await db.query<{ retry_after_s: number }>(
    `select greatest(1, ceil(extract(epoch from
              (at + $3::double precision * interval '1 millisecond' - now()))))::int as retry_after_s
     from login_attempts
     where ${condition} and not succeeded and id <> $2
       and at > now() - $3::double precision * interval '1 millisecond'
     order by at desc
     offset $4 limit 1`,
    [key, ownId, windowMs, max - 1],
  );
  return rows[0]?.retry_after_s ?? null;
}
