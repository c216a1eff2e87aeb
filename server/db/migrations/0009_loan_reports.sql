-- Every post-loan report issued, with the data it was drawn from: a filed copy (PDF, HTML, CSV or
-- JSON) carries its content hash, and this table answers who generated which report, for which
-- loan and period, and lets the hash be recomputed from the stored data.
create table loan_reports (
  id uuid primary key,
  loan_id uuid not null references loans (id),
  branch_id uuid not null references branches (id),
  period_from timestamptz not null,
  period_to timestamptz not null,
  generated_at timestamptz not null,
  -- the display name and email of the user, or the command line (and OS user) of a batch run.
  generated_by text not null,
  generated_by_user_id uuid references users (id),
  content_hash text not null unique,
  data jsonb not null,
  -- sha256 (hex) of the PDF bytes when a PDF was rendered from this report.
  pdf_sha256 text,
  check (period_from < period_to)
);
create index loan_reports_loan on loan_reports (loan_id, generated_at desc);
