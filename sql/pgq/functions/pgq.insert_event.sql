create or replace function pgq.insert_event(queue_name text, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)
returns bigint as $$
-- Queues one event with extra fields in the caller's transaction; returns its id.
-- Security definer so that pgq_writer members need no privileges on the event tables.
--
-- This is the hot path of every producer and trigger, so it writes the row itself instead of
-- calling insert_event_raw(): pgq._generate_insert_dispatch() puts static INSERTs (plans cached
-- per session) for every table of every queue between the two marker lines below. Everything
-- unusual (unknown queue, disabled inserts, a per-transaction limit, a table without generated
-- code) goes through insert_event_raw(), which knows all the rules.
#variable_conflict use_variable
declare
    v_queue_id int4;
    v_cur_table int4;
    v_ev_id bigint;
begin
    select q.queue_id, q.queue_cur_table into v_queue_id, v_cur_table
      from pgq.queue q
     where q.queue_name = queue_name and not q.queue_disable_insert and q.queue_per_tx_limit is null;
    -- a queue not found leaves v_queue_id NULL, which no generated branch takes
    -- generated dispatch begin
    -- generated dispatch end
    return pgq.insert_event_raw(queue_name, null, now(), null, null,
                                ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4);
end;
$$ language plpgsql security definer;

create or replace function pgq.insert_event(queue_name text, ev_type text, ev_data text)
returns bigint as $$
-- Queues one event in the caller's transaction; returns its id. The same fast path as the
-- 7-argument form above, generated into this one too (security definer for the same reason):
-- one function call per event either way. Plain SQL would be inlined into a statement planned
-- once, but costs a parse at every planning of a one-off statement.
#variable_conflict use_variable
declare
    v_queue_id int4;
    v_cur_table int4;
    v_ev_id bigint;
begin
    select q.queue_id, q.queue_cur_table into v_queue_id, v_cur_table
      from pgq.queue q
     where q.queue_name = queue_name and not q.queue_disable_insert and q.queue_per_tx_limit is null;
    -- a queue not found leaves v_queue_id NULL, which no generated branch takes
    -- generated dispatch begin
    -- generated dispatch end
    return pgq.insert_event_raw(queue_name, null, now(), null, null,
                                ev_type, ev_data, null, null, null, null);
end;
$$ language plpgsql security definer;
