create or replace function pgq._write_event(
    i_queue_id int4, i_table int4, i_ev_id bigint, i_ev_time timestamptz, i_ev_owner int4,
    i_ev_retry int4, i_ev_type text, i_ev_data text,
    i_ev_extra1 text, i_ev_extra2 text, i_ev_extra3 text, i_ev_extra4 text)
returns boolean as $$
-- Placeholder until pgq._refresh_write_event() generates the real body, which inserts the row
-- into table i_table of queue i_queue_id with a static (plan-cached) INSERT and returns true.
-- false tells the caller that no static INSERT exists for that table.
begin
    return false;
end;
$$ language plpgsql;
