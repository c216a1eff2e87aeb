-- Only where TimescaleDB can be used: turn the observation tables into hypertables.
-- Chunk intervals follow the expected volume: tag fixes arrive every few minutes from thousands of
-- tags (1 day), camera counts are sparser (7 days), a parcel is seen every few days (90 days).
create extension if not exists timescaledb;

select create_hypertable('tag_readings', by_range('observed_at', interval '1 day'), migrate_data => true);
select create_hypertable('camera_counts', by_range('observed_at', interval '7 days'), migrate_data => true);
select create_hypertable('parcel_observations', by_range('observed_at', interval '90 days'), migrate_data => true);
