create or replace function pgq._check_tx_limit(i_queue_id int4, i_queue_name text, i_limit int4)
returns void as $$
-- Enforces queue_per_tx_limit: counts this transaction's inserts into the queue in a
-- transaction-local setting (reset by PostgreSQL at transaction end, so no cleanup is needed).
declare
    v_key text := 'pgq_tx_limit.queue_' || i_queue_id;
    v_count int4;
begin
    v_count := coalesce(nullif(current_setting(v_key, true), '')::int4, 0) + 1;
    if v_count > i_limit then
        raise exception 'Queue ''%'' allows max % events from one TX', i_queue_name, i_limit;
    end if;
    perform set_config(v_key, v_count::text, true);
end;
$$ language plpgsql;
