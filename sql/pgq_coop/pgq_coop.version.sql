create or replace function pgq_coop.version()
returns text as $$
    select '3.1.1'::text;
$$ language sql;
