-- URL-encoding as the pgq triggers write it: bytes of 0-9 A-Z a-z _ . - stay, a space becomes '+',
-- every other byte (in the server encoding) becomes '%' and two lowercase hex digits.
-- Works per distinct unsafe character rather than per byte: typical values contain only a few
-- distinct ones (':' and '+' in timestamps), so a handful of replace() calls beat a char loop.
create or replace function pgq._urlencode(val text)
returns text as $$
declare
    v_res text;
    v_char text;
begin
    if val !~ '[^0-9A-Za-z_. -]' then
        return replace(val, ' ', '+');
    end if;
    -- '%' first, so that the escapes added below are never encoded again.
    v_res := replace(val, '%', '%25');
    loop
        v_char := substring(v_res from '[^0-9A-Za-z_.% -]');
        exit when v_char is null;
        v_res := replace(v_res, v_char,
                         regexp_replace(encode(textsend(v_char), 'hex'), '(..)', '%\1', 'g'));
    end loop;
    return replace(v_res, ' ', '+');
end;
$$ language plpgsql immutable strict;

-- The same encoding for a whole row of values joined by chr(1), with chr(2) standing for NULL:
-- both markers pass through unencoded so that the caller can split the result again. Callers
-- make sure the values themselves contain neither character.
create or replace function pgq._trg_urlencode_joined(val text)
returns text as $$
declare
    v_res text;
    v_char text;
begin
    v_res := replace(val, '%', '%25');
    loop
        v_char := substring(v_res from E'[^0-9A-Za-z_.% \\x01\\x02-]');
        exit when v_char is null;
        v_res := replace(v_res, v_char,
                         regexp_replace(encode(textsend(v_char), 'hex'), '(..)', '%\1', 'g'));
    end loop;
    return replace(v_res, ' ', '+');
end;
$$ language plpgsql immutable strict;
