create or replace function pgq.get_consumer_info(
    out queue_name text, out consumer_name text, out lag interval, out last_seen interval,
    out last_tick bigint, out current_batch bigint, out next_tick bigint, out pending_events bigint)
returns setof record as $$
-- Position and lag of every consumer on every queue.
begin
    return query select * from pgq.get_consumer_info(null, null);
end;
$$ language plpgsql security definer;

create or replace function pgq.get_consumer_info(i_queue_name text,
    out queue_name text, out consumer_name text, out lag interval, out last_seen interval,
    out last_tick bigint, out current_batch bigint, out next_tick bigint, out pending_events bigint)
returns setof record as $$
-- Position and lag of every consumer of one queue (NULL: all queues).
begin
    return query select * from pgq.get_consumer_info(i_queue_name, null);
end;
$$ language plpgsql security definer;

create or replace function pgq.get_consumer_info(i_queue_name text, i_consumer_name text,
    out queue_name text, out consumer_name text, out lag interval, out last_seen interval,
    out last_tick bigint, out current_batch bigint, out next_tick bigint, out pending_events bigint)
returns setof record as $$
-- Position and lag of consumers (NULL filters match all), ordered by queue and consumer name;
-- pgq_coop subconsumers are listed too (idle ones without a last tick). lag is the age of the
-- consumer's position, last_seen the time since it last did anything, pending_events the
-- events ticked after its position.
begin
    return query
    select q.queue_name, c.co_name,
           now() - t.tick_time, now() - s.sub_active,
           s.sub_last_tick, s.sub_batch, s.sub_next_tick,
           (select nt.tick_event_seq from pgq.tick nt where nt.tick_queue = q.queue_id
             order by nt.tick_queue desc, nt.tick_id desc limit 1) - t.tick_event_seq
      from pgq.queue q
      join pgq.subscription s on s.sub_queue = q.queue_id
      join pgq.consumer c on c.co_id = s.sub_consumer
      left join pgq.tick t on t.tick_queue = s.sub_queue and t.tick_id = s.sub_last_tick
     where (i_queue_name is null or q.queue_name = i_queue_name)
       and (i_consumer_name is null or c.co_name = i_consumer_name)
     order by 1, 2;
end;
$$ language plpgsql security definer;
