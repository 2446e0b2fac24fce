create or replace function pgq.quote_fqname(i_name text)
returns text as $$
-- Quotes a 'schema.name' for use in SQL text; a name without a dot is taken to be in public.
-- Only the first dot separates: 'a.b.c' is schema a, name 'b.c'.
declare
    v_dot int4 := position('.' in i_name);
begin
    if v_dot = 0 then
        return 'public.' || quote_ident(i_name);
    end if;
    return quote_ident(substr(i_name, 1, v_dot - 1)) || '.' || quote_ident(substr(i_name, v_dot + 1));
end;
$$ language plpgsql strict immutable;
