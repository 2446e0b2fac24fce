-- The triggers and the helpers they call run as the user changing the table, so producers
-- (members of pgq_writer) get them all, as they get pgq.insert_event; nobody else does.
do $$
declare
    v_fn regprocedure;
begin
    for v_fn in
        select p.oid from pg_catalog.pg_proc p
         where p.pronamespace = 'pgq'::regnamespace and p.prokind = 'f'
           and (p.proname in ('logutriga', 'sqltriga', 'jsontriga', '_urlencode') or p.proname like '\_trg\_%')
           and p.proname not in ('_trg_ddl_bump', '_trg_gen_ddl', '_trg_generate', '_trg_gen_stamp')
    loop
        execute 'revoke all on function ' || v_fn || ' from public';
        execute 'grant execute on function ' || v_fn || ' to pgq_writer';
    end loop;
end $$;
-- Regenerating the triggers' code is for the event trigger and the administrators.
revoke all on function pgq._trg_generate(), pgq._trg_gen_stamp() from public;
grant execute on function pgq._trg_generate() to pgq_admin;
