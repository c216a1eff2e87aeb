-- What the satellite and the farm devices observe, the alerts raised from it, and the record of
-- everything rejected or changed. The three observation tables become TimescaleDB hypertables in
-- 0003 where the extension exists; their primary keys include the time column, as hypertables need.

-- One ear-tag fix. Keyed by the physical tag and its own timestamp: the same transmission heard
-- twice (a retry, or two gateways) is one reading. farm_id is the farm whose gateway reported it.
create table tag_readings (
  observed_at timestamptz not null,
  tag_code text not null check (length(tag_code) between 1 and 64),
  farm_id uuid not null references farms (id),
  gateway_id uuid references gateways (id),
  lat double precision not null check (lat between -90 and 90),
  lon double precision not null check (lon between -180 and 180),
  temperature_c real,
  activity real,
  battery_pct real check (battery_pct between 0 and 100),
  rssi real,
  received_at timestamptz not null default now(),
  primary key (tag_code, observed_at)
);
create index tag_readings_farm_time on tag_readings (farm_id, observed_at desc);

create table camera_counts (
  observed_at timestamptz not null,
  camera_id uuid not null references cameras (id),
  farm_id uuid not null references farms (id),
  species text not null check (species in ('cattle', 'sheep', 'goat', 'pig', 'horse')),
  head_count integer not null check (head_count >= 0),
  confidence real check (confidence between 0 and 1),
  zone text,
  -- 'gateway' when the camera or gateway counted; 'detector' when our model counted a frame.
  source text not null default 'gateway' check (source in ('gateway', 'detector')),
  received_at timestamptz not null default now(),
  primary key (camera_id, observed_at, species)
);
create index camera_counts_farm_time on camera_counts (farm_id, observed_at desc);

-- One parcel seen in one scene. A scene clouded over the parcel is stored with clear_pixels = 0
-- and null statistics: no observation, never a zero.
create table parcel_observations (
  observed_at timestamptz not null,
  parcel_id uuid not null references parcels (id),
  scene_id text not null,
  clear_pixels integer not null check (clear_pixels >= 0),
  total_pixels integer not null check (total_pixels >= 0),
  ndvi_mean real,
  ndwi_mean real,
  ndre_mean real,
  predicted_crop_code integer references crop_types (code),
  predicted_confidence real check (predicted_confidence between 0 and 1),
  class_fractions jsonb,
  planted_area_m2 double precision check (planted_area_m2 >= 0),
  model_version text,
  received_at timestamptz not null default now(),
  primary key (parcel_id, observed_at, scene_id),
  check (clear_pixels <= total_pixels)
);

create table alerts (
  id uuid primary key default gen_random_uuid(),
  kind text not null check (kind ~ '^[a-z][a-z0-9_]*$'),
  subject_type text not null
    check (subject_type in ('loan', 'farm', 'parcel', 'herd', 'ear_tag', 'camera', 'gateway')),
  subject_id uuid not null,
  branch_id uuid not null references branches (id),
  loan_id uuid references loans (id),
  farm_id uuid references farms (id),
  severity text not null check (severity in ('info', 'warning', 'critical')),
  status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
  title text not null,
  evidence jsonb not null default '{}'::jsonb,
  raised_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  assigned_to uuid references users (id),
  acknowledged_at timestamptz,
  acknowledged_by uuid references users (id),
  ack_deadline_at timestamptz,
  escalated_at timestamptz,
  resolved_at timestamptz,
  resolved_by uuid references users (id),
  resolved_by_system boolean,
  check ((status = 'resolved') = (resolved_at is not null)),
  check (status <> 'acknowledged' or acknowledged_at is not null)
);
-- At most one alert per subject and kind that is not yet resolved: new evidence updates it.
create unique index alerts_one_unresolved on alerts (subject_type, subject_id, kind)
  where status <> 'resolved';
create index alerts_branch_status on alerts (branch_id, status, severity);
create index alerts_raised on alerts (raised_at desc);

create table alert_events (
  id bigint generated always as identity primary key,
  alert_id uuid not null references alerts (id),
  at timestamptz not null default now(),
  type text not null
    check (type in ('raised', 'updated', 'acknowledged', 'assigned', 'commented', 'escalated', 'resolved', 'reopened')),
  actor_kind text not null check (actor_kind in ('user', 'system')),
  actor_user_id uuid references users (id),
  comment text,
  payload jsonb,
  check ((actor_kind = 'user') = (actor_user_id is not null))
);
create index alert_events_alert on alert_events (alert_id, id);

create table subscriptions (
  id uuid primary key default gen_random_uuid(),
  owner_user_id uuid not null references users (id),
  branch_id uuid references branches (id),
  borrower_id uuid references borrowers (id),
  loan_id uuid references loans (id),
  farm_id uuid references farms (id),
  -- null: every kind.
  kinds text[],
  min_severity text not null default 'info' check (min_severity in ('info', 'warning', 'critical')),
  channel text not null check (channel in ('webhook', 'mqtt', 'sse')),
  -- webhook URL or MQTT topic; null for SSE.
  target text,
  -- HMAC-SHA256 key for webhook signatures; it must be readable to sign.
  signing_secret text,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (channel = 'sse' or target is not null),
  check (channel <> 'webhook' or signing_secret is not null)
);

-- The outbox: written in the same transaction as the alert change, sent by a worker.
create table deliveries (
  id bigint generated always as identity primary key,
  subscription_id uuid not null references subscriptions (id),
  alert_event_id bigint not null references alert_events (id),
  idempotency_key text not null unique,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at timestamptz not null default now(),
  last_error text,
  last_status_code integer,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  unique (subscription_id, alert_event_id)
);
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';

-- Everything we refused, with the raw payload and why: nothing is silently dropped.
create table rejected_messages (
  id bigint generated always as identity primary key,
  received_at timestamptz not null default now(),
  source text not null check (source in ('mqtt', 'http', 'tile', 'import')),
  topic text,
  client_id text,
  -- no foreign keys: a rejected message may name a farm or gateway that does not exist.
  farm_id uuid,
  gateway_id uuid,
  payload bytea,
  reason_code text not null check (reason_code ~ '^[a-z][a-z0-9_]*$'),
  reason text not null,
  details jsonb
);
create index rejected_messages_received on rejected_messages (received_at desc);

create table audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor_kind text not null check (actor_kind in ('user', 'api_key', 'gateway', 'system')),
  actor_id text,
  action text not null check (action in ('create', 'update', 'delete', 'login', 'logout', 'import', 'rotate_secret', 'seed')),
  entity_type text not null,
  entity_id text,
  before jsonb,
  after jsonb,
  request_id text
);
create index audit_log_entity on audit_log (entity_type, entity_id, at desc);
create index audit_log_at on audit_log (at desc);
