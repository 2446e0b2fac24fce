create or replace function pgq.current_event_table(x_queue_name text)
returns text as $$
-- Name of the table that receives the queue's inserts now, for producers that COPY directly.
-- Valid only until the end of the current transaction (rotation may switch tables).
declare
    v_q record;
begin
    select queue_data_pfx, queue_cur_table, queue_disable_insert into v_q
      from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'Event queue not found';
    end if;
    if v_q.queue_disable_insert and current_setting('session_replication_role') <> 'replica' then
        raise exception 'Writing to queue disabled';
    end if;
    return v_q.queue_data_pfx || '_' || v_q.queue_cur_table;
end;
$$ language plpgsql;
