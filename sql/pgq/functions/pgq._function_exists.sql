create or replace function pgq._function_exists(i_schema text, i_name text)
returns boolean as $$
-- Whether a function of that name exists in that schema (any arguments).
    select exists (select 1 from pg_catalog.pg_proc p, pg_catalog.pg_namespace n
                    where n.oid = p.pronamespace and n.nspname = i_schema and p.proname = i_name);
$$ language sql stable;
