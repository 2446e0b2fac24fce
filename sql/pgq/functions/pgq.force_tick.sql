create or replace function pgq.force_tick(i_queue_name text)
returns bigint as $$
-- Makes the next ticker run tick this queue, by moving its event sequence far enough ahead to
-- look like a full batch. Ticking here directly is not safe: ticks must come from the single
-- ticker. Returns the newest tick id now; callers poll until it changes.
declare
    v_q record;
    v_tick_id bigint;
begin
    select queue_id, queue_event_seq, queue_ticker_max_count into v_q
      from pgq.queue
     where queue_name = i_queue_name and not queue_external_ticker and not queue_ticker_paused;
    if found then
        perform pgq.seq_setval(v_q.queue_event_seq,
            nextval(pgq.quote_fqname(v_q.queue_event_seq)) + v_q.queue_ticker_max_count * 2 + 1000);
    end if;
    select t.tick_id into v_tick_id
      from pgq.tick t, pgq.queue q
     where q.queue_name = i_queue_name and t.tick_queue = q.queue_id
     order by t.tick_queue desc, t.tick_id desc limit 1;
    return v_tick_id;
end;
$$ language plpgsql security definer;
