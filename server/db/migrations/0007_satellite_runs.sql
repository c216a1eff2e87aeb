-- The satellite job's own bookkeeping: its runs, the STAC items it has seen (and those that
-- failed), which items each parcel has been classified with, each parcel's latest result, and the
-- per-pixel rasters the map tiles are drawn from. parcel_observations (0002) keeps the per-scene
-- history.

-- One run of the job: counts, and the items that failed with their reasons.
create table satellite_runs (
  id bigint generated always as identity primary key,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  trigger text not null check (trigger in ('schedule', 'api')),
  requested_by uuid references users (id),
  sources text[] not null default '{}',
  items_seen integer not null default 0,
  items_new integer not null default 0,
  items_failed integer not null default 0,
  parcels_classified integer not null default 0,
  observations_written integer not null default 0,
  alerts_evaluated integer not null default 0,
  -- [{itemId, code, reason}]
  failures jsonb not null default '[]'::jsonb,
  error text,
  check ((status = 'running') = (finished_at is null))
);
create index satellite_runs_started on satellite_runs (started_at desc);

-- Every STAC item the job has met. An item that fails is retried on later runs until `attempts`
-- reaches the job's limit; its failure is also recorded in rejected_messages (source 'tile').
create table satellite_items (
  item_id text primary key,
  href text not null,
  observed_at timestamptz not null,
  epsg integer not null,
  status text not null check (status in ('ok', 'failed')),
  failure_code text,
  failure_reason text,
  attempts integer not null default 0,
  first_seen_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (status = 'ok' or failure_code is not null)
);

-- Which items a parcel has been classified with: an item new to a parcel makes the job classify
-- the parcel's season again.
create table satellite_parcel_items (
  parcel_id uuid not null references parcels (id) on delete cascade,
  item_id text not null references satellite_items (item_id),
  run_id bigint not null references satellite_runs (id),
  processed_at timestamptz not null default now(),
  primary key (parcel_id, item_id)
);

-- Each parcel's latest check from space.
create table parcel_satellite_status (
  parcel_id uuid primary key references parcels (id) on delete cascade,
  status text not null check (status in ('verified', 'mismatch', 'area_shortfall', 'cannot_verify')),
  reason text not null,
  predicted_crop_code integer,
  predicted_confidence real check (predicted_confidence between 0 and 1),
  class_fractions jsonb,
  planted_area_m2 double precision check (planted_area_m2 >= 0),
  clear_observations integer not null check (clear_observations >= 0),
  last_scene_at timestamptz,
  last_clear_at timestamptz,
  -- [{kind: 'vegetation_loss' | 'early_harvest', date, ...}]
  markers jsonb not null default '[]'::jsonb,
  -- [{date, sceneId, ndvi}]
  ndvi_series jsonb not null default '[]'::jsonb,
  model_version text,
  run_id bigint not null references satellite_runs (id),
  updated_at timestamptz not null default now(),
  -- when the result was last handed to the alert engine; null or older than updated_at: due.
  alerts_evaluated_at timestamptz
);

-- The classified crop and the latest clear NDVI of each of a parcel's pixels, on the parcel's
-- window of its scenes' grid, for the map tiles. Little-endian arrays, row-major, width x height:
-- crop_codes uint16 (0: no pixel), ndvi int16 (NDVI x 10 000; -32768: none).
create table parcel_rasters (
  parcel_id uuid primary key references parcels (id) on delete cascade,
  epsg integer not null,
  -- [a, b, c, d, e, f] of the window's upper-left pixel (GDAL order).
  transform jsonb not null,
  width integer not null check (width > 0),
  height integer not null check (height > 0),
  crop_codes bytea not null,
  ndvi bytea not null,
  min_lng double precision not null,
  min_lat double precision not null,
  max_lng double precision not null,
  max_lat double precision not null,
  updated_at timestamptz not null default now()
);
create index parcel_rasters_bbox on parcel_rasters (min_lng, max_lng, min_lat, max_lat);
