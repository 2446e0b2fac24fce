-- Takes over a database where the original PgQ was installed as an extension (`create extension
-- pgq`). Its objects are released from the extension first, so that our install can replace the
-- functions (a member function cannot be dropped), and so that a later `drop extension pgq` or
-- `alter extension pgq update` cannot drop the queue tables or put the C functions back.
-- The emptied extension is dropped unless another extension (pgq_node, londiste) requires it; in
-- that case the empty shell stays so that those extensions remain valid.
do $$
declare
    v_ext oid;
    v_obj record;
begin
    select e.oid into v_ext from pg_catalog.pg_extension e where e.extname = 'pgq';
    if not found then
        return;
    end if;
    for v_obj in
        select o.type, o.identity
          from pg_catalog.pg_depend d,
               lateral pg_catalog.pg_identify_object(d.classid, d.objid, d.objsubid) o
         where d.refclassid = 'pg_catalog.pg_extension'::regclass
           and d.refobjid = v_ext
           and d.deptype = 'e'
         order by o.type = 'schema', o.identity
    loop
        execute format('alter extension pgq drop %s %s', v_obj.type, v_obj.identity);
    end loop;
    if exists (select 1 from pg_catalog.pg_depend d
                where d.classid = 'pg_catalog.pg_extension'::regclass
                  and d.refclassid = 'pg_catalog.pg_extension'::regclass
                  and d.refobjid = v_ext)
    then
        raise warning 'pgq: extension pgq emptied but kept, other extensions require it';
    else
        drop extension pgq;
    end if;
end $$;
