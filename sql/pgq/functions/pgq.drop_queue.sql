create or replace function pgq.drop_queue(x_queue_name text, x_force bool)
returns integer as $$
-- Drops a queue with its tables, ticks and sequences. With x_force its consumers are
-- unregistered first; without it, a queue that still has consumers is refused. Returns 1.
declare
    v_q record;
    i int4;
begin
    select queue_id, queue_ntables, queue_data_pfx, queue_event_seq, queue_tick_seq into v_q
      from pgq.queue where queue_name = x_queue_name
       for update;
    if not found then
        raise exception 'No such event queue';
    end if;

    if x_force then
        perform pgq.unregister_consumer(queue_name, consumer_name)
           from pgq.get_consumer_info(x_queue_name);
    else
        perform 1 from pgq.subscription where sub_queue = v_q.queue_id;
        if found then
            raise exception 'cannot drop queue, consumers still attached';
        end if;
    end if;

    for i in 0 .. v_q.queue_ntables - 1 loop
        execute 'drop table ' || pgq.quote_fqname(v_q.queue_data_pfx || '_' || i);
    end loop;
    execute 'drop table ' || pgq.quote_fqname(v_q.queue_data_pfx);

    -- retry rows of vanished subscriptions would block the queue row delete
    delete from pgq.retry_queue where ev_queue = v_q.queue_id;
    delete from pgq.tick where tick_queue = v_q.queue_id;
    execute 'drop sequence ' || pgq.quote_fqname(v_q.queue_tick_seq);
    execute 'drop sequence ' || pgq.quote_fqname(v_q.queue_event_seq);
    delete from pgq.queue where queue_id = v_q.queue_id;
    perform pgq._generate_insert_dispatch();
    return 1;
end;
$$ language plpgsql security definer;

create or replace function pgq.drop_queue(x_queue_name text)
returns integer as $$
-- Drops a queue that has no consumers left.
begin
    return pgq.drop_queue(x_queue_name, false);
end;
$$ language plpgsql strict;
