-- The fast path of the pgq row triggers: one cache entry per trigger and operation holding just
-- what a plain row event needs, read into a composite variable whose fields cost nothing to use.
--
-- Why the triggers are written the way they are: PL/pgSQL prepares every expression it evaluates
-- again in each transaction, and that set-up (a catalog lookup and a permission check for every
-- function and operator in it, a type lookup for every array subscript) is most of what a
-- one-row transaction pays for a trigger. So the fast path is a handful of statements with as
-- few function calls as possible, and everything it needs to know is decided once, here.
--
-- The entry lives in a custom GUC of the session whose name holds everything the entry depends
-- on: trigger kind, operation, table, trigger name (hashed), the value of pgq.trigger_ddl_seq
-- (bumped by DDL, see pgq._trg_cache) and session_replication_role. A stale entry is therefore
-- never looked at: after DDL the name changes and the first row rebuilds through the general
-- path. Installed without the event trigger the sequence does not move, so such entries are
-- stored with fast = false and every row takes the general path, which checks the catalog.
-- Re-created when its fields change (nothing depends on it but variables in PL/pgSQL bodies);
-- the install bumps pgq.trigger_ddl_seq, so no session reads an entry of the old shape.
do $$
declare
    v_fields constant text := 'fast boolean, queue text, ev_type text, tbl text, fmt text, ncols integer, '
        || 'key1 boolean, use_old boolean, ret_null boolean, names text, key_first integer';
begin
    if (select string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
          from pg_catalog.pg_attribute a
         where a.attrelid = (select typrelid from pg_catalog.pg_type
                              where typname = '_trg_hot' and typnamespace = 'pgq'::regnamespace)
           and a.attnum > 0 and not a.attisdropped) is distinct from v_fields
    then
        drop type if exists pgq._trg_hot;
        -- fast: the fast path applies to this trigger and operation; ev_type and tbl (ev_extra1)
        -- of the event; fmt: format() string turning the split row into ev_data; ncols: number
        -- of fields the row text must split into; key1: UPDATE whose key, the first column
        -- alone, is checked inline; use_old: the row is OLD (DELETE); ret_null: AFTER trigger;
        -- names: sqltriga UPDATE, quoted column names joined by chr(31); key_first: its first
        -- key column
        execute 'create type pgq._trg_hot as (' || v_fields || ')';
    end if;
end $$;

-- The text of the pgq._trg_hot entry for trigger kind i_kind ('L', 'S', 'J'), operation i_op
-- and timing i_when, from the full cache entry i_info (layout in pgq._trg_build).
create or replace function pgq._trg_hot_entry(i_kind text, i_op text, i_when text, i_info text)
returns text as $$
declare
    v_f text[] := string_to_array(i_info, chr(30));
    v_fast boolean;
    v_type text;
    v_fmt text;
begin
    -- plain path only (flag F), never with a catalog digest (it must be checked on every row),
    -- not for TRUNCATE; UPDATE needs a key that is the first column alone, or, for sqltriga,
    -- column texts that tell what changed (flag T)
    v_fast := v_f[3] = 'F' and left(v_f[1], 1) <> 'C' and i_op in ('INSERT', 'UPDATE', 'DELETE')
              and (i_op <> 'UPDATE' or v_f[9] = '1' or i_kind = 'S')
              and (i_kind <> 'S' or i_op <> 'UPDATE' or strpos(v_f[10], 'T') > 0)
              and (i_kind <> 'J' or strpos(v_f[10], 'N') > 0)
              -- sqltriga's DELETE and UPDATE write the key values: a pkey= list may hold NULLs
              and (i_kind <> 'S' or i_op = 'INSERT' or strpos(v_f[10], 'P') = 0);
    if i_kind = 'L' then
        v_type := left(i_op, 1) || v_f[7];
        -- the values bring their '=' (see pgq.logutriga)
        v_fmt := v_f[15];
    elsif i_kind = 'S' then
        v_type := left(i_op, 1);
        v_fmt := case i_op when 'INSERT' then v_f[17] else v_f[18] end;
    else
        v_type := '{"op":"' || i_op || v_f[7];
        v_fmt := null;
    end if;
    return row(v_fast, v_f[4], v_type, v_f[5], v_fmt, v_f[6]::integer, i_op = 'UPDATE' and i_kind <> 'S',
               i_op = 'DELETE', i_when = 'AFTER',
               case when i_kind = 'S' and i_op = 'UPDATE' then v_f[19] end,
               nullif(split_part(v_f[9], ',', 1), '')::integer)::pgq._trg_hot::text;
end;
$$ language plpgsql immutable;
