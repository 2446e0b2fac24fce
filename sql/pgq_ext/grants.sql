-- version() for everybody, the rest for producers/consumers writing into this database. The
-- pgq_writer role exists only where pgq is installed; pgq_ext does not require pgq.
grant execute on function pgq_ext.version() to public;
do $$
begin
    if exists (select 1 from pg_catalog.pg_roles where rolname = 'pgq_writer') then
        grant execute on function
            pgq_ext.is_batch_done(text, text, bigint), pgq_ext.is_batch_done(text, bigint),
            pgq_ext.set_batch_done(text, text, bigint), pgq_ext.set_batch_done(text, bigint),
            pgq_ext.get_last_tick(text, text), pgq_ext.get_last_tick(text),
            pgq_ext.set_last_tick(text, text, bigint), pgq_ext.set_last_tick(text, bigint),
            pgq_ext.is_event_done(text, text, bigint, bigint), pgq_ext.is_event_done(text, bigint, bigint),
            pgq_ext.set_event_done(text, text, bigint, bigint), pgq_ext.set_event_done(text, bigint, bigint),
            pgq_ext.upgrade_schema()
        to pgq_writer;
    end if;
end $$;
