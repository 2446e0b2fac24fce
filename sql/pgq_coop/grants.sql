-- Consumers (pgq_reader) use the group functions; version() is for everybody.
do $$
declare
    v_fn regprocedure;
begin
    for v_fn in
        select p.oid from pg_catalog.pg_proc p
         where p.pronamespace = 'pgq_coop'::regnamespace and p.prokind = 'f'
    loop
        execute 'revoke all on function ' || v_fn || ' from public';
        execute 'grant execute on function ' || v_fn || ' to pgq_reader';
    end loop;
end $$;
grant execute on function pgq_coop.version() to public;
