create or replace function pgq.insert_event(queue_name text, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)
returns bigint as $$
-- Queues one event with extra fields in the caller's transaction; returns its id.
-- Security definer so that pgq_writer members need no privileges on the event tables.
begin
    return pgq.insert_event_raw(queue_name, null, now(), null, null,
                                ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4);
end;
$$ language plpgsql security definer;

create or replace function pgq.insert_event(queue_name text, ev_type text, ev_data text)
returns bigint as $$
-- Queues one event in the caller's transaction; returns its id. Plain SQL so that the
-- planner inlines it into the caller's statement.
    select pgq.insert_event($1, $2, $3, null, null, null, null);
$$ language sql;
