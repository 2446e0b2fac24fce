create or replace function pgq.tune_storage(i_queue_name text)
returns integer as $$
-- Event tables are only appended to and then truncated by rotation: pack pages full and keep
-- autovacuum away from them. Returns 1, or 0 for an unknown queue.
declare
    v_q record;
    i int4;
begin
    select queue_ntables, queue_data_pfx into v_q from pgq.queue where queue_name = i_queue_name;
    if not found then
        return 0;
    end if;
    for i in 0 .. v_q.queue_ntables - 1 loop
        execute 'alter table ' || pgq.quote_fqname(v_q.queue_data_pfx || '_' || i)
            || ' set (fillfactor = 100, autovacuum_enabled = off, toast.autovacuum_enabled = off)';
    end loop;
    return 1;
end;
$$ language plpgsql strict;
