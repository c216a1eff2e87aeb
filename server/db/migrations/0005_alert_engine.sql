-- The alert engine's state beyond 0002: conditions waiting out their minimum duration, per-device
-- rule settings, and the indexes the alert lists and the escalation worker read.

-- One row per subject and kind whose condition is active, or whose open alert waits to clear.
-- `active` is the condition as last observed and `since` when it last changed: an alert is raised
-- once a condition has been active for `raise_after_ms`, and resolved once it has been inactive
-- for `clear_after_ms`. Persisted so a restart does not forget a pending raise or clear. The row
-- goes away when the condition clears before it was raised, or when its alert is resolved.
create table alert_conditions (
  kind text not null check (kind ~ '^[a-z][a-z0-9_]*$'),
  subject_type text not null
    check (subject_type in ('loan', 'farm', 'parcel', 'herd', 'ear_tag', 'camera', 'gateway')),
  subject_id uuid not null,
  active boolean not null,
  since timestamptz not null,
  raise_after_ms bigint not null check (raise_after_ms >= 0),
  clear_after_ms bigint not null check (clear_after_ms >= 0),
  -- what an alert raised from this condition carries (the latest active observation).
  branch_id uuid not null references branches (id),
  loan_id uuid references loans (id),
  farm_id uuid references farms (id),
  severity text not null check (severity in ('info', 'warning', 'critical')),
  title text not null,
  evidence jsonb not null default '{}'::jsonb,
  -- the part of the evidence whose change is material (an 'updated' event).
  evidence_key text not null default '',
  observed_at timestamptz not null default now(),
  primary key (subject_type, subject_id, kind)
);
-- The sweep promotes what is due: active and not raised yet, or inactive and waiting to clear.
create index alert_conditions_due on alert_conditions (active, since);

-- Per-device thresholds (tag_silent, battery_low, temperature_out_of_range per ear tag).
alter table alert_rule_settings drop constraint alert_rule_settings_scope_type_check;
alter table alert_rule_settings add constraint alert_rule_settings_scope_type_check
  check (scope_type in ('portfolio', 'branch', 'loan', 'farm', 'herd', 'parcel', 'ear_tag'));
alter table alert_rule_settings add column updated_by uuid references users (id);

-- What an open alert's last material evidence was, so a flapping condition updates it silently.
alter table alerts add column evidence_key text not null default '';
-- Who the alert was escalated to.
alter table alerts add column escalated_to uuid references users (id);

create index alerts_escalation_due on alerts (ack_deadline_at)
  where status = 'open' and escalated_at is null and ack_deadline_at is not null;
create index alerts_farm on alerts (farm_id, raised_at desc);
create index alerts_loan on alerts (loan_id, raised_at desc);
