create or replace function pgq.grant_perms(x_queue_name text)
returns integer as $$
-- Gives a queue's sequences and event tables the privileges their users need: sequences are
-- readable by everybody (ticker lag, get_queue_info), and every event table gets exactly the
-- privileges granted on pgq.event_template. Returns 1.
declare
    v_q record;
    v_dot int4;
    v_schema text;
    v_table text;
    i int4;
begin
    select queue_ntables, queue_data_pfx, queue_event_seq, queue_tick_seq into v_q
      from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'Queue not found';
    end if;

    execute 'grant select on ' || pgq.quote_fqname(v_q.queue_tick_seq) || ' to public';
    execute 'grant select on ' || pgq.quote_fqname(v_q.queue_event_seq) || ' to public';
    execute 'grant usage on ' || pgq.quote_fqname(v_q.queue_event_seq) || ' to pgq_admin';

    v_dot := position('.' in v_q.queue_data_pfx);
    if v_dot = 0 then
        v_schema := 'public';
        v_table := v_q.queue_data_pfx;
    else
        v_schema := substr(v_q.queue_data_pfx, 1, v_dot - 1);
        v_table := substr(v_q.queue_data_pfx, v_dot + 1);
    end if;
    perform pgq._grant_perms_from('pgq', 'event_template', v_schema, v_table);
    for i in 0 .. v_q.queue_ntables - 1 loop
        perform pgq._grant_perms_from('pgq', 'event_template', v_schema, v_table || '_' || i);
    end loop;
    return 1;
end;
$$ language plpgsql security definer;
