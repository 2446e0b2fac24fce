create or replace function pgq.seq_setval(i_seq_name text, i_new_value int8)
returns bigint as $$
-- Moves a sequence forward to i_new_value, never backwards; returns the resulting last value.
declare
    v_fqname text := pgq.quote_fqname(i_seq_name);
    v_cur bigint;
begin
    v_cur := pgq.seq_getval(i_seq_name);
    if i_new_value > v_cur then
        perform pg_catalog.setval(v_fqname, i_new_value);
        v_cur := i_new_value;
    end if;
    return v_cur;
end;
$$ language plpgsql strict;
