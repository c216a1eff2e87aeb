-- The loan's collateral file: portfolio values per head of livestock (with a date, like crop
-- prices and yields) and the history of every loan's balance, so coverage can be computed for
-- any past moment.

-- Value per head by species, valid from a date (the herd's own value_per_head takes precedence).
create table livestock_values (
  species text not null check (species in ('cattle', 'sheep', 'goat', 'pig', 'horse')),
  valid_from date not null,
  value_per_head numeric(18, 2) not null check (value_per_head >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  primary key (species, valid_from)
);

-- A loan's balance from `valid_from` until the next row. Filled by the trigger below, never by
-- hand: a new loan gets a row at its created_at, a changed balance a row at the change's
-- transaction time (two changes in one transaction keep the last).
create table loan_balances (
  loan_id uuid not null references loans (id) on delete cascade,
  valid_from timestamptz not null,
  balance numeric(18, 2) not null check (balance >= 0),
  primary key (loan_id, valid_from)
);

create function record_loan_balance() returns trigger
language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    insert into loan_balances (loan_id, valid_from, balance)
    values (new.id, new.created_at, new.balance)
    on conflict (loan_id, valid_from) do update set balance = excluded.balance;
  elsif new.balance is distinct from old.balance then
    insert into loan_balances (loan_id, valid_from, balance)
    values (new.id, now(), new.balance)
    on conflict (loan_id, valid_from) do update set balance = excluded.balance;
  end if;
  return null;
end;
$$;

create trigger loans_record_balance
  after insert or update of balance on loans
  for each row execute function record_loan_balance();

-- Loans that existed before this migration: their current balance since they were created.
insert into loan_balances (loan_id, valid_from, balance)
select id, created_at, balance from loans
on conflict (loan_id, valid_from) do nothing;
