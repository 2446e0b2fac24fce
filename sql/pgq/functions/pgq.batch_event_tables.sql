create or replace function pgq.batch_event_tables(x_batch_id bigint)
returns setof text as $$
-- The event tables that can hold events of the batch: the previous and/or the current table,
-- decided by where the batch's transaction range lies relative to the last rotation.
declare
    v_b record;
    v_prev int4;
begin
    select txid_snapshot_xmin(t1.tick_snapshot) as tx_min,
           txid_snapshot_xmax(t2.tick_snapshot) as tx_max,
           q.queue_data_pfx, q.queue_cur_table, q.queue_ntables,
           q.queue_switch_step1, q.queue_switch_step2
      into v_b
      from pgq.subscription s, pgq.queue q, pgq.tick t1, pgq.tick t2
     where s.sub_batch = x_batch_id
       and q.queue_id = s.sub_queue
       and t1.tick_queue = s.sub_queue and t1.tick_id = s.sub_last_tick
       and t2.tick_queue = s.sub_queue and t2.tick_id = s.sub_next_tick;
    if not found then
        raise exception 'Cannot find data for batch %', x_batch_id;
    end if;

    v_prev := (v_b.queue_cur_table + v_b.queue_ntables - 1) % v_b.queue_ntables;
    if v_b.tx_max < v_b.queue_switch_step1 then
        -- the whole batch committed before the last switch
        return next v_b.queue_data_pfx || '_' || v_prev;
    elsif v_b.queue_switch_step2 is not null and v_b.tx_min > v_b.queue_switch_step2 then
        -- the whole batch started after every old writer had finished
        return next v_b.queue_data_pfx || '_' || v_b.queue_cur_table;
    else
        return next v_b.queue_data_pfx || '_' || v_prev;
        return next v_b.queue_data_pfx || '_' || v_b.queue_cur_table;
    end if;
end;
$$ language plpgsql;
