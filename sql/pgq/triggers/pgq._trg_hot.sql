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
-- stored as not fast and every row takes the general path, which checks the catalog.
--
-- The last two parts of the name come from pgq._trg_hot_epoch, which the planner evaluates once
-- when it plans the expression naming the entry (the function claims to be immutable), so a
-- row pays neither the sequence read nor current_setting. The plan is made again exactly when
-- they can have changed: the expression also holds the sequence as a regclass constant, so the
-- grant of pgq._trg_ddl_bump (a new pg_class row for the sequence) invalidates it in every
-- session when the DDL commits, and PostgreSQL flushes all cached plans of a session whose
-- session_replication_role changes (SET, RESET, SET LOCAL and its end, function SET clauses).
--
-- Each kind has its own composite type holding only the fields its fast path reads: casting
-- the entry's text to it (record_in) looks up the input function of every field, NULL or not,
-- in each transaction. A trigger that cannot take the fast path gets an entry whose ncols (or,
-- for jsontriga, queue) is NULL, which the fast path's first test refuses; ev_type is never
-- NULL, so an entry is never a NULL row. The fast path returns NEW: right for BEFORE INSERT
-- and UPDATE and ignored after the row, so BEFORE DELETE (which must return OLD) takes the
-- general path. The types are re-created when their fields change (nothing depends on them
-- but variables in PL/pgSQL bodies); the install bumps pgq.trigger_ddl_seq, so no session
-- reads an entry of an old shape.
do $$
declare
    v_type record;
begin
    drop type if exists pgq._trg_hot;
    for v_type in
        -- queue, ev_type and tbl (ev_extra1) of the event; fmt: format() string turning the split
        -- row into ev_data; ncols: number of fields the row text must split into; key1: UPDATE
        -- (else NULL) whose key, the first column alone, is checked inline, true when that
        -- column is an integer; names: sqltriga UPDATE, quoted column names joined by chr(31);
        -- key_first: its first key column
        select * from (values
            ('_trg_hot_l', 'queue text, ev_type text, tbl text, fmt text, ncols integer, key1 boolean'),
            ('_trg_hot_s', 'queue text, ev_type text, tbl text, fmt text, ncols integer, names text, key_first integer'),
            ('_trg_hot_j', 'queue text, ev_type text, tbl text, key1 boolean')) t(name, fields)
    loop
        if (select string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod), ', ' order by a.attnum)
              from pg_catalog.pg_attribute a
             where a.attrelid = (select typrelid from pg_catalog.pg_type
                                  where typname = v_type.name and typnamespace = 'pgq'::regnamespace)
               and a.attnum > 0 and not a.attisdropped) is distinct from v_type.fields
        then
            execute 'drop type if exists pgq.' || v_type.name;
            execute 'create type pgq.' || v_type.name || ' as (' || v_type.fields || ')';
        end if;
    end loop;
end $$;

-- The DDL and session_replication_role part of a fast path entry's name; immutable only so that
-- the planner folds a call into a constant (see above). Never use it where a plan is not
-- invalidated by a new pg_class row of pgq.trigger_ddl_seq.
create or replace function pgq._trg_hot_epoch()
returns text as $$
    select pg_sequence_last_value('pgq.trigger_ddl_seq'::regclass) || '_' || current_setting('session_replication_role');
$$ language sql immutable;

-- The name of the fast path entry of trigger kind i_kind ('L', 'S', 'J') for operation i_op of
-- trigger i_name on table i_relid. A plain SQL function, so the planner puts its body in place
-- of the call (nothing to run per row but format and hashname) and folds pgq._trg_hot_epoch;
-- the regclass constant, which format ignores, keeps the plan dependent on the sequence (see
-- above). The text arguments come before the oids: format looks an output function up at each
-- change of argument type.
create or replace function pgq._trg_hot_name(i_kind text, i_op text, i_relid oid, i_name name)
returns text as $$
    select format('pgq_trg.' || i_kind || '%s_%s_%s_%s', i_op, pgq._trg_hot_epoch(), i_relid, hashname(i_name)::oid,
                  'pgq.trigger_ddl_seq'::regclass);
$$ language sql stable;

-- The text of the fast path entry (pgq._trg_hot_l, _s or _j) for trigger kind i_kind ('L', 'S',
-- 'J'), operation i_op and timing i_when, from the full cache entry i_info (layout in
-- pgq._trg_build).
create or replace function pgq._trg_hot_entry(i_kind text, i_op text, i_when text, i_info text)
returns text as $$
declare
    v_f text[] := string_to_array(i_info, chr(30));
    v_fast boolean;
    v_ncols integer;
    v_queue text;
    -- json code 'i': int2, int4 or int8
    v_key1 boolean := case when i_op = 'UPDATE' then left(v_f[11], 1) = 'i' end;
begin
    -- plain path only (flag F), never with a catalog digest (it must be checked on every row),
    -- not for TRUNCATE; UPDATE needs a key that is the first column alone, or, for sqltriga,
    -- column texts that tell what changed (flag T)
    v_fast := v_f[3] = 'F' and left(v_f[1], 1) <> 'C' and i_op in ('INSERT', 'UPDATE', 'DELETE')
              and (i_op <> 'UPDATE' or v_f[9] = '1' or i_kind = 'S')
              and (i_kind <> 'S' or i_op <> 'UPDATE' or strpos(v_f[10], 'T') > 0)
              and (i_kind <> 'J' or strpos(v_f[10], 'N') > 0)
              -- sqltriga's DELETE and UPDATE write the key values: a pkey= list may hold NULLs
              and (i_kind <> 'S' or i_op = 'INSERT' or strpos(v_f[10], 'P') = 0)
              -- the fast path returns NEW
              and (i_op <> 'DELETE' or i_when = 'AFTER');
    if v_fast then
        v_ncols := v_f[6]::integer;
        v_queue := v_f[4];
    end if;
    if i_kind = 'L' then
        -- the values bring their '=' (see pgq.logutriga)
        return row(v_queue, left(i_op, 1) || v_f[7], v_f[5], v_f[15], v_ncols, v_key1)::pgq._trg_hot_l::text;
    elsif i_kind = 'S' then
        return row(v_queue, left(i_op, 1), v_f[5], case i_op when 'INSERT' then v_f[17] else v_f[18] end,
                   v_ncols, case when i_op = 'UPDATE' then v_f[19] end,
                   nullif(split_part(v_f[9], ',', 1), '')::integer)::pgq._trg_hot_s::text;
    end if;
    return row(v_queue, '{"op":"' || i_op || v_f[7], v_f[5], v_key1)::pgq._trg_hot_j::text;
end;
$$ language plpgsql immutable;
