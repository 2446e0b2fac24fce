-- Registers consumer C on the queue (if needed) and subconsumer 'C.S' in C's group. A new
-- subconsumer starts idle: no ticks of its own until it takes a batch. Returns 1 when the
-- subconsumer is new, 0 when it was already registered.
create or replace function pgq_coop.register_subconsumer(i_queue_name text, i_consumer_name text,
                                                         i_subconsumer_name text)
returns integer as $$
declare
    v_main record;
    v_sub_consumer_id int4;
begin
    perform pgq.register_consumer(i_queue_name, i_consumer_name);
    select s.sub_id, s.sub_queue into v_main
      from pgq.subscription s
      join pgq.consumer c on c.co_id = s.sub_consumer
      join pgq.queue q on q.queue_id = s.sub_queue
     where q.queue_name = i_queue_name and c.co_name = i_consumer_name
       for update of s;
    if not found then
        raise exception 'main consumer not found';
    end if;
    if pgq.register_consumer(i_queue_name, i_consumer_name || '.' || i_subconsumer_name) = 0 then
        return 0;
    end if;
    select co_id into v_sub_consumer_id from pgq.consumer
     where co_name = i_consumer_name || '.' || i_subconsumer_name;
    update pgq.subscription
       set sub_id = v_main.sub_id, sub_last_tick = null, sub_next_tick = null, sub_batch = null
     where sub_queue = v_main.sub_queue and sub_consumer = v_sub_consumer_id;
    return 1;
end;
$$ language plpgsql security definer;
