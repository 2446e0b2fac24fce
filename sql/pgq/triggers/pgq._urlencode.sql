-- '%xx' for every byte of one character (in the server encoding), hex digits lowercase.
create or replace function pgq._urlencode_char(i_char text)
returns text as $$
    select case when ascii(i_char) < 128 then '%' || lpad(to_hex(ascii(i_char)), 2, '0')
                else regexp_replace(encode(textsend(i_char), 'hex'), '(..)', '%\1', 'g') end;
$$ language sql immutable strict;

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
        v_res := replace(v_res, v_char, pgq._urlencode_char(v_char));
    end loop;
    return replace(v_res, ' ', '+');
end;
$$ language plpgsql immutable strict;

-- The same encoding for a whole row of values joined by separator characters (i_keep), which
-- pass through unencoded so that the caller can split the result again; callers make sure the
-- values themselves contain none of them. The caller has already written '%' as '%25' and turns
-- spaces into '+' afterwards; this encodes every other unsafe character.
create or replace function pgq._trg_urlencode_joined(val text, i_keep text)
returns text as $$
declare
    v_pattern text := '[^0-9A-Za-z_.% ' || i_keep || '-]';
    v_res text := val;
    v_char text;
begin
    loop
        v_char := substring(v_res from v_pattern);
        exit when v_char is null;
        v_res := replace(v_res, v_char, pgq._urlencode_char(v_char));
    end loop;
    return v_res;
end;
$$ language plpgsql immutable strict;
