-- The bank's portfolio: who lends to whom, against which farms, parcels and herds, and the
-- devices that watch them. Geometry is stored as GeoJSON (jsonb, WGS84 [lng, lat]) with its
-- bounding box in plain columns, so the same SQL runs on TimescaleDB and on the embedded database.

create table branches (
  id uuid primary key default gen_random_uuid(),
  code text not null unique check (code ~ '^[A-Z0-9_-]{2,16}$'),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

create table users (
  id uuid primary key default gen_random_uuid(),
  branch_id uuid references branches (id),
  email text not null check (email ~ '^[^@\s]+@[^@\s]+$'),
  display_name text not null,
  role text not null check (role in ('officer', 'supervisor', 'admin')),
  -- null until a password is set: such a user cannot log in.
  password_hash text,
  disabled_at timestamptz,
  created_at timestamptz not null default now(),
  -- everyone but an admin works for one branch.
  check (role = 'admin' or branch_id is not null)
);
create unique index users_email_unique on users (lower(email));

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id),
  name text not null,
  -- first characters of the key, shown in listings so a key can be recognised without revealing it.
  prefix text not null unique,
  key_hash text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

create table sessions (
  id_hash text primary key,
  user_id uuid not null references users (id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index sessions_user on sessions (user_id);

create table borrowers (
  id uuid primary key default gen_random_uuid(),
  branch_id uuid not null references branches (id),
  ref text not null unique,
  name text not null check (length(name) between 1 and 300),
  registration_no text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index borrowers_branch on borrowers (branch_id);

create table loans (
  id uuid primary key default gen_random_uuid(),
  borrower_id uuid not null references borrowers (id),
  branch_id uuid not null references branches (id),
  officer_id uuid references users (id),
  reference text not null unique,
  amount numeric(18, 2) not null check (amount > 0),
  balance numeric(18, 2) not null check (balance >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  status text not null default 'active' check (status in ('active', 'closed', 'defaulted')),
  disbursed_on date,
  matures_on date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (matures_on is null or disbursed_on is null or matures_on > disbursed_on)
);
create index loans_borrower on loans (borrower_id);
create index loans_branch on loans (branch_id);

create table crop_types (
  code integer primary key check (code >= 0),
  name text not null
);

create table farms (
  id uuid primary key default gen_random_uuid(),
  borrower_id uuid not null references borrowers (id),
  code text not null unique,
  name text not null,
  -- the farm boundary is also the livestock geofence.
  boundary jsonb not null check (boundary ->> 'type' in ('Polygon', 'MultiPolygon')),
  area_m2 double precision not null check (area_m2 > 0),
  min_lng double precision not null,
  min_lat double precision not null,
  max_lng double precision not null,
  max_lat double precision not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (min_lng <= max_lng and min_lat <= max_lat),
  check (min_lng >= -180 and max_lng <= 180 and min_lat >= -90 and max_lat <= 90)
);
create index farms_borrower on farms (borrower_id);
create index farms_bbox on farms (min_lng, max_lng, min_lat, max_lat);

create table parcels (
  id uuid primary key default gen_random_uuid(),
  farm_id uuid not null references farms (id),
  loan_id uuid references loans (id),
  code text not null,
  geometry jsonb not null check (geometry ->> 'type' in ('Polygon', 'MultiPolygon')),
  area_m2 double precision not null check (area_m2 > 0),
  min_lng double precision not null,
  min_lat double precision not null,
  max_lng double precision not null,
  max_lat double precision not null,
  declared_crop_code integer references crop_types (code),
  declared_area_m2 double precision check (declared_area_m2 > 0),
  season text not null,
  season_start date,
  season_end date,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (farm_id, code, season),
  check (season_end is null or season_start is null or season_end > season_start)
);
create index parcels_farm on parcels (farm_id);
create index parcels_loan on parcels (loan_id);
create index parcels_bbox on parcels (min_lng, max_lng, min_lat, max_lat);

create table herds (
  id uuid primary key default gen_random_uuid(),
  farm_id uuid not null references farms (id),
  loan_id uuid references loans (id),
  code text not null unique,
  name text not null,
  species text not null check (species in ('cattle', 'sheep', 'goat', 'pig', 'horse')),
  pledged_head_count integer not null check (pledged_head_count >= 0),
  value_per_head numeric(18, 2) check (value_per_head >= 0),
  currency char(3) check (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index herds_farm on herds (farm_id);
create index herds_loan on herds (loan_id);

-- Devices. A gateway is the farm's MQTT client; it authenticates with a secret we only keep hashed.
create table gateways (
  id uuid primary key default gen_random_uuid(),
  farm_id uuid not null references farms (id),
  code text not null unique,
  name text not null,
  secret_hash text not null,
  secret_rotated_at timestamptz not null default now(),
  last_seen_at timestamptz,
  disabled_at timestamptz,
  created_at timestamptz not null default now()
);
create index gateways_farm on gateways (farm_id);

-- An ear tag pledged in a herd. The same physical tag code may be registered on two herds: that is
-- a double pledge the alerts must find, so the code is unique per herd, not globally.
create table ear_tags (
  id uuid primary key default gen_random_uuid(),
  herd_id uuid not null references herds (id),
  tag_code text not null check (length(tag_code) between 1 and 64),
  bound_at timestamptz not null default now(),
  unbound_at timestamptz,
  unique (herd_id, tag_code),
  check (unbound_at is null or unbound_at > bound_at)
);
create index ear_tags_code on ear_tags (tag_code);

create table cameras (
  id uuid primary key default gen_random_uuid(),
  farm_id uuid not null references farms (id),
  gateway_id uuid references gateways (id),
  code text not null unique,
  name text not null,
  zone text,
  created_at timestamptz not null default now()
);
create index cameras_farm on cameras (farm_id);

-- Portfolio settings that value the collateral, each valid from a date.
create table crop_prices (
  crop_code integer not null references crop_types (code),
  valid_from date not null,
  price_per_tonne numeric(18, 2) not null check (price_per_tonne >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  primary key (crop_code, valid_from)
);

create table crop_yields (
  crop_code integer not null references crop_types (code),
  valid_from date not null,
  tonnes_per_ha double precision not null check (tonnes_per_ha >= 0),
  primary key (crop_code, valid_from)
);

-- Alert rule thresholds overridden for one loan, herd or parcel (defaults live in the rule code).
create table alert_rule_settings (
  id uuid primary key default gen_random_uuid(),
  rule text not null,
  scope_type text not null check (scope_type in ('portfolio', 'branch', 'loan', 'farm', 'herd', 'parcel')),
  scope_id uuid,
  params jsonb not null,
  updated_at timestamptz not null default now(),
  check ((scope_type = 'portfolio') = (scope_id is null))
);
create unique index alert_rule_settings_scope
  on alert_rule_settings (rule, scope_type, coalesce(scope_id, '00000000-0000-0000-0000-000000000000'));
