-- CREATE OR REPLACE cannot change a function's result type, result columns or argument names,
-- and older PgQ versions declared some functions differently. Drop exactly those whose existing
-- declaration differs from ours (they are re-created below); matching ones are replaced in
-- place, so sessions using them are not disturbed. The list is every function this module
-- creates, as PostgreSQL prints it (a test checks it against the installed catalog).
do $$
declare
    v_fn record;
begin
    for v_fn in
        select p.oid::regprocedure as sig
          from (values
        ('pgq._check_tx_limit(integer,text,integer)', 'i_queue_id integer, i_queue_name text, i_limit integer', 'void'),
        ('pgq._function_exists(text,text)', 'i_schema text, i_name text', 'boolean'),
        ('pgq._generate_insert_dispatch()', '', 'integer'),
        ('pgq._grant_perms_from(text,text,text,text)', 'src_schema text, src_table text, dst_schema text, dst_table text', 'integer'),
        ('pgq._tick_after_commit(text)', 'i_queue_name text', 'bigint'),
        ('pgq._insert_dispatch_branch(integer[],text[],text[],integer[],boolean[],text,integer,integer)', 'i_ids integer[], i_tables text[], i_seqs text[], i_ntables integer[], i_wake boolean[], i_insert text, i_lo integer, i_hi integer', 'text'),
        ('pgq.batch_event_sql(bigint)', 'x_batch_id bigint', 'text'),
        ('pgq.batch_event_tables(bigint)', 'x_batch_id bigint', 'SETOF text'),
        ('pgq.batch_retry(bigint,integer)', 'i_batch_id bigint, i_retry_seconds integer', 'integer'),
        ('pgq.create_queue(text)', 'i_queue_name text', 'integer'),
        ('pgq.current_event_table(text)', 'x_queue_name text', 'text'),
        ('pgq.drop_queue(text)', 'x_queue_name text', 'integer'),
        ('pgq.drop_queue(text,boolean)', 'x_queue_name text, x_force boolean', 'integer'),
        ('pgq.event_retry(bigint,bigint,integer)', 'x_batch_id bigint, x_event_id bigint, x_retry_seconds integer', 'integer'),
        ('pgq.event_retry(bigint,bigint,timestamp with time zone)', 'x_batch_id bigint, x_event_id bigint, x_retry_time timestamp with time zone', 'integer'),
        ('pgq.event_retry_raw(text,text,timestamp with time zone,bigint,timestamp with time zone,integer,text,text,text,text,text,text)', 'x_queue text, x_consumer text, x_retry_after timestamp with time zone, x_ev_id bigint, x_ev_time timestamp with time zone, x_ev_retry integer, x_ev_type text, x_ev_data text, x_ev_extra1 text, x_ev_extra2 text, x_ev_extra3 text, x_ev_extra4 text', 'bigint'),
        ('pgq.find_tick_helper(integer,bigint,timestamp with time zone,bigint,bigint,interval)', 'i_queue_id integer, i_prev_tick_id bigint, i_prev_tick_time timestamp with time zone, i_prev_tick_seq bigint, i_min_count bigint, i_min_interval interval, OUT next_tick_id bigint, OUT next_tick_time timestamp with time zone, OUT next_tick_seq bigint', 'record'),
        ('pgq.finish_batch(bigint)', 'x_batch_id bigint', 'integer'),
        ('pgq.force_tick(text)', 'i_queue_name text', 'bigint'),
        ('pgq.get_batch_cursor(bigint,text,integer)', 'i_batch_id bigint, i_cursor_name text, i_quick_limit integer, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text', 'SETOF record'),
        ('pgq.get_batch_cursor(bigint,text,integer,text)', 'i_batch_id bigint, i_cursor_name text, i_quick_limit integer, i_extra_where text, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text', 'SETOF record'),
        ('pgq.get_batch_events(bigint)', 'x_batch_id bigint, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text', 'SETOF record'),
        ('pgq.get_batch_info(bigint)', 'x_batch_id bigint, OUT queue_name text, OUT consumer_name text, OUT batch_start timestamp with time zone, OUT batch_end timestamp with time zone, OUT prev_tick_id bigint, OUT tick_id bigint, OUT lag interval, OUT seq_start bigint, OUT seq_end bigint', 'record'),
        ('pgq.get_consumer_info()', 'OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint', 'SETOF record'),
        ('pgq.get_consumer_info(text)', 'i_queue_name text, OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint', 'SETOF record'),
        ('pgq.get_consumer_info(text,text)', 'i_queue_name text, i_consumer_name text, OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint', 'SETOF record'),
        ('pgq.get_queue_info()', 'OUT queue_name text, OUT queue_ntables integer, OUT queue_cur_table integer, OUT queue_rotation_period interval, OUT queue_switch_time timestamp with time zone, OUT queue_external_ticker boolean, OUT queue_ticker_paused boolean, OUT queue_ticker_max_count integer, OUT queue_ticker_max_lag interval, OUT queue_ticker_idle_period interval, OUT ticker_lag interval, OUT ev_per_sec double precision, OUT ev_new bigint, OUT last_tick_id bigint', 'SETOF record'),
        ('pgq.get_queue_info(text)', 'i_queue_name text, OUT queue_name text, OUT queue_ntables integer, OUT queue_cur_table integer, OUT queue_rotation_period interval, OUT queue_switch_time timestamp with time zone, OUT queue_external_ticker boolean, OUT queue_ticker_paused boolean, OUT queue_ticker_max_count integer, OUT queue_ticker_max_lag interval, OUT queue_ticker_idle_period interval, OUT ticker_lag interval, OUT ev_per_sec double precision, OUT ev_new bigint, OUT last_tick_id bigint', 'SETOF record'),
        ('pgq.grant_perms(text)', 'x_queue_name text', 'integer'),
        ('pgq.insert_event(text,text,text)', 'queue_name text, ev_type text, ev_data text', 'bigint'),
        ('pgq.insert_event(text,text,text,text,text,text,text)', 'queue_name text, ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text', 'bigint'),
        ('pgq.insert_event_raw(text,bigint,timestamp with time zone,integer,integer,text,text,text,text,text,text)', 'queue_name text, ev_id bigint, ev_time timestamp with time zone, ev_owner integer, ev_retry integer, ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text', 'bigint'),
        ('pgq.maint_operations()', 'OUT func_name text, OUT func_arg text', 'SETOF record'),
        ('pgq.maint_retry_events()', '', 'integer'),
        ('pgq.maint_rotate_tables_step1(text)', 'i_queue_name text', 'integer'),
        ('pgq.maint_rotate_tables_step2()', '', 'integer'),
        ('pgq.maint_tables_to_vacuum()', '', 'SETOF text'),
        ('pgq.next_batch(text,text)', 'i_queue_name text, i_consumer_name text', 'bigint'),
        ('pgq.next_batch_custom(text,text,interval,integer,interval)', 'i_queue_name text, i_consumer_name text, i_min_lag interval, i_min_count integer, i_min_interval interval, OUT batch_id bigint, OUT cur_tick_id bigint, OUT prev_tick_id bigint, OUT cur_tick_time timestamp with time zone, OUT prev_tick_time timestamp with time zone, OUT cur_tick_event_seq bigint, OUT prev_tick_event_seq bigint', 'record'),
        ('pgq.next_batch_info(text,text)', 'i_queue_name text, i_consumer_name text, OUT batch_id bigint, OUT cur_tick_id bigint, OUT prev_tick_id bigint, OUT cur_tick_time timestamp with time zone, OUT prev_tick_time timestamp with time zone, OUT cur_tick_event_seq bigint, OUT prev_tick_event_seq bigint', 'record'),
        ('pgq.quote_fqname(text)', 'i_name text', 'text'),
        ('pgq.register_consumer(text,text)', 'x_queue_name text, x_consumer_id text', 'integer'),
        ('pgq.register_consumer_at(text,text,bigint)', 'x_queue_name text, x_consumer_name text, x_tick_pos bigint', 'integer'),
        ('pgq.seq_getval(text)', 'i_seq_name text', 'bigint'),
        ('pgq.seq_setval(text,bigint)', 'i_seq_name text, i_new_value bigint', 'bigint'),
        ('pgq.set_queue_config(text,text,text)', 'x_queue_name text, x_param_name text, x_param_value text', 'integer'),
        ('pgq.ticker()', '', 'bigint'),
        ('pgq.ticker(text)', 'i_queue_name text', 'bigint'),
        ('pgq.ticker(text,bigint,timestamp with time zone,bigint)', 'i_queue_name text, i_tick_id bigint, i_orig_timestamp timestamp with time zone, i_event_seq bigint', 'bigint'),
        ('pgq.tune_storage(text)', 'i_queue_name text', 'integer'),
        ('pgq.unregister_consumer(text,text)', 'x_queue_name text, x_consumer_name text', 'integer'),
        ('pgq.upgrade_schema()', '', 'integer'),
        ('pgq.version()', '', 'text')
               ) as ours(sig, args, result),
               pg_catalog.pg_proc p
         where p.oid = to_regprocedure(ours.sig)
           and (pg_get_function_arguments(p.oid) <> ours.args
                or pg_get_function_result(p.oid) <> ours.result)
    loop
        execute 'drop function ' || v_fn.sig;
    end loop;
end $$;

-- Helpers earlier builds of this schema had and this one no longer has.
drop function if exists pgq._insert_dispatch_branch(int4[], text[], text[], int4[], text, int4, int4);
