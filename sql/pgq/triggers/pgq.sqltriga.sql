-- Trigger writing row changes as SQL fragments for replay: ev_type 'I'/'U'/'D' (or 'R' for
-- TRUNCATE), ev_data '(cols) values (...)', 'col=val where key=val' or 'key=val', ev_extra1
-- 'schema.table', ev_extra2 the urlencoded old row for UPDATE with 'backup'. Arguments as for
-- pgq.logutriga, whose comment explains the inline plain path.
create or replace function pgq.sqltriga()
returns trigger as $$
declare
    v_gen_id bigint;
begin
    -- Code generated for this table and trigger (see pgq._trg_gen), when there is some.
    -- generated dispatch begin
    -- generated dispatch end
    -- the general code
    declare
        -- the entry, read as in pgq.logutriga
        v_hot pgq._trg_hot_s := nullif(current_setting(pgq._trg_hot_name('S', TG_OP, TG_RELID, TG_NAME), true),
                                       '')::pgq._trg_hot_s;
        -- A row whose text has no doubled quote (an empty value or one holding '"'), no backslash
        -- (doubled in the text) and no parenthesis within (the test below): its quotes and
        -- parentheses are then plain delimiters, a NULL an empty field and a value holding a comma
        -- a field too many. Split before the test, as in pgq.logutriga.
        v_row text := replace(coalesce(NEW, OLD)::text, '""', chr(1));
        v_vals text[] := string_to_array(replace(replace(replace(v_row, '"', ''), '(', ''), ')', ''), ',', '');
        v_data text;
        v_old text;
        v_oldvals text[];
        v_where text;
        v_names text[];
        v_i integer;
        v_ev_id bigint;
    begin
        -- a NULL ncols (no entry, or not fast) refuses
        if cardinality(v_vals) = v_hot.ncols and v_row ~ '^\([^()\\\x01]*\)$' then
            if v_hot.names is null then
                -- INSERT or DELETE: format's %L spells a NULL in capitals, and such a bare NULL is
                -- the only one after '(' or ',' (no value holds those)
                v_ev_id := pgq.insert_event(v_hot.queue, v_hot.ev_type,
                                            replace(replace(format(v_hot.fmt, variadic v_vals), ',NULL', ',null'),
                                                    '(NULL', '(null'),
                                            v_hot.tbl, null, null, null);
                -- NEW (ignored after the row); BEFORE DELETE is never fast, see pgq._trg_hot
                return NEW;
            end if;
            -- UPDATE: 'col=value,...' of the changed columns (flag T: the texts tell), or the first
            -- key column set to itself, then ' where ' and the key; a changed key goes to the general
            -- path, which refuses it. format's %L quotes as quote_literal does and spells NULL; the
            -- names are taken with split_part, whose set-up costs less than an array's subscript.
            v_old := replace(OLD::text, '""', chr(1));
            v_oldvals := string_to_array(replace(replace(replace(v_old, '"', ''), '(', ''), ')', ''), ',', '');
            v_where := format(v_hot.fmt, variadic v_oldvals);
            if v_old ~ '^\([^()\\\x01]*\)$' and cardinality(v_oldvals) = v_hot.ncols
               and v_where = format(v_hot.fmt, variadic v_vals)
            then
                for v_i in 1 .. v_hot.ncols loop
                    if v_vals[v_i] is distinct from v_oldvals[v_i] then
                        v_data := concat_ws(',', v_data,
                                            format('%s=%L', split_part(v_hot.names, chr(31), v_i), v_vals[v_i]));
                    end if;
                end loop;
                v_ev_id := pgq.insert_event(v_hot.queue, v_hot.ev_type,
                                            format('%s where %s',
                                                   coalesce(v_data, format('%s=%L', split_part(v_hot.names, chr(31), v_hot.key_first),
                                                                           v_oldvals[v_hot.key_first])),
                                                   v_where),
                                            v_hot.tbl, null, null, null);
                return NEW;
            end if;
        end if;

        declare
            v_key text;
            v_info text[];
            v_text text;
            v_oldrow text;
            v_x text[];
            v_set text[];
            v_ev text[];
        begin
            v_vals := null;
            v_oldvals := null;
            v_data := null;
            -- key as in pgq._trg_setup
            v_key := 'pgq_trg.S' || TG_RELID || '_' || to_hex(hashtext(TG_NAME));
            -- '' after RESET ALL or DISCARD ALL: no entry
            v_info := string_to_array(nullif(current_setting(v_key, true), ''), chr(30));
            if v_info is null or v_info[3] <> 'F' or TG_OP = 'TRUNCATE'
               or v_info[1] <> pg_sequence_last_value('pgq.trigger_ddl_seq'::regclass)::text
            then
                -- Installed without the event trigger, entries carry a catalog digest instead (see
                -- pgq._trg_cache), checked here rather than above: a function in the expression above
                -- would cost its lookup in every transaction even when not called.
                if v_info[3] = 'F' and TG_OP <> 'TRUNCATE' and left(v_info[1], 1) = 'C'
                   and v_info[1] = pgq._trg_stamp(TG_RELID, TG_ARGV)
                   and current_setting('session_replication_role') <> 'local'
                then
                    null;  -- the entry holds
                else
                    v_text := pgq._trg_setup('S', TG_RELID, TG_NAME, TG_ARGV, TG_WHEN, TG_LEVEL, TG_OP);
                    v_info := string_to_array(v_text, chr(30));
                    if v_info is null then
                        v_ev := null;
                    elsif TG_OP = 'TRUNCATE' then
                        v_ev := array['R', '', v_info[5], null, null, null];
                    elsif v_info[3] <> 'F' then
                        v_ev := pgq._trg_event('S', v_text, TG_OP, NEW, OLD);
                    end if;
                end if;
            elsif current_setting('session_replication_role') = 'local' then
                v_info := null;
            end if;
            if v_hot is null and v_info is not null then
                perform set_config(pgq._trg_hot_name('S', TG_OP, TG_RELID, TG_NAME),
                                   pgq._trg_hot_entry('S', TG_OP, TG_WHEN, current_setting(v_key || 'x')), false);
            end if;

            if v_info[3] = 'F' and TG_OP <> 'TRUNCATE' then
                if TG_OP = 'DELETE' then
                    v_row := OLD::text;
                else
                    v_row := NEW::text;
                end if;
                if TG_OP = 'UPDATE' and v_info[9] <> '' then
                    -- A key change is refused. The key is usually one unquoted first column: compare
                    -- that field of the two row texts instead of splitting both rows.
                    v_oldrow := OLD::text;
                    if v_info[9] <> '1' or left(v_row, 2) = '("' or left(v_oldrow, 2) = '("'
                       or split_part(v_row, ',', 1) <> split_part(v_oldrow, ',', 1)
                    then
                        perform pgq._trg_update_check(current_setting(v_key || 'x'),
                                                      pgq._trg_fields(v_oldrow, v_info[6]::integer),
                                                      pgq._trg_fields(v_row, v_info[6]::integer));
                    end if;
                end if;
                if TG_OP = 'INSERT' then
                    -- the row text split as in pgq.logutriga; format's %L spells NULL in capitals, so
                    -- NULLs travel as chr(2) and become 'null'
                    if strpos(v_row, '""') = 0 and strpos(v_row, chr(1)) = 0 and strpos(v_row, chr(2)) = 0 then
                        v_vals := string_to_array(replace(replace(btrim(v_row, '()'), '"', ''), '\\', '\'), ',', '');
                    end if;
                    if cardinality(v_vals) = v_info[6]::integer then
                        v_data := replace(format(v_info[8], variadic string_to_array(
                                              array_to_string(v_vals, chr(1), chr(2)), chr(1))),
                                          '''' || chr(2) || '''', 'null');
                    else
                        v_data := pgq._trg_sql_insert(v_info[8], pgq._trg_fields(v_row, v_info[6]::integer), v_row);
                    end if;
                elsif TG_OP = 'DELETE' then
                    v_data := pgq._trg_sql_where(current_setting(v_key || 'x'), pgq._trg_fields(v_row, v_info[6]::integer));
                else
                    -- Rows that split as for INSERT, of a table whose column texts tell what changed
                    -- (flag T): the SET list is built here, saving three helper calls.
                    v_oldrow := coalesce(v_oldrow, OLD::text);
                    if strpos(v_info[10], 'T') > 0 and strpos(v_row || v_oldrow, '""') = 0 then
                        v_vals := string_to_array(replace(replace(btrim(v_row, '()'), '"', ''), '\\', '\'), ',', '');
                        v_oldvals := string_to_array(replace(replace(btrim(v_oldrow, '()'), '"', ''), '\\', '\'), ',', '');
                    end if;
                    if cardinality(v_vals) = v_info[6]::integer and cardinality(v_oldvals) = v_info[6]::integer then
                        v_x := string_to_array(current_setting(v_key || 'x'), chr(30));
                        v_names := string_to_array(v_x[19], chr(31));
                        v_set := '{}';
                        for v_i in 1 .. cardinality(v_vals) loop
                            if v_oldvals[v_i] is null and strpos(',' || v_info[9] || ',', ',' || v_i || ',') > 0 then
                                raise exception 'logtriga: Unexpected NULL key value';
                            elsif v_oldvals[v_i] is distinct from v_vals[v_i] then
                                v_set := v_set || (v_names[v_i] || '=' || coalesce(quote_literal(v_vals[v_i]), 'NULL'));
                            end if;
                        end loop;
                        if cardinality(v_set) = 0 then
                            -- nothing changed: "set" the first key column to itself
                            v_i := split_part(v_info[9], ',', 1)::integer;
                            v_set := array[v_names[v_i] || '=' || quote_literal(v_oldvals[v_i])];
                        end if;
                        v_data := array_to_string(v_set, ',') || ' where ' || format(v_x[18], variadic v_oldvals);
                    else
                        v_data := pgq._trg_sql_update(current_setting(v_key || 'x'), pgq._trg_fields(v_oldrow, v_info[6]::integer),
                                                      pgq._trg_fields(v_row, v_info[6]::integer));
                    end if;
                end if;
                if v_data is not null then
                    -- an assignment is a simple expression, much cheaper than PERFORM's query
                    v_ev_id := pgq.insert_event(v_info[4], substr(TG_OP, 1, 1), v_data, v_info[5],
                                                null, null, null);
                end if;
            end if;

            if v_ev is not null then
                v_ev_id := pgq.insert_event(v_info[4], v_ev[1], v_ev[2], v_ev[3], v_ev[4], v_ev[5], v_ev[6]);
            end if;
            if TG_WHEN = 'AFTER' or strpos(v_info[10], 'S') > 0 then
                return null;
            elsif TG_OP = 'DELETE' then
                return OLD;
            end if;
            return NEW;
        end;
    end;
end;
$$ language plpgsql;
