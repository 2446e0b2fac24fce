-- Removes subconsumer 'C.S' from C's group (its consumer name stays). With an active batch
-- i_batch_handling = 1 drops the batch (its events come again to another subconsumer only if C
-- never finished past them, i.e. they are lost for the group); anything else refuses.
-- Returns 1 when removed, 0 when not registered.
create or replace function pgq_coop.unregister_subconsumer(i_queue_name text, i_consumer_name text,
                                                           i_subconsumer_name text, i_batch_handling integer)
returns integer as $$
declare
    v_sub record;
begin
    select s.sub_queue, s.sub_consumer, s.sub_batch into v_sub
      from pgq.subscription s
      join pgq.consumer c on c.co_id = s.sub_consumer
      join pgq.queue q on q.queue_id = s.sub_queue
     where q.queue_name = i_queue_name and c.co_name = i_consumer_name || '.' || i_subconsumer_name
       for update of s;
    if not found then
        return 0;
    end if;
    if v_sub.sub_batch is not null and i_batch_handling is distinct from 1 then
        raise exception 'subconsumer has active batch';
    end if;
    delete from pgq.subscription
     where sub_queue = v_sub.sub_queue and sub_consumer = v_sub.sub_consumer;
    return 1;
end;
$$ language plpgsql security definer;
