create or replace function pgq._trg_expr_error()
returns text as $$
begin
    raise exception 'QB: syntax error';
end;
$$ language plpgsql;

-- Turns a trigger argument expression (when=, ev_type=, ...) into SQL over the row passed as $1:
-- bare identifiers that name a column become ($1)."column". String literals and numbers are left
-- alone. Quoted identifiers are refused with the original's error.
create or replace function pgq._trg_expr_rewrite(i_expr text, i_cols text[])
returns text as $$
    select string_agg(case when m.tok[1] ~ '^[A-Za-z_]' and m.tok[1] = any (i_cols)
                           then '($1).' || quote_ident(m.tok[1])
                           when m.tok[1] ~ '^"' then pgq._trg_expr_error()
                           else m.tok[1] end,
                      '' order by m.n)
      from regexp_matches(i_expr,
               '''(?:[^'']|'''')*''|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*|[0-9][0-9A-Za-z_.$]*|.',
               'g') with ordinality as m(tok, n);
$$ language sql immutable strict;

-- Applies magic columns (_pgq_ev_*) and argument expressions to the event fields
-- i_ev = [ev_type, ev_data, ev_extra1 .. ev_extra4]. Expressions win over magic columns.
-- Returns NULL when when= says the row produces no event.
create or replace function pgq._trg_apply(i_info text, i_row anyelement, i_fields text[], i_ev text[])
returns text[] as $$
declare
    v_sep constant text := chr(30);
    v_magic integer[] := string_to_array(split_part(i_info, v_sep, 21), ',')::integer[];
    v_mask text := split_part(i_info, v_sep, 23);
    v_res text[];
    v_ev text[] := i_ev;
    v_i integer;
    v_pos integer := 3;
begin
    for v_i in 1 .. 6 loop
        if v_magic[v_i] > 0 then
            v_ev[v_i] := i_fields[v_magic[v_i]];
        end if;
    end loop;
    if v_mask = '' then
        return v_ev;
    end if;
    execute split_part(i_info, v_sep, 22) into v_res using i_row;
    if substr(v_mask, 1, 1) = 'y' then
        if v_res[1] <> '16' then
            raise exception 'when= query result must be boolean, got=%', v_res[1];
        elsif v_res[2] is null then
            raise exception 'when= should not be NULL';
        elsif v_res[2] = 'false' then
            return null;
        end if;
    else
        v_pos := 1;
    end if;
    for v_i in 2 .. 7 loop
        if substr(v_mask, v_i, 1) = 'y' then
            v_ev[v_i - 1] := v_res[v_pos];
            v_pos := v_pos + 1;
        end if;
    end loop;
    return v_ev;
end;
$$ language plpgsql;
