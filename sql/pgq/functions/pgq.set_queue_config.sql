create or replace function pgq.set_queue_config(x_queue_name text, x_param_name text, x_param_value text)
returns integer as $$
-- Changes one ticker/rotation setting of a queue. The parameter is named without its
-- 'queue_' prefix; the value is cast by PostgreSQL to the column's type. Returns 1.
declare
    v_column text;
begin
    if x_queue_name is null or x_param_name is null then
        raise exception 'Invalid NULL value';
    end if;
    perform 1 from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'No such event queue';
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
