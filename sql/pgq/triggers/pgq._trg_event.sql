-- The event of one row change in the general case (options, magic columns, rows with unusual
-- text): [ev_type, ev_data, ev_extra1 .. ev_extra4], or NULL when the change produces none.
-- i_kind: L logutriga, S sqltriga, J jsontriga. The triggers handle plain rows themselves.
create or replace function pgq._trg_event(i_kind text, i_info text, i_op text, i_new anyelement,
                                          i_old anyelement)
returns text[] as $$
declare
    v_sep constant text := chr(30);
    v_flags text := split_part(i_info, v_sep, 10);
    v_ncols integer := split_part(i_info, v_sep, 6)::integer;
    v_rowtext text;
    v_fields text[];
    v_old text[];
    v_ev text[];
begin
    if i_op = 'DELETE' then
        v_rowtext := i_old::text;
    else
        v_rowtext := i_new::text;
    end if;
    v_fields := pgq._trg_fields(v_rowtext, v_ncols);
    v_ev := array[null, null, split_part(i_info, v_sep, 5), null, null, null];
    if i_op = 'UPDATE' then
        v_old := pgq._trg_fields(i_old::text, v_ncols);
        if not pgq._trg_update_check(i_info, v_old, v_fields) then
            return null;
        end if;
    end if;
    if i_kind = 'L' then
        v_ev[1] := substr(i_op, 1, 1) || split_part(i_info, v_sep, 7);
        v_ev[2] := pgq._trg_urlencode_row(split_part(i_info, v_sep, 15), v_fields, v_rowtext);
    elsif i_kind = 'S' then
        v_ev[1] := substr(i_op, 1, 1);
        if i_op = 'INSERT' then
            v_ev[2] := pgq._trg_sql_insert(split_part(i_info, v_sep, 8), v_fields, v_rowtext);
        elsif i_op = 'DELETE' then
            v_ev[2] := pgq._trg_sql_where(i_info, v_fields);
        else
            v_ev[2] := pgq._trg_sql_update(i_info, v_old, v_fields);
            if v_ev[2] is null then
                return null;
            end if;
        end if;
    else
        v_ev[1] := '{"op":"' || i_op || split_part(i_info, v_sep, 7);
        v_ev[2] := pgq._trg_json_row(split_part(i_info, v_sep, 8), split_part(i_info, v_sep, 11), v_fields);
    end if;
    if i_op = 'UPDATE' and strpos(v_flags, 'B') > 0 then
        if i_kind = 'J' then
            v_ev[4] := pgq._trg_json_row(split_part(i_info, v_sep, 8), split_part(i_info, v_sep, 11), v_old);
        else
            v_ev[4] := pgq._trg_urlencode_row(split_part(i_info, v_sep, 15), v_old, i_old::text);
        end if;
    end if;
    if v_flags ~ '[MX]' then
        if i_op = 'DELETE' then
            v_ev := pgq._trg_apply(i_info, i_old, v_fields, v_ev);
        else
            v_ev := pgq._trg_apply(i_info, i_new, v_fields, v_ev);
        end if;
    end if;
    return v_ev;
end;
$$ language plpgsql;
