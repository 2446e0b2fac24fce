-- Privileges, applied by every install: schema and the read-only tables are visible to
-- everybody; functions are executable by the role that needs them (pgq_reader consumes,
-- pgq_writer produces, pgq_admin manages and runs maintenance; pgq_admin is a member of both).

grant usage on schema pgq to public;

grant select on pgq.consumer, pgq.queue, pgq.tick, pgq.subscription to public;
grant select on pgq.consumer, pgq.queue, pgq.tick, pgq.subscription to pgq_reader;
grant select, insert, update, delete on pgq.consumer, pgq.queue, pgq.tick, pgq.subscription to pgq_admin;
grant select on pgq.queue_ticker_on_commit to public;
grant select, insert, delete on pgq.queue_ticker_on_commit to pgq_admin;
revoke all on pgq.event_template from public;
grant select on pgq.event_template to pgq_reader;
grant select, insert, truncate on pgq.event_template to pgq_admin;
revoke all on pgq.retry_queue from public;
grant select, insert, update, delete on pgq.retry_queue to pgq_admin;

-- every function of the schema starts without the PUBLIC default, then gets its grantee
do $$
declare
    v_fn regprocedure;
begin
    for v_fn in
        select p.oid from pg_catalog.pg_proc p
         where p.pronamespace = 'pgq'::regnamespace and p.prokind = 'f'
    loop
        execute 'revoke all on function ' || v_fn || ' from public';
    end loop;
end $$;

grant execute on function
    pgq.seq_getval(text),
    pgq.get_queue_info(), pgq.get_queue_info(text),
    pgq.get_consumer_info(), pgq.get_consumer_info(text), pgq.get_consumer_info(text, text),
    pgq.quote_fqname(text),
    pgq.version()
to public;

grant execute on function
    pgq.batch_event_sql(bigint),
    pgq.batch_event_tables(bigint),
    pgq.find_tick_helper(int4, int8, timestamptz, int8, int8, interval),
    pgq.register_consumer(text, text),
    pgq.register_consumer_at(text, text, bigint),
    pgq.unregister_consumer(text, text),
    pgq.next_batch_info(text, text),
    pgq.next_batch(text, text),
    pgq.next_batch_custom(text, text, interval, int4, interval),
    pgq.get_batch_events(bigint),
    pgq.get_batch_info(bigint),
    pgq.get_batch_cursor(bigint, text, int4, text),
    pgq.get_batch_cursor(bigint, text, int4),
    pgq.event_retry(bigint, bigint, timestamptz),
    pgq.event_retry(bigint, bigint, integer),
    pgq.batch_retry(bigint, integer),
    pgq.force_tick(text),
    pgq.finish_batch(bigint)
to pgq_reader;

grant execute on function
    pgq.insert_event(text, text, text),
    pgq.insert_event(text, text, text, text, text, text, text),
    pgq.current_event_table(text)
to pgq_writer;

grant execute on function
    pgq.ticker(text, bigint, timestamptz, bigint),
    pgq.ticker(text),
    pgq.ticker(),
    pgq._tick_after_commit(text),
    pgq.maint_retry_events(),
    pgq.maint_rotate_tables_step1(text),
    pgq.maint_rotate_tables_step2(),
    pgq.maint_tables_to_vacuum(),
    pgq.maint_operations(),
    pgq.upgrade_schema(),
    pgq.grant_perms(text),
    pgq._grant_perms_from(text, text, text, text),
    pgq.tune_storage(text),
    pgq.seq_setval(text, int8),
    pgq.create_queue(text),
    pgq.drop_queue(text, bool),
    pgq.drop_queue(text),
    pgq.set_queue_config(text, text, text),
    pgq.insert_event_raw(text, bigint, timestamptz, int4, int4, text, text, text, text, text, text),
    pgq.event_retry_raw(text, text, timestamptz, bigint, timestamptz, int4, text, text, text, text, text, text),
    -- helpers of our own, reached from the functions above without security definer
    pgq._check_tx_limit(int4, text, int4),
    pgq._function_exists(text, text)
to pgq_admin;
