create or replace function pgq._insert_dispatch_branch(i_ids int4[], i_tables text[], i_seqs text[],
    i_ntables int4[], i_wake bool[], i_insert text, i_lo int4, i_hi int4)
returns text as $$
-- PL/pgSQL text that writes the event when the queue is one of i_lo..i_hi of the id-sorted
-- arrays: a binary search on v_queue_id (cost grows with log(queues)), then, chosen by
-- v_cur_table, the statement i_insert with %1$s = the table and %2$s = the event sequence,
-- both as SQL text. A queue with i_wake (ticker_on_commit) first notifies pgq_new_events with
-- the caller's queue_name: PostgreSQL delivers it at commit, once per transaction and queue,
-- and not at all on rollback, which is exactly when the ticker should look.
declare
    v_mid int4;
    v_sql text;
    i int4;
begin
    if i_lo > i_hi then
        return '';
    end if;
    if i_lo < i_hi then
        v_mid := (i_lo + i_hi) / 2;
        return E'\n    if v_queue_id <= ' || i_ids[v_mid] || ' then'
            || pgq._insert_dispatch_branch(i_ids, i_tables, i_seqs, i_ntables, i_wake, i_insert, i_lo, v_mid)
            || E'\n    else'
            || pgq._insert_dispatch_branch(i_ids, i_tables, i_seqs, i_ntables, i_wake, i_insert, v_mid + 1, i_hi)
            || E'\n    end if;';
    end if;
    v_sql := E'\n    if v_queue_id = ' || i_ids[i_lo] || ' then';
    if i_wake[i_lo] then
        v_sql := v_sql || E'\n      perform pg_notify(''pgq_new_events'', queue_name);';
    end if;
    for i in 0 .. i_ntables[i_lo] - 1 loop
        v_sql := v_sql || E'\n      ' || case when i = 0 then 'if' else 'elsif' end
            || ' v_cur_table = ' || i || E' then\n        '
            || format(i_insert, pgq.quote_fqname(i_tables[i_lo] || '_' || i),
                      quote_literal(pgq.quote_fqname(i_seqs[i_lo])) || '::regclass');
    end loop;
    return v_sql || E'\n      end if;\n    end if;';
end;
$$ language plpgsql immutable;

create or replace function pgq._generate_insert_dispatch()
returns integer as $$
-- Fills the generated part of both pgq.insert_event() forms and of pgq.insert_event_raw(): static
-- INSERT statements for every table of every queue, placed between their marker lines.
-- EXECUTE would plan every insert anew; static statements keep their plans cached per session,
-- which is what makes insert_event as fast as the original C code. Called when queues are
-- created or dropped, when ticker_on_commit changes, and by every install. Returns the number
-- of queues covered.
declare
    v_ids int4[];
    v_tables text[];
    v_seqs text[];
    v_ntables int4[];
    v_wake bool[];
    v_fn record;
    v_def text;
    v_new text;
begin
    -- one generator at a time; the select below then sees every queue committed before us
    perform pg_advisory_xact_lock(hashtext('pgq._generate_insert_dispatch'));
    select array_agg(q.queue_id order by q.queue_id), array_agg(q.queue_data_pfx order by q.queue_id),
           array_agg(q.queue_event_seq order by q.queue_id), array_agg(q.queue_ntables order by q.queue_id),
           array_agg(w.queue_id is not null order by q.queue_id)
      into v_ids, v_tables, v_seqs, v_ntables, v_wake
      from pgq.queue q left join pgq.queue_ticker_on_commit w on w.queue_id = q.queue_id;
    for v_fn in
        -- insert_event: a new event; the sequence is a constant the planner resolves once. The
        -- id is taken before the INSERT: RETURNING ... INTO costs a result set per call
        select 'pgq.insert_event(text, text, text, text, text, text, text)' as sig,
               'v_ev_id := nextval(%2$s);'
               || E'\n        insert into %1$s (ev_id, ev_time, ev_type, ev_data,'
               || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
               || E'\n        values (v_ev_id, now(), ev_type, ev_data,'
               || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4);'
               || E'\n        return v_ev_id;' as ins
        union all
        select 'pgq.insert_event(text, text, text)',
               'v_ev_id := nextval(%2$s);'
               || E'\n        insert into %1$s (ev_id, ev_time, ev_type, ev_data)'
               || E'\n        values (v_ev_id, now(), ev_type, ev_data);'
               || E'\n        return v_ev_id;'
        union all
        -- insert_event_raw: every field given, NULL id and time mean the new id and now()
        select 'pgq.insert_event_raw(text, bigint, timestamptz, int4, int4, text, text, text, text, text, text)',
               'insert into %1$s (ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,'
               || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
               || E'\n        values (coalesce(ev_id, v_seq_id), coalesce(ev_time, now()), ev_owner, ev_retry,'
               || ' ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4);'
               || E'\n        return coalesce(ev_id, v_seq_id);'
    loop
        v_def := pg_get_functiondef(v_fn.sig::regprocedure);
        if strpos(v_def, '-- generated dispatch begin') = 0 then
            raise exception '% has lost its generated dispatch markers', v_fn.sig;
        end if;
        v_new := regexp_replace(v_def,
            '(-- generated dispatch begin).*(\n *-- generated dispatch end)',
            '\1' || replace(pgq._insert_dispatch_branch(v_ids, v_tables, v_seqs, v_ntables, v_wake, v_fn.ins,
                                                        1, coalesce(array_length(v_ids, 1), 0)),
                            '\', '\\') || '\2');
        execute v_new;
    end loop;
    return coalesce(array_length(v_ids, 1), 0);
end;
$$ language plpgsql security definer
-- validating the generated bodies would compile them once more, which with hundreds of queues
-- costs most of the time of create_queue; their shape is fixed here and covered by the tests
set check_function_bodies = off;
