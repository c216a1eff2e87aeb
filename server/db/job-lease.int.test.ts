/**
 * Job leases on both backends: one holder at a time, renewal, release of one's own lease only,
 * expiry on the database clock, and the keeper that renews a lease and notices when it is lost.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testBackends } from '../testing/databases.ts';
import { acquireLease, instanceId, keepLease, releaseLease, renewLease } from './job-lease.ts';
import { migrate } from './migrate.ts';
import type { Queryable, Storage } from './storage.ts';

/** Polls `check` every 20 ms until it holds, for at most `timeoutMs`. */
async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(testBackends)('job leases on $name', (backend) => {
  let storage: Storage;

  beforeAll(async () => {
    storage = await backend.open();
    await migrate(storage);
  });
  afterAll(async () => {
    await storage.close();
  });
  beforeEach(async () => {
    await storage.query('delete from job_leases');
  });

  async function leaseRow(name: string): Promise<{ holder: string; expires_at: Date } | null> {
    const { rows } = await storage.query<{ holder: string; expires_at: Date }>(
      'select holder, expires_at from job_leases where name = $1',
      [name],
    );
    return rows[0] ?? null;
  }

  it('is taken by one holder and refused to another, with the holder and its expiry', async () => {
    const first = await acquireLease(storage, 'satellite', 'host-a:1:aa', 60_000);
    expect(first.acquired).toBe(true);
    const { rows } = await storage.query<{ ttl_ms: number }>(
      `select extract(epoch from (expires_at - now())) * 1000 as ttl_ms from job_leases`,
    );
    // Set on the database clock: about 60 s ahead of the database's now().
    expect(Number(rows[0]?.ttl_ms)).toBeGreaterThan(55_000);
    expect(Number(rows[0]?.ttl_ms)).toBeLessThanOrEqual(60_000);

    const second = await acquireLease(storage, 'satellite', 'host-b:2:bb', 60_000);
    expect(second).toEqual({
      acquired: false,
      holder: 'host-a:1:aa',
      expiresAt: (await leaseRow('satellite'))?.expires_at,
    });
    // Another job's lease is independent.
    expect((await acquireLease(storage, 'other_job', 'host-b:2:bb', 60_000)).acquired).toBe(true);
    // The holder may take it again (extended, still its own).
    expect((await acquireLease(storage, 'satellite', 'host-a:1:aa', 60_000)).acquired).toBe(true);
    expect((await leaseRow('satellite'))?.holder).toBe('host-a:1:aa');
  });

  it('lets only one of many instances racing for a free lease take it', async () => {
    const holders = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const outcomes = await Promise.all(
      holders.map((holder) => acquireLease(storage, 'satellite', holder, 60_000)),
    );
    const winners = holders.filter((_, i) => outcomes[i]?.acquired === true);
    expect(winners).toHaveLength(1);
    for (const outcome of outcomes) {
      if (!outcome.acquired) expect(outcome.holder).toBe(winners[0]);
    }
  });

  it('is renewed by its holder only', async () => {
    await acquireLease(storage, 'satellite', 'host-a', 1_000);
    const before = (await leaseRow('satellite'))?.expires_at.getTime() ?? 0;
    expect(await renewLease(storage, 'satellite', 'host-a', 60_000)).toBe(true);
    const after = (await leaseRow('satellite'))?.expires_at.getTime() ?? 0;
    expect(after - before).toBeGreaterThan(50_000);
    expect(await renewLease(storage, 'satellite', 'host-b', 60_000)).toBe(false);
    expect((await leaseRow('satellite'))?.holder).toBe('host-a');
    expect(await renewLease(storage, 'never_taken', 'host-a', 60_000)).toBe(false);
  });

  it('is released by its holder only, and then free for another', async () => {
    await acquireLease(storage, 'satellite', 'host-a', 60_000);
    await releaseLease(storage, 'satellite', 'host-b');
    expect((await leaseRow('satellite'))?.holder).toBe('host-a');
    await releaseLease(storage, 'satellite', 'host-a');
    expect(await leaseRow('satellite')).toBeNull();
    expect((await acquireLease(storage, 'satellite', 'host-b', 60_000)).acquired).toBe(true);
  });

  it('may be taken by another once expired; the former holder can neither renew nor release it', async () => {
    expect((await acquireLease(storage, 'satellite', 'host-a', 200)).acquired).toBe(true);
    expect((await acquireLease(storage, 'satellite', 'host-b', 200)).acquired).toBe(false);
    await waitFor(
      async () => (await acquireLease(storage, 'satellite', 'host-b', 60_000)).acquired,
      3_000,
    );
    expect(await renewLease(storage, 'satellite', 'host-a', 60_000)).toBe(false);
    await releaseLease(storage, 'satellite', 'host-a');
    expect((await leaseRow('satellite'))?.holder).toBe('host-b');
  });

  it('keeps a lease renewed until stopped', async () => {
    await acquireLease(storage, 'satellite', 'host-a', 300);
    const lost: string[] = [];
    const keeper = keepLease(storage, 'satellite', 'host-a', 300, {
      onLost: (reason) => lost.push(reason),
    });
    // Four times the ttl: without renewals another instance could have taken it three times.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await acquireLease(storage, 'satellite', 'host-b', 300)).acquired).toBe(false);
    await keeper.stop();
    expect(lost).toEqual([]);
    const stoppedAt = (await leaseRow('satellite'))?.expires_at.getTime();
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await leaseRow('satellite'))?.expires_at.getTime()).toBe(stoppedAt);
  });

  it('reports the lease lost when a renewal finds another holder', async () => {
    await acquireLease(storage, 'satellite', 'host-a', 300);
    const lost: string[] = [];
    const keeper = keepLease(storage, 'satellite', 'host-a', 300, {
      onLost: (reason) => lost.push(reason),
    });
    // What another instance does when host-a stalled past the expiry.
    await storage.query(
      `update job_leases set holder = 'host-b', acquired_at = now(),
              expires_at = now() + interval '1 minute' where name = 'satellite'`,
    );
    await waitFor(() => lost.length > 0, 3_000);
    await keeper.stop();
    expect(lost).toEqual([
      'lease satellite of host-a was taken by another instance after it expired',
    ]);
    expect((await leaseRow('satellite'))?.holder).toBe('host-b');
  });

  it('reports the lease lost when renewals fail until it may have expired', async () => {
    const unreachable: Queryable = {
      query: () => Promise.reject(new Error('connect ECONNREFUSED')),
      exec: () => Promise.reject(new Error('connect ECONNREFUSED')),
    };
    const lost: string[] = [];
    const startedAt = Date.now();
    const keeper = keepLease(unreachable, 'satellite', 'host-a', 300, {
      onLost: (reason) => lost.push(reason),
    });
    await waitFor(() => lost.length > 0, 3_000);
    await keeper.stop();
    // Not before the ttl: a failed renewal alone is retried while the lease still runs.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(lost).toEqual([
      'lease satellite of host-a could not be renewed before it expired: connect ECONNREFUSED',
    ]);
  });

  it('names this process as a holder the same way each time', () => {
    expect(instanceId()).toBe(instanceId());
    expect(instanceId()).toMatch(new RegExp(`^.+:${process.pid}:[0-9a-f]{8}$`));
  });
});
