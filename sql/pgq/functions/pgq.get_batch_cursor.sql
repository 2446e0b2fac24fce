create or replace function pgq.get_batch_cursor(i_batch_id bigint, i_cursor_name text,
    i_quick_limit int4, i_extra_where text,
    out ev_id bigint, out ev_time timestamptz, out ev_txid bigint, out ev_retry int4,
    out ev_type text, out ev_data text, out ev_extra1 text, out ev_extra2 text,
    out ev_extra3 text, out ev_extra4 text)
returns setof record as $$
-- Opens cursor i_cursor_name over the batch's events (optionally filtered by the trusted SQL
-- condition i_extra_where) and returns its first i_quick_limit rows; the caller FETCHes the
-- rest and closes it within the same transaction.
declare
    v_sql text;
    v_cursor refcursor;
    v_row record;
    i int4;
begin
    if i_batch_id is null or i_cursor_name is null or i_quick_limit is null then
        return;
    end if;
    v_sql := pgq.batch_event_sql(i_batch_id);
    if i_extra_where is not null then
        v_sql := 'select * from (' || substr(v_sql, 1, length(v_sql) - length(' order by 1'))
            || ') _evs where ' || i_extra_where || ' order by 1';
    end if;
    -- the portal takes the refcursor's value as its name: the client FETCHes it by that name
    v_cursor := i_cursor_name;
    open v_cursor no scroll for execute v_sql;
    for i in 1 .. i_quick_limit loop
        fetch v_cursor into v_row;
        exit when not found;
        ev_id := v_row.ev_id;
        ev_time := v_row.ev_time;
        ev_txid := v_row.ev_txid;
        ev_retry := v_row.ev_retry;
        ev_type := v_row.ev_type;
        ev_data := v_row.ev_data;
        ev_extra1 := v_row.ev_extra1;
        ev_extra2 := v_row.ev_extra2;
        ev_extra3 := v_row.ev_extra3;
        ev_extra4 := v_row.ev_extra4;
        return next;
    end loop;
end;
$$ language plpgsql;

create or replace function pgq.get_batch_cursor(i_batch_id bigint, i_cursor_name text, i_quick_limit int4,
    out ev_id bigint, out ev_time timestamptz, out ev_txid bigint, out ev_retry int4,
    out ev_type text, out ev_data text, out ev_extra1 text, out ev_extra2 text,
    out ev_extra3 text, out ev_extra4 text)
returns setof record as $$
-- get_batch_cursor without a filter.
begin
    return query select * from pgq.get_batch_cursor(i_batch_id, i_cursor_name, i_quick_limit, null);
end;
$$ language plpgsql strict;
