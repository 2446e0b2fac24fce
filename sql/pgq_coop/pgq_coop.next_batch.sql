-- Gives subconsumer 'C.S' a batch of its own. The batch is opened on the main consumer C and
-- closed there at once (C's position moves past it), then parked on the subconsumer's row until
-- pgq_coop.finish_batch; so each batch goes to exactly one subconsumer. With i_dead_interval a
-- subconsumer idle longer than that is removed and its unfinished batch taken over.
-- Returns the batch id, or NULL when there is nothing to do.
create or replace function pgq_coop.next_batch_custom(i_queue_name text, i_consumer_name text,
    i_subconsumer_name text, i_min_lag interval, i_min_count int4, i_min_interval interval,
    i_dead_interval interval)
returns bigint as $$
declare
    v_sub_name text := i_consumer_name || '.' || i_subconsumer_name;
    v_main record;
    v_sub record;
    v_dead record;
    v_batch record;
begin
    -- the main row lock serialises the whole group
    select s.sub_queue, s.sub_consumer, s.sub_id, s.sub_batch into v_main
      from pgq.subscription s
      join pgq.consumer c on c.co_id = s.sub_consumer
      join pgq.queue q on q.queue_id = s.sub_queue
     where q.queue_name = i_queue_name and c.co_name = i_consumer_name
       for update of s;
    if not found then
        perform pgq_coop.register_subconsumer(i_queue_name, i_consumer_name, i_subconsumer_name);
        select s.sub_queue, s.sub_consumer, s.sub_id, s.sub_batch into v_main
          from pgq.subscription s
          join pgq.consumer c on c.co_id = s.sub_consumer
          join pgq.queue q on q.queue_id = s.sub_queue
         where q.queue_name = i_queue_name and c.co_name = i_consumer_name
           for update of s;
        if not found then
            raise exception 'main consumer not found';
        end if;
    end if;
    if v_main.sub_batch is not null then
        raise exception 'main consumer has batch open?';
    end if;

    select s.sub_consumer, s.sub_batch into v_sub
      from pgq.subscription s join pgq.consumer c on c.co_id = s.sub_consumer
     where s.sub_queue = v_main.sub_queue and c.co_name = v_sub_name
       for update of s;
    if not found then
        perform pgq_coop.register_subconsumer(i_queue_name, i_consumer_name, i_subconsumer_name);
        select s.sub_consumer, s.sub_batch into v_sub
          from pgq.subscription s join pgq.consumer c on c.co_id = s.sub_consumer
         where s.sub_queue = v_main.sub_queue and c.co_name = v_sub_name
           for update of s;
        if not found then
            raise exception 'subconsumer not found';
        end if;
    end if;

    if v_sub.sub_batch is not null then
        update pgq.subscription set sub_active = now()
         where sub_queue = v_main.sub_queue and sub_consumer = v_sub.sub_consumer;
        return v_sub.sub_batch;
    end if;

    if i_dead_interval is not null then
        select s.sub_consumer, s.sub_batch, s.sub_last_tick, s.sub_next_tick into v_dead
          from pgq.subscription s
         where s.sub_queue = v_main.sub_queue and s.sub_id = v_main.sub_id
           and s.sub_consumer not in (v_main.sub_consumer, v_sub.sub_consumer)
           and s.sub_active < now() - i_dead_interval
         order by s.sub_active
         limit 1
           for update of s;
        if found then
            delete from pgq.subscription
             where sub_queue = v_main.sub_queue and sub_consumer = v_dead.sub_consumer;
            if v_dead.sub_batch is not null then
                update pgq.subscription
                   set sub_batch = v_dead.sub_batch, sub_last_tick = v_dead.sub_last_tick,
                       sub_next_tick = v_dead.sub_next_tick, sub_active = now()
                 where sub_queue = v_main.sub_queue and sub_consumer = v_sub.sub_consumer;
                return v_dead.sub_batch;
            end if;
        end if;
    end if;

    select * into v_batch
      from pgq.next_batch_custom(i_queue_name, i_consumer_name, i_min_lag, i_min_count, i_min_interval);
    if v_batch.batch_id is null then
        return null;
    end if;
    update pgq.subscription
       set sub_last_tick = sub_next_tick, sub_next_tick = null, sub_batch = null
     where sub_queue = v_main.sub_queue and sub_consumer = v_main.sub_consumer;
    update pgq.subscription
       set sub_batch = v_batch.batch_id, sub_last_tick = v_batch.prev_tick_id,
           sub_next_tick = v_batch.cur_tick_id, sub_active = now()
     where sub_queue = v_main.sub_queue and sub_consumer = v_sub.sub_consumer;
    return v_batch.batch_id;
end;
$$ language plpgsql security definer;

create or replace function pgq_coop.next_batch_custom(i_queue_name text, i_consumer_name text,
    i_subconsumer_name text, i_min_lag interval, i_min_count int4, i_min_interval interval)
returns bigint as $$
    select pgq_coop.next_batch_custom(i_queue_name, i_consumer_name, i_subconsumer_name,
                                      i_min_lag, i_min_count, i_min_interval, null);
$$ language sql;

create or replace function pgq_coop.next_batch(i_queue_name text, i_consumer_name text,
                                               i_subconsumer_name text)
returns bigint as $$
    select pgq_coop.next_batch_custom(i_queue_name, i_consumer_name, i_subconsumer_name,
                                      null, null, null, null);
$$ language sql;

create or replace function pgq_coop.next_batch(i_queue_name text, i_consumer_name text,
                                               i_subconsumer_name text, i_dead_interval interval)
returns bigint as $$
    select pgq_coop.next_batch_custom(i_queue_name, i_consumer_name, i_subconsumer_name,
                                      null, null, null, i_dead_interval);
$$ language sql;
