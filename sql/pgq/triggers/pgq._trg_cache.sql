-- Per-session cache of what a pgq trigger needs to know about its table and arguments.
--
-- Reading the catalog on every row would cost more than the rest of the trigger, so the facts
-- are computed once per trigger (table and trigger name) and kept in custom GUCs of the session
-- (see pgq._trg_setup). An entry must be rebuilt when the table changes; two ways tell:
--  - with the event trigger below, any ALTER TABLE / ALTER SCHEMA / ALTER INDEX / CREATE TRIGGER
--    in the database bumps pgq.trigger_ddl_seq, and an entry built under another value of that
--    sequence is stale (a sequence, unlike a table, is read without a query and is not
--    transactional), which costs next to nothing per row;
--  - creating an event trigger needs a superuser, which managed servers do not give. Installed
--    without one, an entry carries instead a digest of the catalog rows it was built from
--    (pgq._trg_stamp, starting with 'C'), read again for every event: one catalog query per
--    row (measured on a loaded 2-core machine: about 70 us per call, roughly half for the
--    pg_attribute part and half for the pg_index subquery).

create sequence if not exists pgq.trigger_ddl_seq;
grant select on pgq.trigger_ddl_seq to public;
do $$ begin perform nextval('pgq.trigger_ddl_seq'); end $$;

-- Besides the bump, the (unchanged) grant rewrites the sequence's pg_class row, which at commit
-- invalidates in every session the plans naming the sequence: the fast path entries' names take
-- the sequence value when their expression is planned (pgq._trg_hot_epoch), not on every row.
create or replace function pgq._trg_ddl_bump()
returns event_trigger as $$
begin
    perform nextval('pgq.trigger_ddl_seq');
    grant select on pgq.trigger_ddl_seq to public;
end;
$$ language plpgsql security definer;

do $$
begin
    if not exists (select 1 from pg_catalog.pg_event_trigger where evtname = 'pgq_trigger_cache_reset') then
        create event trigger pgq_trigger_cache_reset on ddl_command_end
            when tag in ('ALTER TABLE', 'ALTER SCHEMA', 'ALTER INDEX', 'ALTER FOREIGN TABLE', 'CREATE TRIGGER')
            execute function pgq._trg_ddl_bump();
        -- DDL replayed with session_replication_role = replica must reset the caches too
        alter event trigger pgq_trigger_cache_reset enable always;
    end if;
exception when insufficient_privilege then
    raise notice 'pgq: no event trigger for the pgq trigger cache (that needs a superuser); pgq triggers will check the table''s catalog rows on every event instead';
end $$;

-- Digest of everything a cache entry is built from that DDL can change: schema and table name,
-- columns (names, types, order), primary key, and the trigger's arguments (a trigger re-created
-- under the same name may have others). One query on pg_attribute with pg_index as a subquery
-- is what a row pays (the digest over pg_trigger and joins tried first cost about 1.5 times more).
create or replace function pgq._trg_stamp(i_relid oid, i_args text[])
returns text as $$
begin
    return (select 'C' || md5(concat_ws(chr(31),
                   pg_catalog.pg_identify_object('pg_catalog.pg_class'::regclass, i_relid, 0)::text,
                   coalesce((select pk.indkey::text from pg_catalog.pg_index pk
                              where pk.indrelid = i_relid and pk.indisprimary), '-'),
                   array_to_string(i_args, chr(31)),
                   string_agg(a.attname || ' ' || a.atttypid, ',' order by a.attnum)))
              from pg_catalog.pg_attribute a
             where a.attrelid = i_relid and a.attnum > 0 and not a.attisdropped);
end;
$$ language plpgsql stable;

-- The stamp an entry is valid under: the event trigger's sequence value, or without the event
-- trigger the catalog digest.
create or replace function pgq._trg_current_stamp(i_relid oid, i_args text[])
returns text as $$
begin
    if exists (select 1 from pg_catalog.pg_event_trigger
                where evtname = 'pgq_trigger_cache_reset' and evtenabled <> 'D') then
        return pg_sequence_last_value('pgq.trigger_ddl_seq'::regclass)::text;
    end if;
    return pgq._trg_stamp(i_relid, i_args);
end;
$$ language plpgsql stable;

-- Field layout of a cache entry (fields separated by chr(30), read with split_part or after one
-- string_to_array, both much cheaper than parsing an array literal); the fields a plain row
-- event needs come first:
--  1 stamp (pgq._trg_current_stamp)  2 argument list it was built from (joined by chr(31))
--  3 'F' when the trigger can take the plain path (no SKIP, backup, deny, ignore=,
--    expressions or magic columns; a key list exists), else '-'
--  4 queue name                 5 table name 'schema.table' (unquoted)
--  6 number of columns          7 ev_type tail of this kind (logutriga ':k1,k2', sqltriga '',
--    jsontriga '","table":["schema","table"],"pkey":["k1"]}')
--  8 format() string of the row in this kind's format: urlencoded with 'name=' before each
--    value (a NULL leaves 'name=', which the trigger trims), JSON, sqltriga INSERT
--  9 key column positions in column order, comma separated
-- 10 flags: S skip, B backup, D deny, X expressions, M magic columns, I ignore=, P pkey=,
--    K key list not empty, N row_to_json gives the exact jsontriga data, T every column's
--    text tells whether it changed (equality code 'c' throughout)
-- 11 json code per column (i int, b bool, d date, T timestamp, Z timestamptz, s string)
-- 12 equality code per column (see pgq._trg_changed)
-- 13 per column: k kept, i ignored, m magic
-- 14 logutriga ev_type tail
-- 15 format() string of the urlencoded row, '=' travelling with the value
-- 16 format() string of the JSON row
-- 17 format() string of the sqltriga INSERT    18 format() string of the sqltriga key condition
-- 19 quoted column names joined by chr(31)     20 type names joined by chr(31) (for code x)
-- 21 magic column positions for ev_type,ev_data,ev_extra1..4 (0 = none)
-- 22 expression query, 23 which of when,ev_type,ev_data,ev_extra1..4 it computes (y/n)
-- 24 jsontriga ev_type tail
create or replace function pgq._trg_build(i_kind text, i_relid oid, i_args text[], i_argkey text)
returns text as $$
declare
    v_sep constant text := chr(30);
    v_queue text := i_args[1];
    v_schema text;
    v_table text;
    v_fqname text;
    v_flags text := '';
    v_ignore text[] := '{}';
    v_pkey text[];
    v_exprs text[] := array[null, null, null, null, null, null, null];
    v_expr_names constant text[] := array['when', 'ev_type', 'ev_data', 'ev_extra1', 'ev_extra2', 'ev_extra3', 'ev_extra4'];
    v_magic_names constant text[] := array['_pgq_ev_type', '_pgq_ev_data', '_pgq_ev_extra1', '_pgq_ev_extra2', '_pgq_ev_extra3', '_pgq_ev_extra4'];
    v_magic integer[] := array[0, 0, 0, 0, 0, 0];
    v_arg text;
    v_name text;
    v_val text;
    v_i integer;
    v_col record;
    v_ncols integer := 0;
    v_cols text[] := '{}';
    v_jcodes text := '';
    v_eqcodes text := '';
    v_mask text := '';
    v_native boolean := true;
    v_keypos text[] := '{}';
    v_logu text[] := '{}';
    v_logu_eq text[] := '{}';
    v_json text[] := '{}';
    v_inscols text[] := '{}';
    v_insvals text[] := '{}';
    v_where text[] := '{}';
    v_quoted text[] := '{}';
    v_types text[] := '{}';
    v_expr_sql text := '';
    v_expr_mask text := '';
    v_sel text[] := '{}';
    v_out text[] := '{}';
    v_tails text[];
    v_fmts text[];
    v_k integer;
begin
    if v_queue is null then
        raise exception 'pgq trigger must have destination queue as argument';
    end if;
    for v_i in 2 .. coalesce(array_length(i_args, 1), 0) loop
        v_arg := i_args[v_i];
        if v_arg = 'SKIP' then
            v_flags := v_flags || 'S';
        elsif v_arg = 'backup' then
            v_flags := v_flags || 'B';
        elsif v_arg = 'deny' then
            v_flags := v_flags || 'D';
        elsif v_arg like 'ignore=%' then
            v_flags := v_flags || 'I';
            v_ignore := v_ignore || string_to_array(substr(v_arg, 8), ',');
        elsif v_arg like 'pkey=%' then
            v_flags := v_flags || 'P';
            v_pkey := string_to_array(substr(v_arg, 6), ',');
        elsif v_arg ~ '^(when|ev_type|ev_data|ev_extra[1-4])=' then
            v_name := split_part(v_arg, '=', 1);
            v_i := array_position(v_expr_names, v_name);
            -- the first occurrence of an expression wins, as in the original
            if v_exprs[v_i] is null then
                v_exprs[v_i] := substr(v_arg, length(v_name) + 2);
            end if;
            v_flags := v_flags || 'X';
        else
            raise exception 'bad param to pgq trigger';
        end if;
    end loop;

    select n.nspname, c.relname into v_schema, v_table
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.oid = i_relid;
    v_fqname := v_schema || '.' || v_table;
    if v_pkey is null then
        select array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum)) into v_pkey
          from pg_catalog.pg_index i
          join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
         where i.indrelid = i_relid and i.indisprimary;
        v_pkey := coalesce(v_pkey, '{}');
    end if;
    if cardinality(v_pkey) > 0 then
        v_flags := v_flags || 'K';
    end if;

    for v_col in
        select a.attname::text as name, a.atttypid as typid, t.typtype, t.typcategory,
               pg_catalog.format_type(a.atttypid, null) as typname,
               case when t.typtype = 'd' then t.typbasetype else a.atttypid end as basetype
          from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
         where a.attrelid = i_relid and a.attnum > 0 and not a.attisdropped
         order by a.attnum
    loop
        v_ncols := v_ncols + 1;
        v_cols := v_cols || v_col.name;
        v_quoted := v_quoted || quote_ident(v_col.name);
        v_types := v_types || v_col.typname;
        v_jcodes := v_jcodes || case v_col.typid
            when 21 then 'i' when 23 then 'i' when 20 then 'i' when 16 then 'b'
            when 1082 then 'd' when 1114 then 'T' when 1184 then 'Z' else 's' end;
        if not (v_col.typid in (21, 23, 20, 16, 1082, 1114, 1184, 25, 1043, 1042, 19, 18, 2950,
                                17, 1083, 1266, 1186, 869, 650, 829) or v_col.typtype = 'e') then
            v_native := false;
        end if;
        v_eqcodes := v_eqcodes || case
            when v_col.basetype = 1700 then 'n'
            when v_col.basetype in (700, 701) then 'f'
            when v_col.basetype = 1186 then 'v'
            when v_col.basetype = 1042 then 'h'
            -- text output identifies the value exactly, or there is no equality operator
            when v_col.basetype in (21, 23, 20, 16, 1082, 1114, 1184, 25, 1043, 19, 18, 26, 17,
                                    2950, 114, 3802, 1083, 1266, 869, 650, 829, 142, 790)
                 or v_col.typtype = 'e' then 'c'
            when v_col.typcategory = 'A' and exists (
                     select 1 from pg_catalog.pg_type e where e.typarray = v_col.basetype
                        and e.oid in (21, 23, 20, 16, 1082, 1114, 1184, 25, 1043, 19, 18, 26, 17,
                                      2950, 3802, 1083, 1266, 869, 650, 829)) then 'c'
            when exists (select 1 from pg_catalog.pg_opclass o
                          where o.opcdefault and o.opcmethod in (403, 405)
                            and o.opcintype in (v_col.basetype, case v_col.typcategory
                                when 'A' then 2277 when 'C' then 2249 when 'R' then 3831
                                when 'E' then 3500 end)) then 'x'
            else 'c' end;
        v_i := array_position(v_magic_names, v_col.name);
        if v_i is not null then
            v_magic[v_i] := v_ncols;
            v_mask := v_mask || 'm';
            v_flags := v_flags || 'M';
            continue;
        elsif v_col.name like '\_pgq\_ev\_%' then
            raise exception 'Unknown magic column: %', v_col.name;
        end if;
        if v_col.name = any (v_ignore) then
            v_mask := v_mask || 'i';
            continue;
        end if;
        v_mask := v_mask || 'k';
        v_logu := v_logu || (replace(pgq._urlencode(v_col.name), '%', '%%') || '%' || v_ncols || '$s');
        v_logu_eq := v_logu_eq || (replace(pgq._urlencode(v_col.name), '%', '%%') || '=%' || v_ncols || '$s');
        v_json := v_json || (replace(to_json(v_col.name)::text, '%', '%%') || ':%' || v_ncols || '$s');
        v_inscols := v_inscols || replace(quote_ident(v_col.name), '%', '%%');
        v_insvals := v_insvals || ('%' || v_ncols || '$L');
        if v_col.name = any (v_pkey) then
            v_keypos := v_keypos || v_ncols::text;
            v_where := v_where || (replace(quote_ident(v_col.name), '%', '%%') || '=%' || v_ncols || '$L');
        end if;
    end loop;
    -- key columns that are ignored still identify the row
    for v_i in 1 .. v_ncols loop
        if substr(v_mask, v_i, 1) = 'i' and v_cols[v_i] = any (v_pkey) then
            v_keypos := v_keypos || v_i::text;
            v_where := v_where || (replace(v_quoted[v_i], '%', '%%') || '=%' || v_i || '$L');
        end if;
    end loop;
    select coalesce(array_agg(p::text order by p), '{}'), coalesce(array_agg(w order by p), '{}')
      into v_keypos, v_where
      from unnest(v_keypos::integer[], v_where) as k(p, w);
    if v_native and v_mask = repeat('k', v_ncols) then
        v_flags := v_flags || 'N';
    end if;
    if v_eqcodes !~ '[^c]' then
        v_flags := v_flags || 'T';
    end if;

    if v_flags like '%X%' then
        for v_i in 1 .. 7 loop
            if v_exprs[v_i] is null then
                v_expr_mask := v_expr_mask || 'n';
            else
                v_expr_mask := v_expr_mask || 'y';
                v_sel := v_sel || ('(' || pgq._trg_expr_rewrite(v_exprs[v_i], v_cols) || ') as x' || v_i);
                v_out := v_out || case when v_i = 1 then 'pg_typeof(x1)::oid::text, x1::text'
                                       else 'x' || v_i || '::text' end;
            end if;
        end loop;
        v_expr_sql := 'select array[' || array_to_string(v_out, ', ') || '] from (select '
                      || array_to_string(v_sel, ', ') || ') s';
    end if;

    v_tails := array[':' || array_to_string(v_pkey, ','), '',
        '","table":[' || to_json(v_schema)::text || ',' || to_json(v_table)::text || '],"pkey":['
            || coalesce((select string_agg(to_json(k)::text, ',') from unnest(v_pkey) k), '') || ']}'];
    v_fmts := array[array_to_string(v_logu_eq, '&'),
        '(' || array_to_string(v_inscols, ',') || ') values (' || array_to_string(v_insvals, ',') || ')',
        '{' || array_to_string(v_json, ',') || '}'];
    v_k := strpos('LSJ', i_kind);
    return array_to_string(array[
        pgq._trg_current_stamp(i_relid, i_args),
        i_argkey,
        case when v_flags ~ '[SBDXMI]' or v_flags !~ 'K' then '-' else 'F' end,
        v_queue, v_fqname, v_ncols::text, v_tails[v_k], v_fmts[v_k],
        array_to_string(v_keypos, ','),
        v_flags, v_jcodes, v_eqcodes, v_mask, v_tails[1], array_to_string(v_logu, '&'), v_fmts[3], v_fmts[2],
        array_to_string(v_where, ' and '),
        array_to_string(v_quoted, chr(31)),
        array_to_string(v_types, chr(31)),
        array_to_string(v_magic, ','),
        v_expr_sql, v_expr_mask, v_tails[3]
        ], v_sep);
end;
$$ language plpgsql;
