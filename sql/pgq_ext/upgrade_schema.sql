-- Brings tables created before subconsumers existed (no subconsumer_id column, key on
-- consumer_id alone) to the current layout. Returns the number of tables changed.
create or replace function pgq_ext.upgrade_schema()
returns int4 as $$
declare
    v_cnt int4 := 0;
    v_tbl text;
    v_key text;
begin
    foreach v_tbl in array array['completed_tick', 'completed_batch', 'completed_event', 'partial_batch'] loop
        if not exists (select 1 from pg_catalog.pg_attribute
                        where attrelid = ('pgq_ext.' || v_tbl)::regclass
                          and attname = 'subconsumer_id' and not attisdropped) then
            v_key := case v_tbl when 'completed_event' then 'consumer_id, subconsumer_id, batch_id, event_id'
                                else 'consumer_id, subconsumer_id' end;
            execute format('alter table pgq_ext.%I add column subconsumer_id text not null default %L',
                           v_tbl, '');
            execute format('alter table pgq_ext.%I drop constraint if exists %I', v_tbl, v_tbl || '_pkey');
            execute format('alter table pgq_ext.%I add primary key (%s)', v_tbl, v_key);
            v_cnt := v_cnt + 1;
        end if;
    end loop;
    return v_cnt;
end;
$$ language plpgsql;

select pgq_ext.upgrade_schema();
