create or replace function pgq.maint_operations(out func_name text, out func_arg text)
returns setof record as $$
-- The maintenance daemon's to-do list, in order. Every listed function takes no argument
-- (func_arg NULL) or one text argument and returns an integer; non-zero means "call me again".
declare
    v_step2 boolean := false;
    v_row record;
begin
    for v_row in
        select queue_name from pgq.queue
         where queue_rotation_period is not null and queue_switch_step2 is not null
           and queue_switch_time + queue_rotation_period < now()
         order by queue_name
    loop
        func_name := 'pgq.maint_rotate_tables_step1';
        func_arg := v_row.queue_name;
        v_step2 := true;
        return next;
    end loop;
    if v_step2 or exists (select 1 from pgq.queue
                           where queue_rotation_period is not null and queue_switch_step2 is null) then
        func_name := 'pgq.maint_rotate_tables_step2';
        func_arg := null;
        return next;
    end if;

    for v_row in
        select q.queue_name, m.f
          from pgq.queue q, unnest(q.queue_extra_maint) with ordinality as m(f, i)
         order by q.queue_name, m.i
    loop
        func_name := v_row.f;
        func_arg := v_row.queue_name;
        return next;
    end loop;

    for v_row in select t from pgq.maint_tables_to_vacuum() t loop
        func_name := 'vacuum';
        func_arg := v_row.t;
        return next;
    end loop;

    -- companions of pgq that are present in this database
    if pgq._function_exists('pgq_node', 'maint_watermark') then
        for v_row in execute 'select queue_name from pgq_node.node_info'
                          || ' where node_type = ''root'' order by queue_name' loop
            func_name := 'pgq_node.maint_watermark';
            func_arg := v_row.queue_name;
            return next;
        end loop;
    end if;
    if pgq._function_exists('londiste', 'root_check_seqs') then
        for v_row in execute 'select distinct s.queue_name from londiste.seq_info s, pgq_node.node_info n'
                          || ' where s.local and n.node_type = ''root'' and n.queue_name = s.queue_name'
                          || ' order by s.queue_name' loop
            func_name := 'londiste.root_check_seqs';
            func_arg := v_row.queue_name;
            return next;
        end loop;
    end if;
    if pgq._function_exists('londiste', 'periodic_maintenance') then
        func_name := 'londiste.periodic_maintenance';
        func_arg := null;
        return next;
    end if;
end;
$$ language plpgsql;
