create or replace function pgq.batch_event_sql(x_batch_id bigint)
returns text as $$
-- Builds the query returning the batch's events: every event whose transaction is visible in
-- the end tick's snapshot but was not in the start tick's, and that is either for everybody
-- or retried for this subscription. Ends with ' order by 1' (get_batch_cursor relies on that).
--
-- The txid range scan starts at the start snapshot's xmax. Transactions that were still running
-- at the start tick and finished by the end tick have lower txids: those close below the range
-- start widen the range, older ones (long transactions) are listed explicitly, so a single
-- long-running producer does not force a scan over everything committed since it began.
declare
    v_b record;
    v_range_start bigint;
    v_late text := '';
    v_xid bigint;
    v_cols text := 'ev_id, ev_time, ev_txid, ev_retry, ev_type, ev_data,'
                   ' ev_extra1, ev_extra2, ev_extra3, ev_extra4';
    v_owner text;
    v_visible text;
    v_sql text := '';
    v_table text;
begin
    select s.sub_id, t1.tick_snapshot as snap1, t2.tick_snapshot as snap2 into v_b
      from pgq.subscription s, pgq.tick t1, pgq.tick t2
     where s.sub_batch = x_batch_id
       and t1.tick_queue = s.sub_queue and t1.tick_id = s.sub_last_tick
       and t2.tick_queue = s.sub_queue and t2.tick_id = s.sub_next_tick;
    if not found then
        raise exception 'batch not found';
    end if;

    v_range_start := txid_snapshot_xmax(v_b.snap1);
    for v_xid in
        select x from txid_snapshot_xip(v_b.snap1) x
         where txid_visible_in_snapshot(x, v_b.snap2)
         order by x desc
    loop
        if v_late = '' and v_xid >= v_range_start - 100 then
            v_range_start := v_xid;
        elsif v_late = '' then
            v_late := v_xid::text;
        else
            v_late := v_late || ',' || v_xid;
        end if;
    end loop;

    v_owner := ' and (ev_owner is null or ev_owner = ' || v_b.sub_id || ')';
    v_visible := ' and txid_visible_in_snapshot(ev_txid, ' || quote_literal(v_b.snap2::text) || ')'
        || ' and not txid_visible_in_snapshot(ev_txid, ' || quote_literal(v_b.snap1::text) || ')';
    for v_table in select pgq.batch_event_tables(x_batch_id) loop
        if v_sql <> '' then
            v_sql := v_sql || ' union all ';
        end if;
        v_sql := v_sql || 'select ' || v_cols || ' from ' || pgq.quote_fqname(v_table)
            || ' where ev_txid >= ' || v_range_start
            || ' and ev_txid <= ' || txid_snapshot_xmax(v_b.snap2)
            || v_visible || v_owner;
        if v_late <> '' then
            -- finished before the end tick (not in its xip), so visible there if they committed
            v_sql := v_sql || ' union all select ' || v_cols || ' from ' || pgq.quote_fqname(v_table)
                || ' where ev_txid in (' || v_late || ')' || v_owner;
        end if;
    end loop;
    if v_sql = '' then
        raise exception 'could not construct sql for batch %', x_batch_id;
    end if;
    return v_sql || ' order by 1';
end;
$$ language plpgsql;
