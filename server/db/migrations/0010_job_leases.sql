-- Leases on jobs that must run in one service instance at a time (the satellite job) when several
-- instances share the database. A row per job names the instance that holds it and until when;
-- the holder renews it while it works and deletes it when done, and an expired lease may be taken
-- by anyone, so an instance that died stops blocking the others once its lease runs out. A row
-- rather than a session advisory lock: the embedded database and the pooled connections give no
-- session that lives as long as a run. Times come from the database clock, shared by every
-- instance, never from an instance's own clock.
create table job_leases (
  name text primary key check (name ~ '^[a-z][a-z0-9_]*$'),
  holder text not null check (length(holder) between 1 and 200),
  acquired_at timestamptz not null,
  expires_at timestamptz not null,
  check (expires_at > acquired_at)
);
