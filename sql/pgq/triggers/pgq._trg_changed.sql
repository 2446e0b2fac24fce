-- Whether a column value changed in an UPDATE, judged like the original triggers: with the
-- type's equality operator when it has one (so numeric 1.5 -> 1.50 or interval '1 day' ->
-- '24 hours' is no change), else by text. Callers test text equality first; this is only asked
-- about values whose text differs. i_code comes from the trigger cache (pgq._trg_build):
-- 'c' text decides, 'n' numeric, 'f' float, 'v' interval, 'h' bpchar, 'x' other type i_type.
create or replace function pgq._trg_changed(i_code text, i_type text, i_old text, i_new text)
returns boolean as $$
declare
    v_equal boolean;
begin
    if i_old is null or i_new is null then
        return i_old is distinct from i_new;
    end if;
    case i_code
        when 'c' then return i_old <> i_new;
        when 'n' then return i_old::numeric <> i_new::numeric;
        when 'f' then return i_old::float8 <> i_new::float8;
        when 'v' then return i_old::interval <> i_new::interval;
        when 'h' then return i_old::bpchar <> i_new::bpchar;
        else
            execute format('select $1::%s = $2::%s', i_type, i_type) into v_equal using i_old, i_new;
            return not v_equal;
    end case;
end;
$$ language plpgsql stable;
