create or replace function pgq.batch_retry(i_batch_id bigint, i_retry_seconds integer)
returns integer as $$
-- Schedules every event of an open batch that is not already waiting for retry to come back
-- after i_retry_seconds. Returns how many were scheduled.
declare
    v_sub record;
    v_count integer;
begin
    select sub_id, sub_queue into v_sub from pgq.subscription where sub_batch = i_batch_id;
    if not found then
        raise exception 'batch_retry: batch % not found', i_batch_id;
    end if;
    insert into pgq.retry_queue (ev_retry_after, ev_queue, ev_id, ev_time, ev_txid, ev_owner,
            ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4)
    select now() + i_retry_seconds * interval '1 second', v_sub.sub_queue, e.ev_id, e.ev_time,
           null, v_sub.sub_id, coalesce(e.ev_retry, 0) + 1, e.ev_type, e.ev_data,
           e.ev_extra1, e.ev_extra2, e.ev_extra3, e.ev_extra4
      from pgq.get_batch_events(i_batch_id) e
     where not exists (select 1 from pgq.retry_queue r
                        where r.ev_owner = v_sub.sub_id and r.ev_id = e.ev_id);
    get diagnostics v_count = row_count;
    return v_count;
end;
$$ language plpgsql security definer;
