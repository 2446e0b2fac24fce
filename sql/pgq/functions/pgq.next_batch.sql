create or replace function pgq.next_batch_custom(i_queue_name text, i_consumer_name text,
    i_min_lag interval, i_min_count int4, i_min_interval interval,
    out batch_id int8, out cur_tick_id int8, out prev_tick_id int8,
    out cur_tick_time timestamptz, out prev_tick_time timestamptz,
    out cur_tick_event_seq int8, out prev_tick_event_seq int8)
as $$
-- Opens the consumer's next batch: from its last finished tick to a later tick, chosen by the
-- optional size criteria (see find_tick_helper) and not younger than i_min_lag. An open batch
-- is returned again unchanged, so a consumer that died mid-batch resumes exactly there.
-- batch_id NULL (all columns NULL): no batch yet.
declare
    v_sub record;
    v_next record;
begin
    select s.sub_queue, s.sub_consumer, s.sub_last_tick, s.sub_batch,
           t1.tick_id as last_id, t1.tick_time as last_time, t1.tick_event_seq as last_seq,
           t2.tick_id as next_id, t2.tick_time as next_time, t2.tick_event_seq as next_seq
      into v_sub
      from pgq.queue q
      join pgq.subscription s on s.sub_queue = q.queue_id
      join pgq.consumer c on c.co_id = s.sub_consumer
      left join pgq.tick t1 on t1.tick_queue = s.sub_queue and t1.tick_id = s.sub_last_tick
      left join pgq.tick t2 on t2.tick_queue = s.sub_queue and t2.tick_id = s.sub_next_tick
     where q.queue_name = i_queue_name and c.co_name = i_consumer_name
       for update of s;
    if not found then
        raise exception 'Not subscriber to queue: %',
            coalesce(i_queue_name, 'NULL') || '/' || coalesce(i_consumer_name, 'NULL');
    end if;
    if v_sub.last_id is null then
        raise exception 'PgQ corruption: Consumer % on queue % does not see tick %',
            i_consumer_name, i_queue_name, v_sub.last_id;
    end if;

    prev_tick_id := v_sub.last_id;
    prev_tick_time := v_sub.last_time;
    prev_tick_event_seq := v_sub.last_seq;
    if v_sub.sub_batch is not null then
        batch_id := v_sub.sub_batch;
        cur_tick_id := v_sub.next_id;
        cur_tick_time := v_sub.next_time;
        cur_tick_event_seq := v_sub.next_seq;
        return;
    end if;

    if i_min_count is null and i_min_interval is null then
        select tick_id, tick_time, tick_event_seq into cur_tick_id, cur_tick_time, cur_tick_event_seq
          from pgq.tick
         where tick_queue = v_sub.sub_queue and tick_id > v_sub.last_id
         order by tick_queue, tick_id limit 1;
    else
        select h.next_tick_id, h.next_tick_time, h.next_tick_seq
          into cur_tick_id, cur_tick_time, cur_tick_event_seq
          from pgq.find_tick_helper(v_sub.sub_queue, v_sub.last_id, v_sub.last_time,
                                    v_sub.last_seq, i_min_count, i_min_interval) h;
    end if;
    if cur_tick_id is not null and i_min_lag is not null and now() - cur_tick_time < i_min_lag then
        cur_tick_id := null;
    end if;
    if cur_tick_id is null then
        cur_tick_time := null;
        cur_tick_event_seq := null;
        prev_tick_id := null;
        prev_tick_time := null;
        prev_tick_event_seq := null;
        return;
    end if;

    batch_id := nextval('pgq.batch_id_seq');
    update pgq.subscription
       set sub_batch = batch_id, sub_next_tick = cur_tick_id, sub_active = now()
     where sub_queue = v_sub.sub_queue and sub_consumer = v_sub.sub_consumer;
end;
$$ language plpgsql security definer;

create or replace function pgq.next_batch_info(i_queue_name text, i_consumer_name text,
    out batch_id int8, out cur_tick_id int8, out prev_tick_id int8,
    out cur_tick_time timestamptz, out prev_tick_time timestamptz,
    out cur_tick_event_seq int8, out prev_tick_event_seq int8)
as $$
-- next_batch_custom without size or lag criteria.
begin
    select f.batch_id, f.cur_tick_id, f.prev_tick_id, f.cur_tick_time, f.prev_tick_time,
           f.cur_tick_event_seq, f.prev_tick_event_seq
      into batch_id, cur_tick_id, prev_tick_id, cur_tick_time, prev_tick_time,
           cur_tick_event_seq, prev_tick_event_seq
      from pgq.next_batch_custom(i_queue_name, i_consumer_name, null, null, null) f;
end;
$$ language plpgsql;

create or replace function pgq.next_batch(i_queue_name text, i_consumer_name text)
returns int8 as $$
-- The id of the consumer's next (or still open) batch; NULL: nothing to do yet.
declare
    v_batch_id int8;
begin
    select f.batch_id into v_batch_id
      from pgq.next_batch_custom(i_queue_name, i_consumer_name, null, null, null) f;
    return v_batch_id;
end;
$$ language plpgsql;
