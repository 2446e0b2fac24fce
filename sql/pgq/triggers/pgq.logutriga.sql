-- Trigger writing row changes as urlencoded events: ev_type 'I:key,cols' / 'U:..' / 'D:..'
-- (or 'R' for TRUNCATE), ev_data 'col=value&col2&...', ev_extra1 'schema.table', ev_extra2
-- the old row for UPDATE with 'backup'. Arguments: queue name, then SKIP, backup, deny,
-- ignore=, pkey=, when=, ev_type= .. ev_extra4= (see pgq._trg_build).
create or replace function pgq.logutriga()
returns trigger as $$
declare
    v_sep constant text := chr(30);
    v_info text;
    v_row text;
    v_fields text[];
    v_old text[];
    v_ev text[];
begin
    v_info := pgq._trg_setup('L', TG_RELID, TG_ARGV, TG_WHEN, TG_LEVEL, TG_OP);
    if v_info is null then
        if TG_WHEN = 'AFTER' then
            return null;
        elsif TG_OP = 'DELETE' then
            return OLD;
        end if;
        return NEW;
    end if;
    if TG_OP = 'TRUNCATE' then
        perform pgq.insert_event(split_part(v_info, v_sep, 3), 'R', '', split_part(v_info, v_sep, 4),
                                 null, null, null);
        return null;
    end if;

    if TG_OP = 'DELETE' then
        v_row := OLD::text;
    else
        v_row := NEW::text;
    end if;
    v_fields := pgq._trg_fields(v_row, split_part(v_info, v_sep, 6)::integer);
    v_ev := array[substr(TG_OP, 1, 1) || split_part(v_info, v_sep, 11),
                  pgq._trg_urlencode_row(split_part(v_info, v_sep, 12), v_fields, v_row),
                  split_part(v_info, v_sep, 4), null, null, null];
    if TG_OP = 'UPDATE' then
        v_old := pgq._trg_fields(OLD::text, split_part(v_info, v_sep, 6)::integer);
        if not pgq._trg_update_check(v_info, v_old, v_fields) then
            return case when TG_WHEN = 'BEFORE' then NEW end;
        end if;
        if strpos(split_part(v_info, v_sep, 5), 'B') > 0 then
            v_ev[4] := pgq._trg_urlencode_row(split_part(v_info, v_sep, 12), v_old, OLD::text);
        end if;
    end if;
    if split_part(v_info, v_sep, 5) ~ '[MX]' then
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
    if TG_WHEN = 'AFTER' or strpos(split_part(v_info, v_sep, 5), 'S') > 0 then
        return null;
    elsif TG_OP = 'DELETE' then
        return OLD;
    end if;
    return NEW;
end;
$$ language plpgsql;
