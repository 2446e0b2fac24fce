create or replace function pgq.register_consumer(x_queue_name text, x_consumer_id text)
returns integer as $$
-- Subscribes a consumer at the newest tick. Returns 1 when new, 0 when already subscribed.
begin
    return pgq.register_consumer_at(x_queue_name, x_consumer_id, null);
end;
$$ language plpgsql security definer;

create or replace function pgq.register_consumer_at(x_queue_name text, x_consumer_name text, x_tick_pos bigint)
returns integer as $$
-- Subscribes a consumer at tick x_tick_pos (NULL = the newest tick): it will get exactly the
-- events committed after that tick. For an existing subscription a given x_tick_pos rewinds or
-- forwards it, dropping any active batch. Returns 1 when new, 0 when already subscribed.
declare
    v_queue_id int4;
    v_consumer_id int4;
    v_tick_id bigint;
begin
    select queue_id into v_queue_id from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'Event queue not created yet';
    end if;

    select co_id into v_consumer_id from pgq.consumer where co_name = x_consumer_name for update;
    if not found then
        insert into pgq.consumer (co_name) values (x_consumer_name) returning co_id into v_consumer_id;
    end if;

    if x_tick_pos is not null then
        perform 1 from pgq.tick where tick_queue = v_queue_id and tick_id = x_tick_pos;
        if not found then
            raise exception 'cannot reposition, tick not found: %', x_tick_pos;
        end if;
    end if;

    perform 1 from pgq.subscription
      where sub_queue = v_queue_id and sub_consumer = v_consumer_id
        for update;
    if found then
        if x_tick_pos is not null then
            update pgq.subscription
               set sub_last_tick = x_tick_pos, sub_active = now(), sub_batch = null, sub_next_tick = null
             where sub_queue = v_queue_id and sub_consumer = v_consumer_id;
        end if;
        return 0;
    end if;

    if x_tick_pos is null then
        select tick_id into v_tick_id from pgq.tick where tick_queue = v_queue_id
         order by tick_queue desc, tick_id desc limit 1;
        if not found then
            raise exception 'No ticks for this queue.  Please run ticker on database.';
        end if;
    else
        v_tick_id := x_tick_pos;
    end if;
    insert into pgq.subscription (sub_queue, sub_consumer, sub_last_tick)
        values (v_queue_id, v_consumer_id, v_tick_id);
    return 1;
end;
$$ language plpgsql security definer;
