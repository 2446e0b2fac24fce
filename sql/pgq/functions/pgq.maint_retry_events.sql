create or replace function pgq.maint_retry_events()
returns integer as $$
-- Moves up to 10 due retry events back into their queues (same id, time, owner and retry
-- count, new transaction). Returns how many were moved; callers repeat until 0.
declare
    v_ev record;
    v_count integer := 0;
begin
    -- one mover at a time; event_retry can still add rows meanwhile
    lock table pgq.retry_queue in share update exclusive mode;
    for v_ev in
        select q.queue_name, r.ev_id, r.ev_time, r.ev_owner, r.ev_retry, r.ev_type, r.ev_data,
               r.ev_extra1, r.ev_extra2, r.ev_extra3, r.ev_extra4
          from pgq.retry_queue r, pgq.queue q
         where r.ev_retry_after <= now() and q.queue_id = r.ev_queue
         order by r.ev_retry_after
         limit 10
    loop
        perform pgq.insert_event_raw(v_ev.queue_name, v_ev.ev_id, v_ev.ev_time, v_ev.ev_owner,
            v_ev.ev_retry, v_ev.ev_type, v_ev.ev_data,
            v_ev.ev_extra1, v_ev.ev_extra2, v_ev.ev_extra3, v_ev.ev_extra4);
        delete from pgq.retry_queue where ev_owner = v_ev.ev_owner and ev_id = v_ev.ev_id;
        v_count := v_count + 1;
    end loop;
    return v_count;
end;
$$ language plpgsql;
