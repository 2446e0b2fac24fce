-- The checks every pgq trigger makes before writing an event, and the lookup (or build) of the
-- cached facts about its table and arguments. The triggers look the cache up themselves for
-- plain row events and come here on a miss, for TRUNCATE and for anything with options.
-- Returns the cache entry (layout in pgq._trg_build), or NULL when no event must be written
-- because session_replication_role is 'local'.
create or replace function pgq._trg_setup(i_kind text, i_relid oid, i_name text, i_args text[],
                                          i_when text, i_level text, i_op text)
returns text as $$
declare
    v_sep constant text := chr(30);
    v_argkey text := array_to_string(i_args, chr(31));
    v_key text;
    v_info text;
    v_flags text;
begin
    if i_op = 'TRUNCATE' then
        if i_level <> 'STATEMENT' then
            raise exception 'pgq tRuncate trigger must be fired FOR EACH STATEMENT';
        end if;
    elsif i_level <> 'ROW' then
        raise exception 'pgq Ins/Upd/Del trigger must be fired FOR EACH ROW';
    end if;
    if cardinality(i_args) = 0 then
        raise exception 'pgq trigger must have destination queue as argument';
    end if;
    if current_setting('session_replication_role') = 'local' then
        return null;
    end if;
    -- The same key the triggers compute inline. A trigger's name is unique on its table, and
    -- re-creating it with other arguments is DDL that invalidates the entry. The first ten
    -- fields, all the plain path reads, are also kept on their own under the key: splitting the
    -- short string is cheaper. The whole entry is under the key with an 'x' appended.
    v_key := 'pgq_trg.' || i_kind || i_relid || '_' || to_hex(hashtext(i_name));
    v_info := current_setting(v_key || 'x', true);
    if v_info is null or v_info = ''
       or split_part(v_info, v_sep, 1) <> (case when left(v_info, 1) = 'C' then pgq._trg_stamp(i_relid, i_args)
                 else pg_sequence_last_value('pgq.trigger_ddl_seq'::regclass)::text end)
    then
        -- TG_ARGV counts from 0; the builder wants an ordinary 1-based array
        v_info := pgq._trg_build(i_kind, i_relid, array(select unnest(i_args)), v_argkey);
        perform set_config(v_key || 'x', v_info, false);
        perform set_config(v_key, array_to_string((string_to_array(v_info, v_sep))[1:10], v_sep), false);
    end if;
    v_flags := split_part(v_info, v_sep, 10);
    if i_when = 'AFTER' and strpos(v_flags, 'S') > 0 then
        raise exception 'SKIP does not work in AFTER trigger.';
    end if;
    if strpos(v_flags, 'D') > 0 then
        raise exception 'Table ''%'' to queue ''%'': change not allowed (%)',
            split_part(v_info, v_sep, 5), split_part(v_info, v_sep, 4), i_op;
    end if;
    if i_op = 'TRUNCATE' then
        if strpos(v_flags, 'I') > 0 then
            raise exception 'Column ignore does not make sense for truncate trigger';
        elsif strpos(v_flags, 'P') > 0 then
            raise exception 'Custom pkey_list does not make sense for truncate trigger';
        elsif strpos(v_flags, 'B') > 0 then
            raise exception 'Backup does not make sense for truncate trigger';
        elsif strpos(v_flags, 'X') > 0 then
            raise exception 'Custom expressions do not make sense for truncater trigger';
        end if;
    elsif i_op <> 'INSERT' and strpos(v_flags, 'K') = 0 then
        raise exception 'Update/Delete on table without pkey';
    end if;
    return v_info;
end;
$$ language plpgsql;
