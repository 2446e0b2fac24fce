create or replace function pgq_ext.version()
returns text as $$
    select '3.1'::text;
$$ language sql;
