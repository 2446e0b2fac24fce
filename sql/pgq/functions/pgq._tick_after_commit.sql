create or replace function pgq._tick_after_commit(i_queue_name text)
returns bigint as $$
-- The tick pgqd makes for a ticker_on_commit queue when a transaction that wrote into it has
-- committed: pgq.ticker()'s own rules first, and a tick anyway when the queue holds events that
-- its last tick counted but did not see, their transactions having committed after it. pgq.ticker()
-- counts new events by the event sequence, so an event whose id was taken before the last tick
-- but committed after it counts as nothing new, and would wait for the next event or for
-- ticker_max_lag. Returns the new tick id, or NULL when no tick was needed.
declare
    v_tick_id bigint;
    v_q record;
    v_last record;
    v_late boolean;
begin
    v_tick_id := pgq.ticker(i_queue_name);
    if v_tick_id is not null then
        return v_tick_id;
    end if;
    select queue_id, queue_tick_seq, queue_event_seq, queue_data_pfx into v_q
      from pgq.queue where queue_name = i_queue_name;
    select tick_snapshot, tick_event_seq into v_last
      from pgq.tick where tick_queue = v_q.queue_id
     order by tick_queue desc, tick_id desc limit 1;
    -- events counted by that tick (id up to its position) that its snapshot did not show: their
    -- transactions committed since; the ev_txid index keeps this to the recent rows
    execute 'select exists (select 1 from ' || pgq.quote_fqname(v_q.queue_data_pfx)
        || ' where ev_txid >= $1 and ev_id <= $2 and not txid_visible_in_snapshot(ev_txid, $3))'
        into v_late using txid_snapshot_xmin(v_last.tick_snapshot), v_last.tick_event_seq, v_last.tick_snapshot;
    if not v_late then
        return null;
    end if;
    insert into pgq.tick (tick_queue, tick_id, tick_event_seq)
        values (v_q.queue_id, nextval(pgq.quote_fqname(v_q.queue_tick_seq)), pgq.seq_getval(v_q.queue_event_seq))
        returning tick_id into v_tick_id;
    return v_tick_id;
end;
$$ language plpgsql security definer;
