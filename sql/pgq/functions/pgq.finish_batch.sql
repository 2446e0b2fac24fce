create or replace function pgq.finish_batch(x_batch_id bigint)
returns integer as $$
-- Closes a batch: its end tick becomes the consumer's position. Returns 1; an unknown batch
-- only warns and returns 0.
begin
    update pgq.subscription
       set sub_active = now(), sub_last_tick = sub_next_tick, sub_next_tick = null, sub_batch = null
     where sub_batch = x_batch_id;
    if not found then
        raise warning 'finish_batch: batch % not found', x_batch_id;
        return 0;
    end if;
    return 1;
end;
$$ language plpgsql security definer;
