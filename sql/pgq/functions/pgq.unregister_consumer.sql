create or replace function pgq.unregister_consumer(x_queue_name text, x_consumer_name text)
returns integer as $$
-- Removes a subscription. A pgq_coop subconsumer loses only its own row (returns 1); a main or
-- ordinary consumer takes its subconsumers and retry events with it, and the return value is
-- the number of subscription rows removed. Not registered: 0.
declare
    v_sub record;
    v_shared int4;
    v_removed int4;
begin
    select s.sub_id, s.sub_queue, s.sub_consumer, s.sub_last_tick, s.sub_next_tick into v_sub
      from pgq.subscription s, pgq.queue q, pgq.consumer c
     where q.queue_name = x_queue_name and c.co_name = x_consumer_name
       and s.sub_queue = q.queue_id and s.sub_consumer = c.co_id
       for update of s, c;
    if not found then
        return 0;
    end if;

    -- a coop group shares one sub_id; its main consumer is the only row with a last tick
    -- but no next tick
    select count(*) into v_shared from pgq.subscription where sub_id = v_sub.sub_id;
    if v_shared > 1 and (v_sub.sub_last_tick is null) = (v_sub.sub_next_tick is null) then
        delete from pgq.subscription
         where sub_queue = v_sub.sub_queue and sub_consumer = v_sub.sub_consumer;
        return 1;
    end if;

    delete from pgq.retry_queue where ev_owner = v_sub.sub_id;
    delete from pgq.subscription where sub_id = v_sub.sub_id;
    get diagnostics v_removed = row_count;
    delete from pgq.consumer c
     where c.co_id = v_sub.sub_consumer
       and not exists (select 1 from pgq.subscription s where s.sub_consumer = c.co_id);
    return v_removed;
end;
$$ language plpgsql security definer;
