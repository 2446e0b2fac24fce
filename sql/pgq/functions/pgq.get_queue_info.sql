create or replace function pgq.get_queue_info(
    out queue_name text, out queue_ntables integer, out queue_cur_table integer,
    out queue_rotation_period interval, out queue_switch_time timestamptz,
    out queue_external_ticker boolean, out queue_ticker_paused boolean,
    out queue_ticker_max_count integer, out queue_ticker_max_lag interval,
    out queue_ticker_idle_period interval, out ticker_lag interval,
    out ev_per_sec float8, out ev_new bigint, out last_tick_id bigint)
returns setof record as $$
-- Settings and ticker state of every queue.
begin
    return query select * from pgq.get_queue_info(null);
end;
$$ language plpgsql;

create or replace function pgq.get_queue_info(i_queue_name text,
    out queue_name text, out queue_ntables integer, out queue_cur_table integer,
    out queue_rotation_period interval, out queue_switch_time timestamptz,
    out queue_external_ticker boolean, out queue_ticker_paused boolean,
    out queue_ticker_max_count integer, out queue_ticker_max_lag interval,
    out queue_ticker_idle_period interval, out ticker_lag interval,
    out ev_per_sec float8, out ev_new bigint, out last_tick_id bigint)
returns setof record as $$
-- Settings and ticker state of one queue (NULL: all queues), ordered by name. ev_new counts
-- events not yet covered by a tick (approximate: sequence values leak); ev_per_sec is the
-- event rate over about the last 20 ticks.
declare
    v_q record;
    v_last record;
    v_old record;
    v_span float8;
begin
    for v_q in
        select q.* from pgq.queue q
         where i_queue_name is null or q.queue_name = i_queue_name
         order by q.queue_name
    loop
        queue_name := v_q.queue_name;
        queue_ntables := v_q.queue_ntables;
        queue_cur_table := v_q.queue_cur_table;
        queue_rotation_period := v_q.queue_rotation_period;
        queue_switch_time := v_q.queue_switch_time;
        queue_external_ticker := v_q.queue_external_ticker;
        queue_ticker_paused := v_q.queue_ticker_paused;
        queue_ticker_max_count := v_q.queue_ticker_max_count;
        queue_ticker_max_lag := v_q.queue_ticker_max_lag;
        queue_ticker_idle_period := v_q.queue_ticker_idle_period;

        select t.tick_id, t.tick_time, t.tick_event_seq into v_last
          from pgq.tick t where t.tick_queue = v_q.queue_id
         order by t.tick_queue desc, t.tick_id desc limit 1;
        last_tick_id := v_last.tick_id;
        ticker_lag := now() - v_last.tick_time;
        ev_new := pgq.seq_getval(v_q.queue_event_seq) - v_last.tick_event_seq;
        ev_per_sec := null;
        if v_last.tick_id is not null then
            select t.tick_time, t.tick_event_seq into v_old
              from pgq.tick t where t.tick_queue = v_q.queue_id and t.tick_id >= v_last.tick_id - 20
             order by t.tick_queue, t.tick_id limit 1;
            v_span := extract(epoch from v_last.tick_time - v_old.tick_time);
            if v_span > 0 then
                ev_per_sec := (v_last.tick_event_seq - v_old.tick_event_seq) / v_span;
            end if;
        end if;
        return next;
    end loop;
end;
$$ language plpgsql;
