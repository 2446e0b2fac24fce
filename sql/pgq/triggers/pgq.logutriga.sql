-- Trigger writing row changes as urlencoded events: ev_type 'I:key,cols' / 'U:..' / 'D:..'
-- (or 'R' for TRUNCATE), ev_data 'col=value&col2&...', ev_extra1 'schema.table', ev_extra2
-- the old row for UPDATE with 'backup'. Arguments: queue name, then SKIP, backup, deny,
-- ignore=, pkey=, when=, ev_type= .. ev_extra4= (see pgq._trg_build).
--
-- Speed matters here (it runs inside every producing transaction). Rows of a plain trigger (no
-- options) whose text needs no quoting take the fast path below, driven by the pgq._trg_hot
-- entry (that file explains why it is written as it is). Everything else takes the general
-- path: the cached table facts (pgq._trg_setup), string functions for ordinary rows, helper
-- calls for the rest; the same structure appears in sqltriga and jsontriga.
create or replace function pgq.logutriga()
returns trigger as $$
declare
    v_gen_id bigint;
begin
    -- Code generated for this table and trigger (see pgq._trg_gen), when there is some.
    -- generated dispatch begin
    -- generated dispatch end
    -- the general code
    declare
        -- The entry, under a name that says what it depends on (see pgq._trg_hot); '' after RESET
        -- ALL or DISCARD ALL. Naming and reading it in one expression saves the set-up of another.
        v_hot pgq._trg_hot_l := nullif(current_setting(pgq._trg_hot_name('L', TG_OP, TG_RELID, TG_NAME), true),
                                       '')::pgq._trg_hot_l;
        v_row text := coalesce(NEW, OLD)::text;
        -- The row text urlencoded, its quotes and parentheses dropped, each value with its '=' (the
        -- format string has only the names): a NULL, an empty field, becomes NULL, printed as the
        -- name alone. Split here, before the test below refuses the rows this gets wrong: the wasted
        -- work on a refused row costs less than the set-up of one more statement on every row.
        v_vals text[] := string_to_array(replace(replace(replace(replace(replace(replace(replace(replace(
                             v_row, '"', ''), '%', '%25'), ':', '%3a'), '+', '%2b'), ' ', '+'),
                             ',', ',='), '(', '='), ')', ''), ',', '=');
        v_ev_id bigint;
    begin
        if v_hot.key1 is not null then
            -- UPDATE: the key, the first column, is unchanged when the old row text starts with the
            -- same first field. An integer (key1) holds no quote or comma, so split_part takes it;
            -- other types need the regular expression (much slower), which leaves a quoted field
            -- to the general path.
            if v_hot.key1 then
                if not starts_with(OLD::text, split_part(v_row, ',', 1) || ',') then
                    v_vals := null;
                end if;
            elsif starts_with(OLD::text, substring(v_row, '^\([^",]*,')) is not true then
                v_vals := null;
            end if;
        end if;
        -- A NULL ncols (no entry, or not fast) refuses. The row text must hold nothing but characters
        -- the replacements above encode and quotes that are plain delimiters: no doubled quote (an
        -- empty value or one holding '"'), backslash (doubled) or parenthesis within; a value holding
        -- a comma gives a field too many.
        if cardinality(v_vals) = v_hot.ncols and v_row ~ '^\((?:[0-9A-Za-z_.%+:, -]|"(?!"))*\)$' then
            v_ev_id := pgq.insert_event(v_hot.queue, v_hot.ev_type, format(v_hot.fmt, variadic v_vals),
                                        v_hot.tbl, null, null, null);
            -- NEW (ignored after the row); BEFORE DELETE is never fast, see pgq._trg_hot
            return NEW;
        end if;

        declare
            v_key text;
            v_text text;
            v_info text[];
            v_oldrow text;
            v_data text;
            v_ev text[];
        begin
            v_vals := null;
            -- key as in pgq._trg_setup
            v_key := 'pgq_trg.L' || TG_RELID || '_' || to_hex(hashtext(TG_NAME));
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
                    v_text := pgq._trg_setup('L', TG_RELID, TG_NAME, TG_ARGV, TG_WHEN, TG_LEVEL, TG_OP);
                    v_info := string_to_array(v_text, chr(30));
                    if v_info is null then
                        v_ev := null;
                    elsif TG_OP = 'TRUNCATE' then
                        v_ev := array['R', '', v_info[5], null, null, null];
                    elsif v_info[3] <> 'F' then
                        v_ev := pgq._trg_event('L', v_text, TG_OP, NEW, OLD);
                    end if;
                end if;
            elsif current_setting('session_replication_role') = 'local' then
                v_info := null;
            end if;
            if v_hot is null and v_info is not null then
                perform set_config(pgq._trg_hot_name('L', TG_OP, TG_RELID, TG_NAME),
                                   pgq._trg_hot_entry('L', TG_OP, TG_WHEN, current_setting(v_key || 'x')), false);
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
                -- Rows without doubled quotes (no value is empty or holds '"'): record_out then uses '"'
                -- only as a plain delimiter and doubles nothing but backslashes, so the row text gives
                -- the values joined by ','. All of them are encoded at once, the commas kept; a value
                -- holding a comma shows as an extra field and takes pgq._trg_fields instead.
                -- ':' and '+' (timestamps) are common enough to replace before looking for the rest.
                if strpos(v_row, '""') = 0 then
                    v_data := replace(replace(replace(replace(replace(btrim(v_row, '()'), '"', ''), '\\', '\'),
                                                              '%', '%25'), ':', '%3a'), '+', '%2b');
                    if v_data ~ '[^0-9A-Za-z_.%, -]' then
                        v_data := pgq._trg_urlencode_joined(v_data, ',');
                    end if;
                    v_vals := string_to_array(replace(v_data, ' ', '+'), ',');
                end if;
                if cardinality(v_vals) = v_info[6]::integer then
                    -- a NULL left a bare 'name=' (no value encodes to '' on this path)
                    v_data := left(replace(format(v_info[8], variadic v_vals) || '&', '=&', '&'), -1);
                else
                    v_data := pgq._trg_urlencode_row(split_part(current_setting(v_key || 'x'), chr(30), 15),
                                                     pgq._trg_fields(v_row, v_info[6]::integer), v_row);
                end if;
                -- an assignment is a simple expression, much cheaper than PERFORM's query
                v_ev_id := pgq.insert_event(v_info[4], substr(TG_OP, 1, 1) || v_info[7], v_data, v_info[5],
                                            null, null, null);
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
