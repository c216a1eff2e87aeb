-- Alert delivery: what the outbox needs beyond 0002.
--
-- A delivery carries the body it sends, frozen when the alert change commits (the alert as it
-- stood then), so every retry sends the same event and alert, and a receiver that dedupes by
-- Idempotency-Key sees one effect. A test delivery ("send a test alert") has no alert event: it
-- goes through the same worker, marked `test`, with its own body.

alter table deliveries alter column alert_event_id drop not null;
alter table deliveries add column alert_id uuid references alerts (id);
alter table deliveries add column body jsonb;
alter table deliveries add column test boolean not null default false;
alter table deliveries add constraint deliveries_event_or_test
  check ((alert_event_id is null) = test);

-- Order per alert and subscription: the worker sends a delivery only when every earlier one of the
-- same alert and subscription is delivered.
create index deliveries_subscription_alert on deliveries (subscription_id, alert_id, alert_event_id)
  where status <> 'delivered';
create index deliveries_subscription_created on deliveries (subscription_id, id desc);

-- A name for people, and when the webhook signing secret was last generated.
alter table subscriptions add column name text not null default ''
  check (length(name) <= 200);
alter table subscriptions add column secret_rotated_at timestamptz;

-- The delivery log: one row per try, with what the receiver answered or why it failed.
create table delivery_attempts (
  id bigint generated always as identity primary key,
  delivery_id bigint not null references deliveries (id) on delete cascade,
  attempt integer not null check (attempt >= 1),
  at timestamptz not null default now(),
  duration_ms integer not null check (duration_ms >= 0),
  status_code integer,
  error text
);
create index delivery_attempts_delivery on delivery_attempts (delivery_id, id);
