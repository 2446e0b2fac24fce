create or replace function pgq.upgrade_schema()
returns int4 as $$
-- Structural fix-ups that every install and upgrade applies; safe to run any number of times.
-- Returns 0.
declare
    v_role text;
begin
    -- coop subconsumers are idle with no last tick; very old installs had NOT NULL here
    perform 1 from pg_catalog.pg_attribute
      where attrelid = 'pgq.subscription'::regclass and attname = 'sub_last_tick' and attnotnull;
    if found then
        alter table pgq.subscription alter column sub_last_tick drop not null;
    end if;

    -- Roles are cluster-wide: installs into two databases at once may race to create them,
    -- and the loser must not fail. pgq_admin comes last: it is a member of the other two.
    foreach v_role in array array['pgq_reader', 'pgq_writer', 'pgq_admin'] loop
        continue when exists (select 1 from pg_catalog.pg_roles where rolname = v_role);
        begin
            if v_role = 'pgq_admin' then
                create role pgq_admin in role pgq_reader, pgq_writer;
            else
                execute format('create role %I', v_role);
            end if;
        exception when duplicate_object or unique_violation then null;
        end;
    end loop;

    -- added in PgQ 3.5; older installs lack it
    perform 1 from pg_catalog.pg_attribute
      where attrelid = 'pgq.queue'::regclass and attname = 'queue_extra_maint' and not attisdropped;
    if not found then
        alter table pgq.queue add column queue_extra_maint text[];
    end if;
    return 0;
end;
$$ language plpgsql;
