-- Event markers inside the batch being applied. Only the current batch's marks are kept: moving
-- to another batch drops the previous one's. (Unsafe with the retry queue, whose events come
-- back in later batches.)
create or replace function pgq_ext.is_event_done(a_consumer text, a_subconsumer text, a_batch_id bigint, a_event_id bigint)
returns boolean as $$
    select exists (select 1 from pgq_ext.completed_event
                    where consumer_id = a_consumer and subconsumer_id = a_subconsumer
                      and batch_id = a_batch_id and event_id = a_event_id);
$$ language sql security definer;

create or replace function pgq_ext.is_event_done(a_consumer text, a_batch_id bigint, a_event_id bigint)
returns boolean as $$
    select pgq_ext.is_event_done(a_consumer, '', a_batch_id, a_event_id);
$$ language sql;

create or replace function pgq_ext.set_event_done(a_consumer text, a_subconsumer text, a_batch_id bigint, a_event_id bigint)
returns boolean as $$
declare
    v_cur bigint;
begin
    if pgq_ext.is_event_done(a_consumer, a_subconsumer, a_batch_id, a_event_id) then
        return false;
    end if;
    select cur_batch_id into v_cur from pgq_ext.partial_batch
     where consumer_id = a_consumer and subconsumer_id = a_subconsumer
       for update;
    if not found then
        insert into pgq_ext.partial_batch (consumer_id, subconsumer_id, cur_batch_id)
            values (a_consumer, a_subconsumer, a_batch_id);
    elsif v_cur <> a_batch_id then
        delete from pgq_ext.completed_event
         where consumer_id = a_consumer and subconsumer_id = a_subconsumer and batch_id = v_cur;
        update pgq_ext.partial_batch set cur_batch_id = a_batch_id
         where consumer_id = a_consumer and subconsumer_id = a_subconsumer;
    end if;
    insert into pgq_ext.completed_event (consumer_id, subconsumer_id, batch_id, event_id)
        values (a_consumer, a_subconsumer, a_batch_id, a_event_id);
    return true;
end;
$$ language plpgsql security definer;

create or replace function pgq_ext.set_event_done(a_consumer text, a_batch_id bigint, a_event_id bigint)
returns boolean as $$
    select pgq_ext.set_event_done(a_consumer, '', a_batch_id, a_event_id);
$$ language sql;
