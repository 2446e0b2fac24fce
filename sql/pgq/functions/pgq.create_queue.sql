create or replace function pgq.create_queue(i_queue_name text)
returns integer as $$
-- Creates a queue: its row, tick and event sequences, parent event table and queue_ntables
-- rotating child tables, then gives it its first tick.
-- Returns 1 when created, 0 when a queue of that name already exists.
declare
    v_queue_id int4;
    v_pfx text;
    v_event_seq text;
    v_tick_seq text;
    v_ntables int4;
    v_tbl text;
    i int4;
begin
    if i_queue_name is null then
        raise exception 'Invalid NULL value';
    end if;
    perform 1 from pgq.queue where queue_name = i_queue_name;
    if found then
        return 0;
    end if;

    v_queue_id := nextval('pgq.queue_queue_id_seq');
    v_pfx := 'pgq.event_' || v_queue_id;
    v_event_seq := v_pfx || '_id_seq';
    v_tick_seq := v_pfx || '_tick_seq';
    insert into pgq.queue (queue_id, queue_name, queue_data_pfx, queue_event_seq, queue_tick_seq)
        values (v_queue_id, i_queue_name, v_pfx, v_event_seq, v_tick_seq)
        returning queue_ntables into v_ntables;

    execute 'create sequence ' || pgq.quote_fqname(v_tick_seq);
    execute 'create sequence ' || pgq.quote_fqname(v_event_seq);
    execute 'create table ' || pgq.quote_fqname(v_pfx) || ' () inherits (pgq.event_template)';
    for i in 0 .. v_ntables - 1 loop
        v_tbl := v_pfx || '_' || i;
        execute 'create table ' || pgq.quote_fqname(v_tbl) || ' () inherits ('
            || pgq.quote_fqname(v_pfx) || ')';
        execute 'alter table ' || pgq.quote_fqname(v_tbl) || ' alter column ev_id set default nextval('
            || quote_literal(v_event_seq) || ')';
        execute 'create index ' || quote_ident(substr(v_tbl, position('.' in v_tbl) + 1) || '_txid_idx')
            || ' on ' || pgq.quote_fqname(v_tbl) || ' (ev_txid)';
    end loop;

    perform pgq.grant_perms(i_queue_name);
    perform pgq.ticker(i_queue_name);
    perform pgq.tune_storage(i_queue_name);
    perform pgq._generate_insert_dispatch();
    return 1;
end;
$$ language plpgsql security definer;
