/**
 * Leases on jobs that one service instance at a time may run (table `job_leases`, migration 0010).
 * A lease is a row naming its holder and when it expires: taken when free or expired, renewed by
 * its holder while the job goes on, deleted by its holder at the end. Every time is the database
 * clock (`now()`), the one clock all instances share, so skewed process clocks cannot make two
 * instances both believe they hold it. Plain statements over `Queryable`, no session state: the
 * same on a pool of `pg` connections and on the embedded PGlite.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { AppError, ConflictError, errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../logger.ts';
import type { Queryable } from './storage.ts';

export type LeaseAcquisition =
  | { readonly acquired: true; readonly expiresAt: Date }
  | { readonly acquired: false; readonly holder: string; readonly expiresAt: Date };

interface LeaseRow {
  acquired: boolean;
  holder: string;
  expires_at: Date;
}

const leaseName = /^[a-z][a-z0-9_]*$/;

/**
 * Takes the lease `name` for `holder` for `ttlMs` when nobody holds it, its lease has expired, or
 * `holder` holds it already (then it is extended, keeping its `acquired_at`). Otherwise answers who
 * holds it and until when. One statement: two instances racing for a free lease cannot both win.
 *
 * @example
 * const lease = await acquireLease(storage, 'satellite', instanceId(), 60_000);
 * if (!lease.acquired) logger.info('busy', { holder: lease.holder, until: lease.expiresAt });
 */
export async function acquireLease(
  db: Queryable,
  name: string,
  holder: string,
  ttlMs: number,
): Promise<LeaseAcquisition> {
  checkLease(name, holder, ttlMs);
  // A refusal reads the row as it stood when the statement began. When a concurrent instance
  // committed the row after that, the statement sees no row at all: ask again (a new snapshot).
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const { rows } = await db.query<LeaseRow>(
      `with taken as (
         insert into job_leases as l (name, holder, acquired_at, expires_at)
         values ($1, $2, now(), now() + $3::float8 * interval '1 millisecond')
         on conflict (name) do update
           set holder = excluded.holder,
               acquired_at = case when l.holder = excluded.holder then l.acquired_at
                                  else excluded.acquired_at end,
               expires_at = excluded.expires_at
           where l.expires_at <= now() or l.holder = excluded.holder
         returning holder, expires_at
       )
       select true as acquired, holder, expires_at from taken
       union all
       select false, holder, expires_at from job_leases
        where name = $1 and not exists (select 1 from taken)`,
      [name, holder, ttlMs],
    );
    const row = rows[0];
    if (row === undefined) continue;
    return row.acquired
      ? { acquired: true, expiresAt: row.expires_at }
      : { acquired: false, holder: row.holder, expiresAt: row.expires_at };
  }
  throw new AppError(
    'lease_contended',
    `lease ${name}: neither taken nor held by another after 3 tries (it changes hands too fast)`,
  );
}

/**
 * Extends `holder`'s lease `name` to `ttlMs` from now. False when `holder` no longer holds it:
 * another instance took it after it expired (and may have released it since). A lease that expired
 * but nobody took is still the holder's: nobody else can have run the job meanwhile.
 */
export async function renewLease(
  db: Queryable,
  name: string,
  holder: string,
  ttlMs: number,
): Promise<boolean> {
  checkLease(name, holder, ttlMs);
  const { rowCount } = await db.query(
    `update job_leases set expires_at = now() + $3::float8 * interval '1 millisecond'
      where name = $1 and holder = $2`,
    [name, holder, ttlMs],
  );
  return rowCount === 1;
}

/** Gives up `holder`'s lease `name`; a lease another instance holds is left alone. */
export async function releaseLease(db: Queryable, name: string, holder: string): Promise<void> {
  checkLeaseOwner(name, holder);
  await db.query('delete from job_leases where name = $1 and holder = $2', [name, holder]);
}

export interface LeaseKeeper {
  /** Stops renewing; resolves once a renewal in flight has ended. */
  stop(): Promise<void>;
}

export interface KeepLeaseOptions {
  /** Called once when the lease is lost; renewals stop. */
  readonly onLost: (reason: string) => void;
  /** Between renewals (default a third of `ttlMs`: two renewals may fail before it expires). */
  readonly renewEveryMs?: number;
  /**
   * `performance.now()` when the statement that acquired the lease was sent (default: now). The
   * lease is sure to be held until this plus `ttlMs`, since the database set its expiry later.
   */
  readonly acquiredAtMs?: number;
  readonly logger?: Logger;
}

/**
 * Renews a lease just acquired until `stop()`. The lease is lost when a renewal finds another
 * holder, or when renewals fail (database unreachable) until the lease may have expired, since
 * another instance may then have taken it unseen: either way `onLost` says why.
 *
 * @example
 * const keeper = keepLease(storage, 'satellite', id, 60_000, { onLost: (why) => ac.abort(why) });
 * try { await work(ac.signal); } finally { await keeper.stop(); await releaseLease(...); }
 */
export function keepLease(
  db: Queryable,
  name: string,
  holder: string,
  ttlMs: number,
  options: KeepLeaseOptions,
): LeaseKeeper {
  checkLease(name, holder, ttlMs);
  const logger = options.logger ?? silentLogger;
  const renewEveryMs = options.renewEveryMs ?? ttlMs / 3;
  // Measured on the monotonic clock of this process: only durations, never compared across hosts.
  let heldUntilMs = (options.acquiredAtMs ?? performance.now()) + ttlMs;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;

  const lose = (reason: string): void => {
    if (stopped) return; // the work is over: nothing left to abort
    stopped = true;
    options.onLost(reason);
  };
  const renew = async (): Promise<void> => {
    const sentAtMs = performance.now();
    try {
      if (!(await renewLease(db, name, holder, ttlMs))) {
        lose(`lease ${name} of ${holder} was taken by another instance after it expired`);
        return;
      }
      heldUntilMs = sentAtMs + ttlMs;
    } catch (error) {
      if (performance.now() >= heldUntilMs) {
        lose(
          `lease ${name} of ${holder} could not be renewed before it expired: ${errorMessage(error)}`,
        );
        return;
      }
      logger.warn('lease renewal failed; trying again', {
        lease: name,
        reason: errorMessage(error),
      });
    }
    schedule();
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = renew();
    }, renewEveryMs);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      await inFlight;
    },
  };
}

let processInstanceId: string | null = null;

/**
 * This process's name as a lease holder, `hostname:pid:random`, made once per process: readable in
 * a refusal (which machine, which process), and unique even when a restarted process reuses a pid.
 */
export function instanceId(): string {
  processInstanceId ??= `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  return processInstanceId;
}

/** Refused because another instance holds the lease: a 409 naming the holder and the expiry. */
export class LeaseHeldError extends ConflictError {
  readonly holder: string;
  readonly expiresAt: Date;
  constructor(message: string, lease: { name: string; holder: string; expiresAt: Date }) {
    super(message, {
      details: {
        lease: lease.name,
        holder: lease.holder,
        expiresAt: lease.expiresAt.toISOString(),
      },
    });
    this.holder = lease.holder;
    this.expiresAt = lease.expiresAt;
  }
}

function checkLease(name: string, holder: string, ttlMs: number): void {
  checkLeaseOwner(name, holder);
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new AppError('invalid_lease', `lease ttlMs ${ttlMs} must be a positive number of ms`);
  }
}

function checkLeaseOwner(name: string, holder: string): void {
  if (!leaseName.test(name)) {
    throw new AppError(
      'invalid_lease',
      `lease name ${JSON.stringify(name)} must match ${leaseName}`,
    );
  }
  if (holder.length < 1 || holder.length > 200) {
    throw new AppError(
      'invalid_lease',
      `lease holder must be 1-200 characters, got ${holder.length}`,
    );
  }
}
