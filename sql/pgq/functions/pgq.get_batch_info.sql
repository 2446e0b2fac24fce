create or replace function pgq.get_batch_info(x_batch_id bigint,
    out queue_name text, out consumer_name text, out batch_start timestamptz,
    out batch_end timestamptz, out prev_tick_id bigint, out tick_id bigint, out lag interval,
    out seq_start bigint, out seq_end bigint)
as $$
-- Where an open batch lies: its queue, consumer, start and end ticks. Unknown batch: all NULL.
begin
    select q.queue_name, c.co_name, t1.tick_time, t2.tick_time, t1.tick_id, t2.tick_id,
           now() - t2.tick_time, t1.tick_event_seq, t2.tick_event_seq
      into queue_name, consumer_name, batch_start, batch_end, prev_tick_id, tick_id, lag,
           seq_start, seq_end
      from pgq.subscription s, pgq.queue q, pgq.consumer c, pgq.tick t1, pgq.tick t2
     where s.sub_batch = x_batch_id
       and q.queue_id = s.sub_queue and c.co_id = s.sub_consumer
       and t1.tick_queue = s.sub_queue and t1.tick_id = s.sub_last_tick
       and t2.tick_queue = s.sub_queue and t2.tick_id = s.sub_next_tick;
end;
$$ language plpgsql security definer;
