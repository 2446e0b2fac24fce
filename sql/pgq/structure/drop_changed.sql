-- CREATE OR REPLACE cannot change a function's result columns or argument names, and older PgQ
-- versions declared some functions differently. Drop exactly those whose existing declaration
-- differs from ours (they are re-created below); matching ones are replaced in place, so
-- sessions using them are not disturbed.
do $$
declare
    v_fn record;
begin
    for v_fn in
        select p.oid::regprocedure as sig
          from (values
        ('pgq.find_tick_helper(integer,bigint,timestamp with time zone,bigint,bigint,interval)', 'i_queue_id integer, i_prev_tick_id bigint, i_prev_tick_time timestamp with time zone, i_prev_tick_seq bigint, i_min_count bigint, i_min_interval interval, OUT next_tick_id bigint, OUT next_tick_time timestamp with time zone, OUT next_tick_seq bigint', 'record'),
        ('pgq.get_batch_cursor(bigint,text,integer)', 'i_batch_id bigint, i_cursor_name text, i_quick_limit integer, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text', 'SETOF record'),
        ('pgq.get_batch_cursor(bigint,text,integer,text)', 'i_batch_id bigint, i_cursor_name text, i_quick_limit integer, i_extra_where text, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text', 'SETOF record'),
        ('pgq.get_batch_events(bigint)', 'x_batch_id bigint, OUT ev_id bigint, OUT ev_time timestamp with time zone, OUT ev_txid bigint, OUT ev_retry integer, OUT ev_type text, OUT ev_data text, OUT ev_extra1 text, OUT ev_extra2 text, OUT ev_extra3 text, OUT ev_extra4 text', 'SETOF record'),
        ('pgq.get_batch_info(bigint)', 'x_batch_id bigint, OUT queue_name text, OUT consumer_name text, OUT batch_start timestamp with time zone, OUT batch_end timestamp with time zone, OUT prev_tick_id bigint, OUT tick_id bigint, OUT lag interval, OUT seq_start bigint, OUT seq_end bigint', 'record'),
        ('pgq.get_consumer_info()', 'OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint', 'SETOF record'),
        ('pgq.get_consumer_info(text)', 'i_queue_name text, OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint', 'SETOF record'),
        ('pgq.get_consumer_info(text,text)', 'i_queue_name text, i_consumer_name text, OUT queue_name text, OUT consumer_name text, OUT lag interval, OUT last_seen interval, OUT last_tick bigint, OUT current_batch bigint, OUT next_tick bigint, OUT pending_events bigint', 'SETOF record'),
        ('pgq.get_queue_info()', 'OUT queue_name text, OUT queue_ntables integer, OUT queue_cur_table integer, OUT queue_rotation_period interval, OUT queue_switch_time timestamp with time zone, OUT queue_external_ticker boolean, OUT queue_ticker_paused boolean, OUT queue_ticker_max_count integer, OUT queue_ticker_max_lag interval, OUT queue_ticker_idle_period interval, OUT ticker_lag interval, OUT ev_per_sec double precision, OUT ev_new bigint, OUT last_tick_id bigint', 'SETOF record'),
        ('pgq.get_queue_info(text)', 'i_queue_name text, OUT queue_name text, OUT queue_ntables integer, OUT queue_cur_table integer, OUT queue_rotation_period interval, OUT queue_switch_time timestamp with time zone, OUT queue_external_ticker boolean, OUT queue_ticker_paused boolean, OUT queue_ticker_max_count integer, OUT queue_ticker_max_lag interval, OUT queue_ticker_idle_period interval, OUT ticker_lag interval, OUT ev_per_sec double precision, OUT ev_new bigint, OUT last_tick_id bigint', 'SETOF record'),
        ('pgq.maint_operations()', 'OUT func_name text, OUT func_arg text', 'SETOF record'),
        ('pgq.next_batch_custom(text,text,interval,integer,interval)', 'i_queue_name text, i_consumer_name text, i_min_lag interval, i_min_count integer, i_min_interval interval, OUT batch_id bigint, OUT cur_tick_id bigint, OUT prev_tick_id bigint, OUT cur_tick_time timestamp with time zone, OUT prev_tick_time timestamp with time zone, OUT cur_tick_event_seq bigint, OUT prev_tick_event_seq bigint', 'record'),
        ('pgq.next_batch_info(text,text)', 'i_queue_name text, i_consumer_name text, OUT batch_id bigint, OUT cur_tick_id bigint, OUT prev_tick_id bigint, OUT cur_tick_time timestamp with time zone, OUT prev_tick_time timestamp with time zone, OUT cur_tick_event_seq bigint, OUT prev_tick_event_seq bigint', 'record')
               ) as ours(sig, args, result),
               pg_catalog.pg_proc p
         where p.oid = to_regprocedure(ours.sig)
           and (pg_get_function_arguments(p.oid) <> ours.args
                or pg_get_function_result(p.oid) <> ours.result)
    loop
        execute 'drop function ' || v_fn.sig;
    end loop;
end $$;
