-- Splits the text form of a table row, as record_out writes it ("(1,,"a b","x""y")"), into the
-- text output of each column, NULL for SQL NULL. These are exactly the strings the type output
-- functions produce, which is what every trigger format is built from.
-- record_out quotes a value when it is empty or contains '"', '\', '(', ')', ',' or white space,
-- doubling '"' and '\' inside the quotes; a NULL is an empty unquoted field.
create or replace function pgq._trg_fields(i_row text, i_ncols integer)
returns text[] as $$
declare
    v_body text := substr(i_row, 2, length(i_row) - 2);
    v_len integer;
    v_pos integer;
    v_next integer;
    v_fld text;
    v_res text[] := '{}';
begin
    if v_body = '' then
        -- string_to_array('') is an empty array, but a one-column row holding NULL prints as "()"
        return case when i_ncols = 1 then array[null::text] else '{}'::text[] end;
    end if;
    if strpos(v_body, '"') = 0 then
        return string_to_array(v_body, ',', '');
    end if;
    -- Common case: quoted values without doubled quotes, empty strings or commas inside quotes.
    -- Then every '"' is a delimiter and every '\\' an escaped backslash.
    if strpos(v_body, '""') = 0 and v_body !~ '(^|,)"[^"]*,' then
        return string_to_array(replace(replace(v_body, '"', ''), '\\', '\'), ',', '');
    end if;
    v_len := length(v_body);
    v_pos := 1;
    loop
        if substr(v_body, v_pos, 1) = '"' then
            v_fld := '';
            v_pos := v_pos + 1;
            loop
                v_next := strpos(substr(v_body, v_pos), '"');
                v_fld := v_fld || substr(v_body, v_pos, v_next - 1);
                v_pos := v_pos + v_next;
                exit when substr(v_body, v_pos, 1) <> '"';
                v_fld := v_fld || '"';
                v_pos := v_pos + 1;
            end loop;
            v_res := array_append(v_res, replace(v_fld, '\\', '\'));
        else
            v_next := strpos(substr(v_body, v_pos), ',');
            if v_next = 0 then
                v_fld := substr(v_body, v_pos);
                v_pos := v_len + 1;
            else
                v_fld := substr(v_body, v_pos, v_next - 1);
                v_pos := v_pos + v_next - 1;
            end if;
            v_res := array_append(v_res, nullif(v_fld, ''));
        end if;
        exit when v_pos > v_len;
        v_pos := v_pos + 1;
    end loop;
    return v_res;
end;
$$ language plpgsql immutable strict;
