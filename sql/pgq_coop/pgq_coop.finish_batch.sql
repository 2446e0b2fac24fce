-- Closes a subconsumer's batch; the subconsumer is idle again (no ticks of its own).
-- Returns 1, or 0 with a warning for an unknown batch.
create or replace function pgq_coop.finish_batch(i_batch_id bigint)
returns integer as $$
begin
    update pgq.subscription
       set sub_active = now(), sub_last_tick = null, sub_next_tick = null, sub_batch = null
     where sub_batch = i_batch_id;
    if not found then
        raise warning 'coop_finish_batch: batch % not found', i_batch_id;
        return 0;
    end if;
    return 1;
end;
$$ language plpgsql security definer;
