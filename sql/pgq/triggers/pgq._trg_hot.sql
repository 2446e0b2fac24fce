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
do $$
begin
    if not exists (select 1 from pg_catalog.pg_type where typname = '_trg_hot' and typnamespace = 'pgq'::regnamespace) then
        create type pgq._trg_hot as (
            fast boolean,       -- the fast path applies to this trigger and operation
            queue text,         -- queue name
            ev_type text,       -- ev_type of the event
            tbl text,           -- ev_extra1: 'schema.table'
            fmt text,           -- format() string turning the split row into ev_data
            ncols integer,      -- number of columns the row text must split into
            key1 boolean,       -- UPDATE: the key is the first column alone (checked inline)
            use_old boolean,    -- the row is OLD (DELETE)
            ret_null boolean    -- AFTER trigger: return NULL
        );
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
    -- goes the general way (it lists the changed columns)
    v_fast := v_f[3] = 'F' and left(v_f[1], 1) <> 'C' and i_op in ('INSERT', 'UPDATE', 'DELETE')
              and (i_op <> 'UPDATE' or (v_f[9] = '1' and i_kind <> 'S'))
              and (i_kind <> 'J' or strpos(v_f[10], 'N') > 0)
              -- sqltriga's DELETE writes the key values: a pkey= list may hold NULLs
              and (i_kind <> 'S' or i_op <> 'DELETE' or strpos(v_f[10], 'P') = 0);
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
    return row(v_fast, v_f[4], v_type, v_f[5], v_fmt, v_f[6]::integer, i_op = 'UPDATE',
               i_op = 'DELETE', i_when = 'AFTER')::pgq._trg_hot::text;
end;
$$ language plpgsql immutable;
