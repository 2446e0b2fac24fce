-- Row encoders of the three pgq trigger formats. Each takes a format() string prepared by
-- pgq._trg_build (it names every kept column and refers to its value by position, so ignored
-- and magic columns simply drop out) and the row's column values from pgq._trg_fields.

-- urlencoded: name=value&name2&... (a NULL value leaves the bare name).
-- All values are encoded in one pass, joined by chr(1) with chr(2) for NULL; a row whose text
-- contains either character takes the per-value route instead.
create or replace function pgq._trg_urlencode_row(i_fmt text, i_fields text[], i_rowtext text)
returns text as $$
declare
    v_joined text;
    v_vals text[];
    v_i integer;
begin
    if strpos(i_rowtext, chr(1)) = 0 and strpos(i_rowtext, chr(2)) = 0 then
        v_joined := replace(array_to_string(i_fields, chr(1), chr(2)), '%', '%25');
        if v_joined ~ E'[^0-9A-Za-z_.% \\x01\\x02-]' then
            v_joined := pgq._trg_urlencode_joined(v_joined, chr(1) || chr(2));
        end if;
        v_joined := replace(replace(replace(chr(1) || v_joined, ' ', '+'), chr(1), chr(1) || '='), '=' || chr(2), '');
        return format(i_fmt, variadic string_to_array(substr(v_joined, 2), chr(1)));
    end if;
    v_vals := array_fill(''::text, array[cardinality(i_fields)]);
    for v_i in 1 .. cardinality(i_fields) loop
        if i_fields[v_i] is not null then
            v_vals[v_i] := '=' || pgq._urlencode(i_fields[v_i]);
        end if;
    end loop;
    return format(i_fmt, variadic v_vals);
end;
$$ language plpgsql immutable;

-- JSON object of the row: int2/int4/int8 as numbers, bool as true/false, date and timestamps
-- in the ISO form to_json() writes, everything else as a JSON string of the text output.
create or replace function pgq._trg_json_row(i_fmt text, i_codes text, i_fields text[])
returns text as $$
declare
    v_vals text[] := i_fields;
    v_i integer;
    v_val text;
begin
    for v_i in 1 .. length(i_codes) loop
        v_val := i_fields[v_i];
        v_vals[v_i] := case
            when v_val is null then 'null'
            else case substr(i_codes, v_i, 1)
                when 'i' then v_val
                when 'b' then case v_val when 't' then 'true' else 'false' end
                when 'd' then to_json(v_val::date)::text
                when 'T' then to_json(v_val::timestamp)::text
                when 'Z' then to_json(v_val::timestamptz)::text
                else to_json(v_val)::text end
            end;
    end loop;
    return format(i_fmt, variadic v_vals);
end;
$$ language plpgsql stable;

-- sqltriga INSERT: (col,...) values ('v',null,...). format's %L writes NULL in capitals, so NULLs
-- travel as chr(2) and become lowercase null afterwards.
create or replace function pgq._trg_sql_insert(i_fmt text, i_fields text[], i_rowtext text)
returns text as $$
declare
    v_vals text[];
    v_i integer;
begin
    if i_rowtext !~ E'[\\x01\\x02]' then
        return replace(format(i_fmt, variadic string_to_array(array_to_string(i_fields, chr(1), chr(2)), chr(1))),
                       '''' || chr(2) || '''', 'null');
    end if;
    v_vals := i_fields;
    for v_i in 1 .. cardinality(i_fields) loop
        v_vals[v_i] := coalesce(quote_literal(i_fields[v_i]), 'null');
    end loop;
    return format(replace(i_fmt, '$L', '$s'), variadic v_vals);
end;
$$ language plpgsql immutable;

-- sqltriga key condition k1='v' and k2='v' from the old row; a NULL key cannot be replayed.
create or replace function pgq._trg_sql_where(i_info text, i_old text[])
returns text as $$
declare
    v_sep constant text := chr(30);
    v_pos integer;
begin
    foreach v_pos in array string_to_array(split_part(i_info, v_sep, 9), ',')::integer[] loop
        if i_old[v_pos] is null then
            raise exception 'logtriga: Unexpected NULL key value';
        end if;
    end loop;
    return format(split_part(i_info, v_sep, 18), variadic i_old);
end;
$$ language plpgsql immutable;

-- sqltriga UPDATE: col='new',col2=NULL where k='old'. Only changed kept columns are listed; if
-- none changed, an ignored column changing means no event (NULL), otherwise the first key column
-- is "set" to its own value so the event still replays as a no-op update.
create or replace function pgq._trg_sql_update(i_info text, i_old text[], i_new text[])
returns text as $$
declare
    v_sep constant text := chr(30);
    v_eq text := split_part(i_info, v_sep, 12);
    v_mask text := split_part(i_info, v_sep, 13);
    v_names text[] := string_to_array(split_part(i_info, v_sep, 19), chr(31));
    v_types text[];
    v_set text[] := '{}';
    v_ignored boolean := false;
    v_where text := pgq._trg_sql_where(i_info, i_old);
    v_key integer;
    v_i integer;
begin
    for v_i in 1 .. length(v_mask) loop
        if i_old[v_i] is distinct from i_new[v_i] then
            v_types := coalesce(v_types, string_to_array(split_part(i_info, v_sep, 20), chr(31)));
            -- code 'c': the differing text is the change, no need to ask pgq._trg_changed
            if substr(v_eq, v_i, 1) = 'c'
               or pgq._trg_changed(substr(v_eq, v_i, 1), v_types[v_i], i_old[v_i], i_new[v_i])
            then
                if substr(v_mask, v_i, 1) = 'k' then
                    v_set := v_set || (v_names[v_i] || '=' || coalesce(quote_literal(i_new[v_i]), 'NULL'));
                elsif substr(v_mask, v_i, 1) = 'i' then
                    v_ignored := true;
                end if;
            end if;
        end if;
    end loop;
    if cardinality(v_set) = 0 then
        if v_ignored then
            return null;
        end if;
        v_key := nullif(split_part(split_part(i_info, v_sep, 9), ',', 1), '')::integer;
        v_set := array[v_names[v_key] || '=' || quote_literal(i_old[v_key])];
    end if;
    return array_to_string(v_set, ',') || ' where ' || v_where;
end;
$$ language plpgsql;
