create or replace function pgq.event_retry(x_batch_id bigint, x_event_id bigint, x_retry_time timestamptz)
returns integer as $$
-- Schedules one event of an open batch to come back to this subscription at x_retry_time.
-- Returns 1, or 0 when the event is already waiting for retry.
begin
    insert into pgq.retry_queue (ev_retry_after, ev_queue, ev_id, ev_time, ev_txid, ev_owner,
            ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4)
    select x_retry_time, s.sub_queue, e.ev_id, e.ev_time, null, s.sub_id,
           coalesce(e.ev_retry, 0) + 1, e.ev_type, e.ev_data,
           e.ev_extra1, e.ev_extra2, e.ev_extra3, e.ev_extra4
      from pgq.get_batch_events(x_batch_id) e, pgq.subscription s
     where s.sub_batch = x_batch_id and e.ev_id = x_event_id;
    if not found then
        raise exception 'event not found';
    end if;
    return 1;
exception
    when unique_violation then
        return 0;
end;
$$ language plpgsql security definer;

create or replace function pgq.event_retry(x_batch_id bigint, x_event_id bigint, x_retry_seconds integer)
returns integer as $$
-- event_retry after x_retry_seconds from now.
begin
    return pgq.event_retry(x_batch_id, x_event_id, now() + x_retry_seconds * interval '1 second');
end;
$$ language plpgsql security definer;
