-- Trigger writing row changes as JSON: ev_type {"op":"INSERT","table":["schema","table"],
-- "pkey":["id"]}, ev_data the row as a JSON object ({} for TRUNCATE), ev_extra1 'schema.table',
-- ev_extra2 the old row as JSON for UPDATE with 'backup'. Arguments as for pgq.logutriga, whose
-- comment explains the inline plain path.
create or replace function pgq.jsontriga()
returns trigger as $$
declare
    v_gen_id bigint;
begin
    -- Code generated for this table and trigger (see pgq._trg_gen), when there is some.
    -- generated dispatch begin
    -- generated dispatch end
    -- the general code
    declare
        -- the entry, read as in pgq.logutriga; a NULL queue: not fast
        v_hot pgq._trg_hot_j := nullif(current_setting(pgq._trg_hot_name('J', TG_OP, TG_RELID, TG_NAME), true),
                                       '')::pgq._trg_hot_j;
        v_row text;
        v_ev_id bigint;
    begin
        if v_hot.key1 is not null then
            -- UPDATE: the key, the first column, is unchanged when the old row text starts with
            -- the same first field, taken as in pgq.logutriga
            if v_hot.key1 then
                if not starts_with(OLD::text, split_part(NEW::text, ',', 1) || ',') then
                    v_hot.queue := null;
                end if;
            elsif starts_with(OLD::text, substring(NEW::text, '^\([^",]*,')) is not true then
                v_hot.queue := null;
            end if;
        end if;
        if v_hot.queue is not null then
            -- flag N: row_to_json gives the exact event data
            v_ev_id := pgq.insert_event(v_hot.queue, v_hot.ev_type, row_to_json(coalesce(NEW, OLD))::text,
                                        v_hot.tbl, null, null, null);
            -- NEW (ignored after the row); BEFORE DELETE is never fast, see pgq._trg_hot
            return NEW;
        end if;

        declare
            v_key text;
            v_info text[];
            v_text text;
            v_oldrow text;
            v_data text;
            v_ev text[];
        begin
            -- key as in pgq._trg_setup
            v_key := 'pgq_trg.J' || TG_RELID || '_' || to_hex(hashtext(TG_NAME));
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
                    v_text := pgq._trg_setup('J', TG_RELID, TG_NAME, TG_ARGV, TG_WHEN, TG_LEVEL, TG_OP);
                    v_info := string_to_array(v_text, chr(30));
                    if v_info is null then
                        v_ev := null;
                    elsif TG_OP = 'TRUNCATE' then
                        v_ev := array['{"op":"TRUNCATE' || v_info[7], '{}', v_info[5], null, null, null];
                    elsif v_info[3] <> 'F' then
                        v_ev := pgq._trg_event('J', v_text, TG_OP, NEW, OLD);
                    end if;
                end if;
            elsif current_setting('session_replication_role') = 'local' then
                v_info := null;
            end if;
            if v_hot is null and v_info is not null then
                perform set_config(pgq._trg_hot_name('J', TG_OP, TG_RELID, TG_NAME),
                                   pgq._trg_hot_entry('J', TG_OP, TG_WHEN, current_setting(v_key || 'x')), false);
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
                if strpos(v_info[10], 'N') = 0 then
                    v_data := pgq._trg_json_row(v_info[8], split_part(current_setting(v_key || 'x'), chr(30), 11),
                                                pgq._trg_fields(v_row, v_info[6]::integer));
                elsif TG_OP = 'DELETE' then
                    v_data := row_to_json(OLD)::text;
                else
                    v_data := row_to_json(NEW)::text;
                end if;
                -- an assignment is a simple expression, much cheaper than PERFORM's query
                v_ev_id := pgq.insert_event(v_info[4], '{"op":"' || TG_OP || v_info[7], v_data, v_info[5],
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
