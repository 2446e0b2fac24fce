-- Trigger writing row changes as JSON: ev_type {"op":"INSERT","table":["schema","table"],
-- "pkey":["id"]}, ev_data the row as a JSON object ({} for TRUNCATE), ev_extra1 'schema.table',
-- ev_extra2 the old row as JSON for UPDATE with 'backup'. Arguments as for pgq.logutriga.
create or replace function pgq.jsontriga()
returns trigger as $$
declare
    v_sep constant text := chr(30);
    v_info text;
    v_flags text;
    v_fields text[];
    v_old text[];
    v_ev text[];
begin
    v_info := pgq._trg_setup('J', TG_RELID, TG_ARGV, TG_WHEN, TG_LEVEL, TG_OP);
    if v_info is null then
        if TG_WHEN = 'AFTER' then
            return null;
        elsif TG_OP = 'DELETE' then
            return OLD;
        end if;
        return NEW;
    end if;
    v_ev := array['{"op":"' || TG_OP || split_part(v_info, v_sep, 21), '{}',
                  split_part(v_info, v_sep, 4), null, null, null];
    if TG_OP = 'TRUNCATE' then
        perform pgq.insert_event(split_part(v_info, v_sep, 3), v_ev[1], v_ev[2], v_ev[3], null, null, null);
        return null;
    end if;

    v_flags := split_part(v_info, v_sep, 5);
    if TG_OP = 'DELETE' then
        v_fields := pgq._trg_fields(OLD::text, split_part(v_info, v_sep, 6)::integer);
    else
        v_fields := pgq._trg_fields(NEW::text, split_part(v_info, v_sep, 6)::integer);
    end if;
    if TG_OP = 'UPDATE' then
        v_old := pgq._trg_fields(OLD::text, split_part(v_info, v_sep, 6)::integer);
        if not pgq._trg_update_check(v_info, v_old, v_fields) then
            return case when TG_WHEN = 'BEFORE' then NEW end;
        end if;
        if strpos(v_flags, 'B') > 0 then
            if strpos(v_flags, 'N') > 0 then
                v_ev[4] := row_to_json(OLD)::text;
            else
                v_ev[4] := pgq._trg_json_row(split_part(v_info, v_sep, 13), split_part(v_info, v_sep, 7), v_old);
            end if;
        end if;
    end if;
    if strpos(v_flags, 'N') = 0 then
        v_ev[2] := pgq._trg_json_row(split_part(v_info, v_sep, 13), split_part(v_info, v_sep, 7), v_fields);
    elsif TG_OP = 'DELETE' then
        v_ev[2] := row_to_json(OLD)::text;
    else
        v_ev[2] := row_to_json(NEW)::text;
    end if;
    if v_flags ~ '[MX]' then
        if TG_OP = 'DELETE' then
            v_ev := pgq._trg_apply(v_info, OLD, v_fields, v_ev);
        else
            v_ev := pgq._trg_apply(v_info, NEW, v_fields, v_ev);
        end if;
    end if;
    if v_ev is not null then
        perform pgq.insert_event(split_part(v_info, v_sep, 3), v_ev[1], v_ev[2], v_ev[3], v_ev[4],
                                 v_ev[5], v_ev[6]);
    end if;
    if TG_WHEN = 'AFTER' or strpos(v_flags, 'S') > 0 then
        return null;
    elsif TG_OP = 'DELETE' then
        return OLD;
    end if;
    return NEW;
end;
$$ language plpgsql;
