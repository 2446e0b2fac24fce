create or replace function pgq.set_queue_config(x_queue_name text, x_param_name text, x_param_value text)
returns integer as $$
-- Changes one ticker/rotation setting of a queue. The parameter is named without its
-- 'queue_' prefix; the value is cast by PostgreSQL to the column's type. Returns 1.
-- One setting is ours, not the original's: 'ticker_on_commit' (a boolean) makes every
-- transaction that writes events into the queue wake pgqd at commit, so it ticks at once
-- instead of at its next ticker_period. It lives in pgq.queue_ticker_on_commit, and changing
-- it regenerates the insert fast path, which sends the wake-up.
declare
    v_queue_id int4;
    v_column text;
    v_on boolean;
begin
    if x_queue_name is null or x_param_name is null then
        raise exception 'Invalid NULL value';
    end if;
    select queue_id into v_queue_id from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'No such event queue';
    end if;
    if x_param_name = 'ticker_on_commit' then
        if x_param_value is null then
            raise exception 'Invalid NULL value';
        end if;
        v_on := x_param_value::boolean;
        if v_on then
            insert into pgq.queue_ticker_on_commit (queue_id) values (v_queue_id) on conflict do nothing;
        else
            delete from pgq.queue_ticker_on_commit where queue_id = v_queue_id;
        end if;
        if found then
            perform pgq._generate_insert_dispatch();
        end if;
        return 1;
    end if;
    if x_param_name not in ('ticker_max_count', 'ticker_max_lag', 'ticker_idle_period',
                            'ticker_paused', 'rotation_period', 'external_ticker') then
        -- the literal "s" after the name is part of the message clients have always seen
        raise exception 'cannot change parameter "%s"', x_param_name;
    end if;
    v_column := 'queue_' || x_param_name;
    -- a NULL value makes the statement NULL and EXECUTE fails, as the original does
    execute 'update pgq.queue set ' || quote_ident(v_column) || ' = ' || quote_literal(x_param_value)
        || ' where queue_name = ' || quote_literal(x_queue_name);
    return 1;
end;
$$ language plpgsql security definer;
