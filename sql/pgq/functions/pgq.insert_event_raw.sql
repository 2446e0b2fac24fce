create or replace function pgq.insert_event_raw(
    queue_name text, ev_id bigint, ev_time timestamptz, ev_owner integer, ev_retry integer,
    ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)
returns bigint as $$
-- Writes one event row into the queue's current table; the only writer of event rows (the
-- retry mover uses it too). NULL ev_id / ev_time mean a new id / now().
-- The event sequence is always advanced, even for an explicit ev_id, because the ticker sees
-- queue activity only through that sequence.
#variable_conflict use_variable
declare
    v_queue_id int4;
    v_cur_table int4;
    v_disabled boolean;
    v_tx_limit int4;
    v_data_pfx text;
    v_event_seq text;
    v_seq_id bigint;
begin
    select q.queue_id, q.queue_cur_table, q.queue_disable_insert, q.queue_per_tx_limit,
           q.queue_data_pfx, q.queue_event_seq
      into v_queue_id, v_cur_table, v_disabled, v_tx_limit, v_data_pfx, v_event_seq
      from pgq.queue q
     where q.queue_name = queue_name;
    -- one test on the common path, the reasons are sorted out only when something is unusual
    if not found or v_disabled or v_tx_limit is not null then
        if queue_name is null then
            raise exception 'Queue name must not be NULL';
        end if;
        if not found then
            raise exception 'No such queue';
        end if;
        if v_disabled and current_setting('session_replication_role') <> 'replica' then
            raise exception 'Insert into queue disallowed';
        end if;
        if v_tx_limit is not null then
            perform pgq._check_tx_limit(v_queue_id, queue_name, v_tx_limit);
        end if;
    end if;

    -- separately rather than in the select above: a volatile call there costs more than this
    v_seq_id := nextval(v_event_seq::regclass);
    -- pgq._generate_insert_dispatch() puts static INSERTs (plans cached per session) for every
    -- table of every queue between the two marker lines below.
    -- generated dispatch begin
    -- generated dispatch end

    -- a table without generated code (created after the last generation, e.g. by raising
    -- queue_ntables by hand): plan the insert anew
    execute 'insert into ' || pgq.quote_fqname(v_data_pfx || '_' || v_cur_table)
        || ' (ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,'
        || ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
        || ' values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)'
        using coalesce(ev_id, v_seq_id), coalesce(ev_time, now()), ev_owner, ev_retry,
              ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4;
    return coalesce(ev_id, v_seq_id);
end;
$$ language plpgsql;
