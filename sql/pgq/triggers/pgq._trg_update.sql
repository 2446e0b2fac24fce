-- UPDATE rules shared by all pgq triggers: changing a key column is refused, and with ignore=
-- an update that changed only ignored columns produces no event (returns false). An update
-- that changed nothing at all still produces one.
create or replace function pgq._trg_update_check(i_info text, i_old text[], i_new text[])
returns boolean as $$
declare
    v_sep constant text := chr(30);
    v_eq text := split_part(i_info, v_sep, 12);
    v_mask text;
    v_types text[];
    v_pos integer;
    v_kept boolean := false;
    v_ignored boolean := false;
begin
    if i_old = i_new then
        return true;
    end if;
    foreach v_pos in array string_to_array(split_part(i_info, v_sep, 9), ',')::integer[] loop
        if i_old[v_pos] is distinct from i_new[v_pos] then
            v_types := coalesce(v_types, string_to_array(split_part(i_info, v_sep, 20), chr(31)));
            -- code 'c': the differing text is the change, no need to ask pgq._trg_changed
            if substr(v_eq, v_pos, 1) = 'c'
               or pgq._trg_changed(substr(v_eq, v_pos, 1), v_types[v_pos], i_old[v_pos], i_new[v_pos])
            then
                raise exception 'primary key update not allowed';
            end if;
        end if;
    end loop;
    if strpos(split_part(i_info, v_sep, 10), 'I') = 0 then
        return true;
    end if;
    v_mask := split_part(i_info, v_sep, 13);
    v_types := coalesce(v_types, string_to_array(split_part(i_info, v_sep, 20), chr(31)));
    for v_pos in 1 .. length(v_mask) loop
        if i_old[v_pos] is distinct from i_new[v_pos]
           and (substr(v_eq, v_pos, 1) = 'c'
                or pgq._trg_changed(substr(v_eq, v_pos, 1), v_types[v_pos], i_old[v_pos], i_new[v_pos]))
        then
            if substr(v_mask, v_pos, 1) = 'k' then
                v_kept := true;
            elsif substr(v_mask, v_pos, 1) = 'i' then
                v_ignored := true;
            end if;
        end if;
    end loop;
    return v_kept or not v_ignored;
end;
$$ language plpgsql;
