create or replace function pgq.ticker(i_queue_name text, i_tick_id bigint, i_orig_timestamp timestamptz,
    i_event_seq bigint)
returns bigint as $$
-- External tick: reproduces a tick of another node (same id, time and event position) on a
-- queue whose ticks come from outside; the snapshot is our own. Returns i_tick_id.
declare
    v_q record;
begin
    select queue_id, queue_tick_seq, queue_event_seq into v_q
      from pgq.queue
     where queue_name = i_queue_name and queue_external_ticker and not queue_ticker_paused;
    if not found then
        raise exception 'queue not found or ticker disabled: %', i_queue_name;
    end if;
    insert into pgq.tick (tick_queue, tick_id, tick_time, tick_event_seq)
        values (v_q.queue_id, i_tick_id, i_orig_timestamp, i_event_seq);
    -- keep our sequences ahead of the external positions, never move them back
    perform pgq.seq_setval(v_q.queue_tick_seq, i_tick_id);
    perform pgq.seq_setval(v_q.queue_event_seq, i_event_seq);
    return i_tick_id;
end;
$$ language plpgsql security definer;

create or replace function pgq.ticker(i_queue_name text)
returns bigint as $$
-- Internal ticker for one queue: inserts a new tick when enough events are waiting, when they
-- have waited long enough, or (idle queue) when the gap since the last tick has grown enough.
-- Returns the new tick id, or NULL when no tick was needed.
declare
    v_q record;
    v_last record;
    v_prev_time timestamptz;
    v_seq bigint;
    v_new_events bigint;
    v_lag interval;
    v_txid bigint;
    v_tick_id bigint;
begin
    select queue_id, queue_tick_seq, queue_event_seq, queue_external_ticker, queue_ticker_paused,
           queue_ticker_max_count, queue_ticker_max_lag, queue_ticker_idle_period
      into v_q
      from pgq.queue where queue_name = i_queue_name;
    if not found then
        raise exception 'no such queue';
    end if;
    if v_q.queue_external_ticker then
        raise exception 'This queue has external tick source.';
    end if;
    if v_q.queue_ticker_paused then
        raise exception 'Ticker has been paused for this queue';
    end if;

    v_seq := pgq.seq_getval(v_q.queue_event_seq);
    select tick_id, tick_time, tick_snapshot, tick_event_seq into v_last
      from pgq.tick where tick_queue = v_q.queue_id
     order by tick_queue desc, tick_id desc limit 1;
    if found then
        v_txid := txid_current();
        if txid_snapshot_xmin(v_last.tick_snapshot) > v_txid then
            raise exception 'Invalid PgQ state: old xmin=%, old xmax=%, cur txid=%',
                txid_snapshot_xmin(v_last.tick_snapshot), txid_snapshot_xmax(v_last.tick_snapshot), v_txid;
        end if;
        v_new_events := v_seq - v_last.tick_event_seq;
        if v_new_events < 0 then
            raise warning 'Negative new_events?  old=% cur=%', v_last.tick_event_seq, v_seq;
        end if;
        if txid_snapshot_xmax(v_last.tick_snapshot) > v_txid then
            raise warning 'Dubious PgQ state: old xmax=%, cur txid=%',
                txid_snapshot_xmax(v_last.tick_snapshot), v_txid;
        end if;

        v_lag := now() - v_last.tick_time;
        if v_new_events > 0 then
            if v_new_events < v_q.queue_ticker_max_count and v_lag < v_q.queue_ticker_max_lag then
                return null;
            end if;
        else
            -- idle: tick at growing intervals (each about twice the previous) up to idle_period
            select tick_time into v_prev_time
              from pgq.tick where tick_queue = v_q.queue_id and tick_id < v_last.tick_id
             order by tick_queue desc, tick_id desc limit 1;
            if found then
                if v_lag < v_q.queue_ticker_max_lag / 2 then
                    return null;
                end if;
                if v_lag < 2 * (v_last.tick_time - v_prev_time)
                   and v_lag < v_q.queue_ticker_idle_period then
                    return null;
                end if;
            end if;
        end if;
    end if;

    insert into pgq.tick (tick_queue, tick_id, tick_event_seq)
        values (v_q.queue_id, nextval(pgq.quote_fqname(v_q.queue_tick_seq)), v_seq)
        returning tick_id into v_tick_id;
    return v_tick_id;
end;
$$ language plpgsql security definer;

create or replace function pgq.ticker()
returns bigint as $$
-- Runs the internal ticker on every queue that ticks by itself; returns how many got a tick.
declare
    v_queue_name text;
    v_count bigint := 0;
begin
    for v_queue_name in
        select queue_name from pgq.queue
         where not queue_external_ticker and not queue_ticker_paused
         order by queue_name
    loop
        if pgq.ticker(v_queue_name) > 0 then
            v_count := v_count + 1;
        end if;
    end loop;
    return v_count;
end;
$$ language plpgsql security definer;
