create or replace function pgq._grant_perms_from(src_schema text, src_table text, dst_schema text, dst_table text)
returns integer as $$
-- Repeats on dst every table privilege granted on src (grant option included). Returns 1.
declare
    v_priv record;
    v_grantee text;
begin
    for v_priv in
        select grantee, privilege_type, is_grantable
          from information_schema.table_privileges
         where table_schema = src_schema and table_name = src_table
    loop
        if v_priv.grantee = 'PUBLIC' then
            v_grantee := 'public';
        else
            v_grantee := quote_ident(v_priv.grantee);
        end if;
        execute 'grant ' || v_priv.privilege_type || ' on ' || quote_ident(dst_schema) || '.'
            || quote_ident(dst_table) || ' to ' || v_grantee
            || case when v_priv.is_grantable = 'YES' then ' with grant option' else '' end;
    end loop;
    return 1;
end;
$$ language plpgsql strict;
