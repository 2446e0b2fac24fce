-- Code generated per table for the pgq row triggers, placed inside pgq.logutriga,
-- pgq.sqltriga and pgq.jsontriga between their "generated dispatch" marker lines.
--
-- Why: a generic PL/pgSQL trigger must find out in every transaction what the table looks like
-- (the per-session cache of pgq._trg_hot) and encode the row as text with string functions, and
-- PL/pgSQL sets up every expression it evaluates again in each transaction: that is most of what
-- a one-row transaction pays for a trigger. Code written for one table and trigger has the queue,
-- table name, key and column names as constants and reads each column as NEW.col, encoded only
-- as its type needs, so sqltriga's UPDATE compares columns with one expression instead of a loop
-- over split row texts.
--
-- How a trigger reaches its code: a binary search on TG_RELID (one IF per level), then the
-- trigger's name and the operation. A table or trigger without generated code falls through to
-- the general code below the markers, which handles everything (and is what every row takes
-- when the code does not apply: options other than the queue name and pkey=, column types not
-- listed in pgq._trg_gen_column, a key change or a NULL key, session_replication_role = local).
--
-- When it is regenerated: the event trigger pgq_trigger_codegen runs pgq._trg_generate after any
-- DDL that can change what the code depends on (see pgq._trg_gen_ddl), in the same transaction,
-- so a session that sees the new table definition also sees the new trigger body (PL/pgSQL
-- recompiles a function whose pg_proc row changed). Without that event trigger (installed by a
-- non-superuser) nothing is generated. The code also carries the database's identity (system
-- identifier and database OID): restored from a dump into another database, where table OIDs
-- mean other tables, it stays switched off until the next generation (install or DDL).
--
-- PL/pgSQL compiles a trigger function once per trigger using it, each time with all branches,
-- so the generated code is limited to the first pgq._trg_gen_limit() triggers of each kind (by
-- OID); the others take the general code.

create or replace function pgq._trg_gen_limit()
returns integer as $$ select 64 $$ language sql immutable;

-- What the generated code is valid for: this cluster and database.
create or replace function pgq._trg_gen_stamp()
returns text as $$
    select (select system_identifier from pg_catalog.pg_control_system())::text || ':'
           || (select oid from pg_catalog.pg_database where datname = current_database())::text;
$$ language sql stable security definer;

-- Whether the generated code may run: in the database it was generated for, and not with
-- session_replication_role = local (no events then; the general code handles it). Declared
-- immutable, though it is not, so that the planner folds a call with a constant argument: the
-- branch's condition then costs nothing per row. PostgreSQL flushes a session's plans when its
-- session_replication_role changes, and the stamp of a database never changes.
create or replace function pgq._trg_gen_on(i_stamp text)
returns boolean as $$
begin
    return current_setting('session_replication_role') <> 'local' and i_stamp = pgq._trg_gen_stamp();
end;
$$ language plpgsql immutable security definer;

-- URL-encoding of one value as the triggers write it (see pgq._urlencode): values made of
-- characters that need nothing or only the replacements below take no function call; inlined
-- SQL functions, so they cost nothing of their own. The first is for the text of dates and
-- times (':' and '+'), the second for other text, where each replace() would cost as much as
-- the test.
create or replace function pgq._trg_gen_urlenc(i_val text)
returns text as $$
    select case when i_val ~ '^[0-9A-Za-z_. :+-]*$'
                then replace(replace(replace(i_val, '+', '%2b'), ':', '%3a'), ' ', '+')
                else pgq._urlencode(i_val) end;
$$ language sql immutable;

create or replace function pgq._trg_gen_urlenc_text(i_val text)
returns text as $$
    select case when i_val ~ '^[0-9A-Za-z_. -]*$' then replace(i_val, ' ', '+')
                else pgq._urlencode(i_val) end;
$$ language sql immutable;

-- How generated code reads column i_col of row i_row (NEW or OLD) as the text its type's output
-- function gives: 'raw' for types whose text is a plain number (usable as it is by format and
-- needing no URL-encoding), 'text' for the expression giving the text, or NULL when the type is
-- not one the generated code handles. The cast to text is I/O conversion for all these but
-- boolean, whose cast spells 'true'.
create or replace function pgq._trg_gen_column(i_row text, i_col text, i_type oid, out kind text, out expr text)
returns record as $$
begin
    expr := i_row || '.' || quote_ident(i_col);
    if i_type in (21, 23, 20, 26, 1700) then
        kind := 'raw';
    elsif i_type in (25, 1043) then
        kind := 'text';
    elsif i_type = 16 then
        kind := 'text';
        expr := format('case when %1$s then ''t'' when not %1$s then ''f'' end', expr);
    elsif i_type in (1082, 1114, 1184, 1083, 1266) then
        kind := 'time';
        expr := expr || '::text';
    elsif i_type in (700, 701, 2950, 17, 1186, 3802) then
        kind := 'text';
        expr := expr || '::text';
    else
        kind := null;
    end if;
end;
$$ language plpgsql immutable;

-- The PL/pgSQL statements for one trigger (the body of its branch), or NULL when generated code
-- does not apply to it. i_kind 'L', 'S' or 'J'; i_tgtype is pg_trigger.tgtype.
create or replace function pgq._trg_gen_trigger(i_kind text, i_relid oid, i_tgname name, i_args text[],
                                                i_tgtype int2, i_stamp text)
returns text as $$
declare
    v_f text[];
    v_col record;
    v_new record;
    v_old record;
    v_keys text[];
    v_qname text;
    v_pname text;
    v_key_eq text[] := '{}';
    v_key_notnull text[] := '{}';
    v_key_lit text[] := '{}';
    v_key_args text[] := '{}';
    v_fmt text[] := '{}';
    v_fast_new text[] := '{}';
    v_fast_old text[] := '{}';
    v_check_new text[] := '{}';
    v_check_old text[] := '{}';
    v_times boolean := false;
    v_plus_name boolean := false;
    v_fast_data_new text;
    v_fast_data_old text;
    v_fast_check_new text;
    v_fast_check_old text;
    v_ins text[];
    v_upd text[];
    v_del text[];
    v_ret text;
    v_new_args text[] := '{}';
    v_old_args text[] := '{}';
    v_ins_cols text[] := '{}';
    v_ins_vals text[] := '{}';
    v_set text[] := '{}';
    v_first_key text;
    v_queue text;
    v_tbl text;
    v_before boolean := (i_tgtype & 2) <> 0;
    v_code text := '';
    v_data_new text;
    v_data_old text;
    v_where text;
    -- the relation, the trigger, and whether the code may run (folded when planned)
    v_test text := format('TG_OP = %%L and TG_NAME = %L and pgq._trg_gen_on(%L)', i_tgname, i_stamp);
begin
    -- row level only
    if (i_tgtype & 1) = 0 then
        return null;
    end if;
    v_f := string_to_array(pgq._trg_build(i_kind, i_relid, i_args, array_to_string(i_args, chr(31))), chr(30));
    -- the plain path (flag F: no option but pkey=, and a key), no magic or ignored columns;
    -- jsontriga's rows as row_to_json gives them (flag N)
    if v_f[3] <> 'F' or v_f[13] ~ '[^k]' or (i_kind = 'J' and strpos(v_f[10], 'N') = 0) then
        return null;
    end if;
    v_queue := quote_literal(v_f[4]);
    v_tbl := quote_literal(v_f[5]);
    -- key column positions, in column order
    v_keys := string_to_array(v_f[9], ',');
    for v_col in
        select a.attname::text as name, a.atttypid as typid, a.attnotnull as notnull,
               row_number() over (order by a.attnum) as pos,
               coalesce(co.collisdeterministic, true) as deterministic
          from pg_catalog.pg_attribute a
          left join pg_catalog.pg_collation co on co.oid = a.attcollation
         where a.attrelid = i_relid and a.attnum > 0 and not a.attisdropped
         order by a.attnum
    loop
        v_new := pgq._trg_gen_column('NEW', v_col.name, v_col.typid);
        v_old := pgq._trg_gen_column('OLD', v_col.name, v_col.typid);
        if (v_new.kind is null and i_kind <> 'J') or not v_col.deterministic then
            return null;
        end if;
        v_qname := quote_ident(v_col.name);
        -- the name as it goes into a format() string
        v_pname := replace(v_qname, '%', '%%');
        if v_col.pos::text = any (v_keys) then
            -- a key is compared with its type's equality, which must mean the same text
            if v_new.kind is null or v_col.typid in (1700, 700, 701, 1186) then
                return null;
            end if;
            v_key_eq := v_key_eq || format('NEW.%1$s = OLD.%1$s', v_qname);
            if not v_col.notnull then
                v_key_notnull := v_key_notnull || format('OLD.%s is not null', v_qname);
            end if;
            v_key_lit := v_key_lit || (v_pname || '=%L');
            v_key_args := v_key_args || ('OLD.' || v_qname);
            if v_first_key is null then
                v_first_key := format('format(%L, OLD.%s)', v_pname || '=%L', v_qname);
            end if;
        end if;
        if i_kind = 'L' then
            -- name=value, or the name alone for NULL
            v_fmt := v_fmt || (replace(pgq._urlencode(v_col.name), '%', '%%')
                               || case when v_col.notnull then '=%s' else '%s' end);
            v_new_args := v_new_args || pgq._trg_gen_logu_value(v_new.kind, 'NEW.' || v_qname, v_new.expr, v_col.notnull);
            v_old_args := v_old_args || pgq._trg_gen_logu_value(v_old.kind, 'OLD.' || v_qname, v_old.expr, v_col.notnull);
            -- the whole row at once (see below): values as format() prints them, those of text
            -- and time columns checked together
            v_plus_name := v_plus_name or strpos(pgq._urlencode(v_col.name), '+') > 0;
            if v_new.kind = 'raw' or v_col.typid = 16 then
                v_fast_new := v_fast_new || case when v_col.notnull then v_new.expr
                                                 else '''='' || ' || v_new.expr || case when v_new.kind = 'raw' then '::text' else '' end end;
                v_fast_old := v_fast_old || case when v_col.notnull then v_old.expr
                                                 else '''='' || ' || v_old.expr || case when v_old.kind = 'raw' then '::text' else '' end end;
            else
                v_times := v_times or v_new.kind = 'time' or v_col.typid in (700, 701, 1186);
                v_fast_new := v_fast_new || case when v_col.notnull then 'NEW.' || v_qname else '''='' || ' || v_new.expr end;
                v_fast_old := v_fast_old || case when v_col.notnull then 'OLD.' || v_qname else '''='' || ' || v_old.expr end;
                v_check_new := v_check_new || ('NEW.' || v_qname);
                v_check_old := v_check_old || ('OLD.' || v_qname);
            end if;
        elsif i_kind = 'S' then
            -- sqltriga: INSERT values as literals with a lowercase null; UPDATE 'col=value' of
            -- the changed columns, NULL in capitals (format's %L)
            v_ins_cols := v_ins_cols || v_pname;
            v_ins_vals := v_ins_vals || case
                when v_col.notnull then format('format(%L, NEW.%s)', '%L', v_qname)
                when v_new.kind = 'raw' then format('coalesce(quote_literal(%s::text), %L)', v_new.expr, 'null')
                else format('coalesce(quote_literal(%s), %L)', v_new.expr, 'null') end;
            -- (the key is unchanged, or the general code takes the row)
            if not v_col.pos::text = any (v_keys) then
                v_set := v_set || format('case when NEW.%1$s is distinct from OLD.%1$s then format(%2$L, NEW.%1$s) end',
                                         v_qname, v_pname || '=%L');
            end if;
        end if;
    end loop;
    if cardinality(v_key_eq) = 0 then
        return null;
    end if;
    v_where := format('format(%L, %s)', array_to_string(v_key_lit, ' and '), array_to_string(v_key_args, ', '));
    if i_kind = 'L' then
        v_data_new := format('format(%L, %s)', array_to_string(v_fmt, '&'), array_to_string(v_new_args, ', '));
        v_data_old := format('format(%L, %s)', array_to_string(v_fmt, '&'), array_to_string(v_old_args, ', '));
        -- Rows whose text and time values hold only characters that need nothing or the
        -- replacements below are encoded in one go, with a single test (the names are encoded
        -- already, and hold none of those characters but, from a space, '+'); the others take
        -- the code above, which encodes each value as it needs.
        v_fast_data_new := format('format(%L, %s)', array_to_string(v_fmt, '&'), array_to_string(v_fast_new, ', '));
        v_fast_data_old := format('format(%L, %s)', array_to_string(v_fmt, '&'), array_to_string(v_fast_old, ', '));
        if cardinality(v_check_new) = 0 then
            v_data_new := v_fast_data_new;
            v_data_old := v_fast_data_old;
        elsif not (v_times and v_plus_name) then
            v_fast_check_new := case when cardinality(v_check_new) = 1 then 'coalesce(' || v_check_new[1] || '::text, '''')'
                                     else 'concat(' || array_to_string(v_check_new, ', ') || ')' end;
            v_fast_check_old := case when cardinality(v_check_old) = 1 then 'coalesce(' || v_check_old[1] || '::text, '''')'
                                     else 'concat(' || array_to_string(v_check_old, ', ') || ')' end;
            if v_times then
                v_fast_check_new := v_fast_check_new || ' ~ ''^[0-9A-Za-z_. :+-]*$''';
                v_fast_check_old := v_fast_check_old || ' ~ ''^[0-9A-Za-z_. :+-]*$''';
                v_fast_data_new := 'replace(replace(replace(' || v_fast_data_new || ', ''+'', ''%2b''), '':'', ''%3a''), '' '', ''+'')';
                v_fast_data_old := 'replace(replace(replace(' || v_fast_data_old || ', ''+'', ''%2b''), '':'', ''%3a''), '' '', ''+'')';
            else
                v_fast_check_new := v_fast_check_new || ' ~ ''^[0-9A-Za-z_. -]*$''';
                v_fast_check_old := v_fast_check_old || ' ~ ''^[0-9A-Za-z_. -]*$''';
                v_fast_data_new := 'replace(' || v_fast_data_new || ', '' '', ''+'')';
                v_fast_data_old := 'replace(' || v_fast_data_old || ', '' '', ''+'')';
            end if;
        end if;
    elsif i_kind = 'J' then
        v_data_new := 'row_to_json(NEW)::text';
        v_data_old := 'row_to_json(OLD)::text';
    end if;

    -- event type and data per operation
    if i_kind = 'L' then
        v_ins := array[quote_literal('I' || v_f[14]), v_data_new];
        v_upd := array[quote_literal('U' || v_f[14]), v_data_new];
        v_del := array[quote_literal('D' || v_f[14]), v_data_old];
    elsif i_kind = 'J' then
        v_ins := array[quote_literal('{"op":"INSERT' || v_f[7]), v_data_new];
        v_upd := array[quote_literal('{"op":"UPDATE' || v_f[7]), v_data_new];
        v_del := array[quote_literal('{"op":"DELETE' || v_f[7]), v_data_old];
    else
        v_ins := array['''I''', format('format(%L, %s)', '(' || array_to_string(v_ins_cols, ',') || ') values ('
                                       || array_to_string(array_fill('%s'::text, array[cardinality(v_ins_vals)]), ',') || ')',
                                       array_to_string(v_ins_vals, ', '))];
        v_upd := array['''U''', case when cardinality(v_set) = 0 then v_first_key
                                     else 'coalesce(nullif(concat_ws('','', ' || array_to_string(v_set, ', ') || '), ''''), '
                                          || v_first_key || ')' end || ' || '' where '' || ' || v_where];
        v_del := array['''D''', v_where];
    end if;
    v_ret := case when v_before then 'NEW' else 'null' end;
    -- One statement per operation, whose condition holds only what costs little to set up (every
    -- condition evaluated is, in each transaction, even when an earlier part is false); inside,
    -- the whole-row test of logutriga.
    -- INSERT (tgtype bit 4)
    if (i_tgtype & 4) <> 0 then
        v_code := v_code || pgq._trg_gen_op(format(v_test, 'INSERT'), v_fast_check_new, v_queue, v_ins[1],
                                            v_fast_data_new, v_ins[2], v_tbl, v_ret);
    end if;
    -- UPDATE (bit 16): a key change or a NULL key goes to the general code, which refuses it
    if (i_tgtype & 16) <> 0 then
        v_code := v_code || pgq._trg_gen_op(format(v_test, 'UPDATE') || ' and ' || array_to_string(v_key_eq, ' and '),
                                            v_fast_check_new, v_queue, v_upd[1], v_fast_data_new, v_upd[2], v_tbl, v_ret);
    end if;
    -- DELETE (bit 8); a NULL key goes to the general code
    if (i_tgtype & 8) <> 0 then
        v_code := v_code || pgq._trg_gen_op(format(v_test, 'DELETE') || case when cardinality(v_key_notnull) > 0
                                                 then ' and ' || array_to_string(v_key_notnull, ' and ') else '' end,
                                            v_fast_check_old, v_queue, v_del[1], v_fast_data_old, v_del[2], v_tbl,
                                            case when v_before then 'OLD' else 'null' end);
    end if;
    if v_code = '' then
        return null;
    end if;
    return v_code;
end;
$$ language plpgsql;

-- The generated statement of one operation: when i_test holds, write the event and return
-- i_ret; the event data is i_fast_data when i_check also holds (if there is one), else i_data.
create or replace function pgq._trg_gen_op(i_test text, i_check text, i_queue text, i_type text,
                                           i_fast_data text, i_data text, i_tbl text, i_ret text)
returns text as $$
    select E'\n        if ' || i_test || E' then'
        || case when i_check is null then ''
                else E'\n            if ' || i_check || E' then'
                     || E'\n                v_gen_id := pgq.insert_event(' || i_queue || ', ' || i_type || ', '
                     || i_fast_data || ', ' || i_tbl || E', null, null, null);'
                     || E'\n                return ' || i_ret || E';'
                     || E'\n            end if;' end
        || E'\n            v_gen_id := pgq.insert_event(' || i_queue || ', ' || i_type || ', ' || i_data || ', ' || i_tbl
        || E', null, null, null);'
        || E'\n            return ' || i_ret || E';'
        || E'\n        end if;';
$$ language sql immutable;

-- The format() argument of one column of a logutriga row: the value, encoded, with its '=' for
-- a column that may be NULL (a NULL then leaves the name alone); a NOT NULL column's '=' is in
-- the format string.
create or replace function pgq._trg_gen_logu_value(i_kind text, i_col text, i_expr text, i_notnull boolean)
returns text as $$
    select case when i_notnull then '' else '''='' || ' end
           || case when i_kind = 'raw' and i_notnull then i_expr
                   when i_kind = 'raw' then i_expr || '::text'
                   when i_kind = 'time' then 'pgq._trg_gen_urlenc(' || i_expr || ')'
                   else 'pgq._trg_gen_urlenc_text(' || i_expr || ')' end;
$$ language sql immutable;

-- PL/pgSQL text dispatching on TG_RELID to the code of relations i_relids[i_lo..i_hi] (sorted,
-- each with its code in i_codes): a binary search down to one relation, then its code, which
-- tests the trigger and the operation in one condition per operation.
create or replace function pgq._trg_gen_tree(i_relids oid[], i_codes text[], i_lo integer, i_hi integer)
returns text as $$
declare
    v_mid integer;
begin
    if i_lo > i_hi then
        return '';
    elsif i_lo < i_hi then
        v_mid := (i_lo + i_hi) / 2;
        return E'\n    if TG_RELID <= ' || i_relids[v_mid] || ' then'
            || pgq._trg_gen_tree(i_relids, i_codes, i_lo, v_mid)
            || E'\n    else'
            || pgq._trg_gen_tree(i_relids, i_codes, v_mid + 1, i_hi)
            || E'\n    end if;';
    end if;
    -- The relation is tested alone first: the code below names its columns, and an expression
    -- naming a field the row lacks fails as it is prepared, even where it would not be reached.
    return E'\n        if TG_RELID = ' || i_relids[i_lo] || ' then'
        || replace(i_codes[i_lo], E'\n', E'\n    ') || E'\n        end if;';
end;
$$ language plpgsql immutable;

-- The arguments of a trigger from pg_trigger.tgargs (each ends with a zero byte).
create or replace function pgq._trg_gen_args(i_tgargs bytea, i_nargs int2)
returns text[] as $$
declare
    v_args text[] := '{}';
    v_rest bytea := i_tgargs;
    v_end integer;
begin
    for v_i in 1 .. i_nargs loop
        v_end := position('\x00'::bytea in v_rest);
        v_args := v_args || convert_from(substring(v_rest from 1 for v_end - 1),
                                         pg_catalog.pg_encoding_to_char(
                                             (select encoding from pg_catalog.pg_database where datname = current_database())));
        v_rest := substring(v_rest from v_end + 1);
    end loop;
    return v_args;
end;
$$ language plpgsql stable;

-- The pgq row triggers of kind i_kind that generated code is made for: row level ones on tables
-- and partitions, up to pgq._trg_gen_limit() of them.
create or replace function pgq._trg_gen_triggers(i_kind text)
returns table (tgoid oid, relid oid, tgname name, args text[], tgtype int2) as $$
    select t.oid, t.tgrelid, t.tgname,
           pgq._trg_gen_args(t.tgargs, t.tgnargs),
           t.tgtype
      from pg_catalog.pg_trigger t
     where t.tgfoid = case i_kind when 'L' then 'pgq.logutriga()'::regprocedure
                                  when 'S' then 'pgq.sqltriga()'::regprocedure
                                  else 'pgq.jsontriga()'::regprocedure end
       and not t.tgisinternal
     order by t.oid
     limit pgq._trg_gen_limit();
$$ language sql stable;

-- Regenerates the dispatch of pgq.logutriga, pgq.sqltriga and pgq.jsontriga from the catalog;
-- a function whose code is unchanged is left alone (replacing it would make every session
-- recompile it).
-- Without the event trigger that keeps it current, the dispatch is left empty. Returns the
-- number of triggers with generated code.
create or replace function pgq._trg_generate()
returns integer as $$
declare
    v_kind text;
    v_fn regprocedure;
    v_on boolean;
    v_stamp text;
    v_relids oid[];
    v_codes text[];
    v_t record;
    v_code text;
    v_dispatch text;
    v_def text;
    v_new text;
    v_count integer := 0;
begin
    -- one generator at a time; the catalog read below then sees every DDL committed before us
    perform pg_advisory_xact_lock(hashtext('pgq._trg_generate'));
    v_on := exists (select 1 from pg_catalog.pg_event_trigger
                     where evtname = 'pgq_trigger_codegen' and evtenabled <> 'D');
    v_stamp := pgq._trg_gen_stamp();
    foreach v_kind in array array['L', 'S', 'J'] loop
        v_fn := case v_kind when 'L' then 'pgq.logutriga()'::regprocedure when 'S' then 'pgq.sqltriga()'::regprocedure
                            else 'pgq.jsontriga()'::regprocedure end;
        v_relids := '{}';
        v_codes := '{}';
        if v_on then
            for v_t in select * from pgq._trg_gen_triggers(v_kind) order by relid, tgname loop
                begin
                    v_code := pgq._trg_gen_trigger(v_kind, v_t.relid, v_t.tgname, v_t.args, v_t.tgtype, v_stamp);
                exception when others then
                    -- a trigger the general code would refuse (bad arguments, unknown magic column)
                    v_code := null;
                end;
                continue when v_code is null;
                v_count := v_count + 1;
                if v_relids[cardinality(v_relids)] = v_t.relid then
                    v_codes[cardinality(v_codes)] := v_codes[cardinality(v_codes)] || v_code;
                else
                    v_relids := v_relids || v_t.relid;
                    v_codes := v_codes || v_code;
                end if;
            end loop;
        end if;
        v_dispatch := pgq._trg_gen_tree(v_relids, v_codes, 1, cardinality(v_relids));
        v_def := pg_get_functiondef(v_fn);
        if strpos(v_def, '-- generated dispatch begin') = 0 then
            raise exception '% has lost its generated dispatch markers', v_fn;
        end if;
        v_new := regexp_replace(v_def, '(-- generated dispatch begin).*(\n *-- generated dispatch end)',
                                '\1' || replace(v_dispatch, '\', '\\') || '\2');
        if v_new is distinct from v_def then
            begin
                -- checked as it is created: code that does not compile must not stop every row
                perform set_config('check_function_bodies', 'on', true);
                execute v_new;
            exception when others then
                raise warning 'pgq: generated code for % failed (%), using the general code', v_fn, sqlerrm;
                v_new := regexp_replace(v_def, '(-- generated dispatch begin).*(\n *-- generated dispatch end)', '\1\2');
                perform set_config('check_function_bodies', 'off', true);
                execute v_new;
            end;
        end if;
    end loop;
    return v_count;
end;
$$ language plpgsql security definer
set check_function_bodies = off;

-- The event trigger's function: regenerates when the DDL can have changed what generated code
-- depends on: a pgq trigger created, dropped or renamed, a table holding one altered or dropped,
-- a schema renamed or dropped.
create or replace function pgq._trg_gen_ddl()
returns event_trigger as $$
declare
    v_relevant boolean;
begin
    if tg_tag in ('ALTER SCHEMA', 'DROP SCHEMA', 'DROP TABLE', 'DROP TRIGGER', 'DROP FOREIGN TABLE',
                  'CREATE TRIGGER', 'ALTER TRIGGER') then
        v_relevant := true;
    else
        select exists (select 1 from pg_catalog.pg_event_trigger_ddl_commands() c
                         join pg_catalog.pg_trigger t on t.tgrelid = c.objid
                        where c.classid = 'pg_catalog.pg_class'::regclass
                          and t.tgfoid in ('pgq.logutriga()'::regprocedure, 'pgq.sqltriga()'::regprocedure,
                                           'pgq.jsontriga()'::regprocedure))
          into v_relevant;
    end if;
    if v_relevant then
        perform pgq._trg_generate();
    end if;
end;
$$ language plpgsql security definer;

do $$
begin
    if not exists (select 1 from pg_catalog.pg_event_trigger where evtname = 'pgq_trigger_codegen') then
        create event trigger pgq_trigger_codegen on ddl_command_end
            when tag in ('ALTER TABLE', 'ALTER SCHEMA', 'ALTER FOREIGN TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER',
                         'DROP TRIGGER', 'DROP TABLE', 'DROP FOREIGN TABLE', 'DROP SCHEMA')
            execute function pgq._trg_gen_ddl();
        -- DDL replayed with session_replication_role = replica must regenerate too
        alter event trigger pgq_trigger_codegen enable always;
    end if;
exception when insufficient_privilege then
    null;  -- pgq._trg_cache's install has said what a missing event trigger means
end $$;

do $$ begin perform pgq._trg_generate(); end $$;
