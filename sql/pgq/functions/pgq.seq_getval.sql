create or replace function pgq.seq_getval(i_seq_name text)
returns bigint as $$
-- The last value of a sequence, without advancing it (a fresh sequence reports its start value).
declare
    v_val bigint;
begin
    execute 'select last_value from ' || pgq.quote_fqname(i_seq_name) into v_val;
    return v_val;
end;
$$ language plpgsql strict;
