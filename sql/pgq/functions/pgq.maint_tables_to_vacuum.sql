create or replace function pgq.maint_tables_to_vacuum()
returns setof text as $$
-- The busy small tables of pgq and its companions that need vacuuming when autovacuum is off.
declare
    v_name text;
begin
    if current_setting('autovacuum') = 'on' then
        return;
    end if;
    for v_name in
        select n from unnest(array[
            'pgq.subscription', 'pgq.consumer', 'pgq.queue', 'pgq.tick', 'pgq.retry_queue',
            'pgq_ext.completed_tick', 'pgq_ext.completed_batch', 'pgq_ext.completed_event',
            'pgq_ext.partial_batch', 'pgq_node.local_state', 'londiste.seq_info', 'txid.epoch',
            'londiste.completed']) with ordinality as t(n, i)
         order by i
    loop
        if to_regclass(pgq.quote_fqname(v_name)) is not null then
            return next v_name;
        end if;
    end loop;
end;
$$ language plpgsql;
