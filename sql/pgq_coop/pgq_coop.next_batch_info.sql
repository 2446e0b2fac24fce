-- pgq_coop.next_batch with the batch's tick data, in the columns of pgq.next_batch_info.
create or replace function pgq_coop.next_batch_info(i_queue_name text, i_consumer_name text,
    i_subconsumer_name text, i_dead_interval interval,
    out batch_id int8, out cur_tick_id int8, out prev_tick_id int8,
    out cur_tick_time timestamptz, out prev_tick_time timestamptz,
    out cur_tick_event_seq int8, out prev_tick_event_seq int8)
as $$
begin
    batch_id := pgq_coop.next_batch_custom(i_queue_name, i_consumer_name, i_subconsumer_name,
                                           null, null, null, i_dead_interval);
    if batch_id is null then
        return;
    end if;
    select cur.tick_id, prev.tick_id, cur.tick_time, prev.tick_time,
           cur.tick_event_seq, prev.tick_event_seq
      into cur_tick_id, prev_tick_id, cur_tick_time, prev_tick_time,
           cur_tick_event_seq, prev_tick_event_seq
      from pgq.subscription s
      join pgq.tick cur on cur.tick_queue = s.sub_queue and cur.tick_id = s.sub_next_tick
      join pgq.tick prev on prev.tick_queue = s.sub_queue and prev.tick_id = s.sub_last_tick
     where s.sub_batch = batch_id;
end;
$$ language plpgsql security definer;

create or replace function pgq_coop.next_batch_info(i_queue_name text, i_consumer_name text,
    i_subconsumer_name text,
    out batch_id int8, out cur_tick_id int8, out prev_tick_id int8,
    out cur_tick_time timestamptz, out prev_tick_time timestamptz,
    out cur_tick_event_seq int8, out prev_tick_event_seq int8)
as $$
    select * from pgq_coop.next_batch_info(i_queue_name, i_consumer_name, i_subconsumer_name, null);
$$ language sql;
