create or replace function pgq.maint_rotate_tables_step1(i_queue_name text)
returns integer as $$
-- First half of a rotation: once the rotation period has passed and every consumer has moved
-- past all transactions that could still write into the previous table, empties the oldest
-- table and makes it the current one. Must be followed, in a later transaction, by step2.
-- Returns 0.
declare
    v_q record;
    v_txid bigint := txid_current();
    v_lowest_tick bigint;
    v_xmin bigint;
    v_next int4;
    v_table text;
begin
    select queue_id, queue_ntables, queue_cur_table, queue_data_pfx, queue_switch_step1,
           queue_switch_step2, queue_switch_time, queue_rotation_period into v_q
      from pgq.queue where queue_name = i_queue_name
       for update;
    if not found or v_q.queue_rotation_period is null or v_q.queue_switch_step2 is null
       or v_q.queue_switch_time + v_q.queue_rotation_period >= now() then
        return 0;
    end if;
    if v_txid < v_q.queue_switch_step1 then
        raise exception 'queue % maint failure: step1=%, current=%',
            i_queue_name, v_q.queue_switch_step1, v_txid;
    end if;

    -- the slowest consumer must have started its next batch after the last switch completed
    select min(sub_last_tick) into v_lowest_tick from pgq.subscription where sub_queue = v_q.queue_id;
    if v_lowest_tick is not null then
        select txid_snapshot_xmin(tick_snapshot) into v_xmin
          from pgq.tick where tick_queue = v_q.queue_id and tick_id = v_lowest_tick;
        if not found then
            raise exception 'queue % maint failure: tick % not found', i_queue_name, v_lowest_tick;
        end if;
        if v_xmin <= v_q.queue_switch_step2 then
            return 0;
        end if;
    end if;

    v_next := (v_q.queue_cur_table + 1) % v_q.queue_ntables;
    v_table := pgq.quote_fqname(v_q.queue_data_pfx || '_' || v_next);
    begin
        -- someone (pg_dump) reading the table: try again at the next maintenance round
        execute 'lock table ' || v_table || ' nowait';
        execute 'truncate ' || v_table;
    exception
        when lock_not_available then
            return 0;
    end;
    update pgq.queue
       set queue_cur_table = v_next, queue_switch_time = now(),
           queue_switch_step1 = txid_current(), queue_switch_step2 = null
     where queue_id = v_q.queue_id;

    -- ticks are kept one rotation longer than needed: consumers can still be rewound there
    delete from pgq.tick
     where tick_queue = v_q.queue_id
       and txid_snapshot_xmin(tick_snapshot) < v_q.queue_switch_step2;
    return 0;
end;
$$ language plpgsql;

create or replace function pgq.maint_rotate_tables_step2()
returns integer as $$
-- Second half of a rotation, in a later transaction than step1: records a txid taken after the
-- switch committed, so batches starting above it read only the new table. Returns 0.
begin
    update pgq.queue set queue_switch_step2 = txid_current() where queue_switch_step2 is null;
    return 0;
end;
$$ language plpgsql;
