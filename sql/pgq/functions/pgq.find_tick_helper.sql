create or replace function pgq.find_tick_helper(i_queue_id int4, i_prev_tick_id int8,
    i_prev_tick_time timestamptz, i_prev_tick_seq int8, i_min_count int8, i_min_interval interval,
    out next_tick_id int8, out next_tick_time timestamptz, out next_tick_seq int8)
as $$
-- Picks the end tick of a batch that should hold at least i_min_count events or span at least
-- i_min_interval (NULL criteria are ignored). Prefers the newest tick; when that would make the
-- batch more than twice as big as asked, takes the first tick that is big enough instead.
-- All NULL: no tick is far enough yet.
declare
    v_newest record;
    v_enough boolean;
    v_too_big boolean;
begin
    select tick_id, tick_time, tick_event_seq into v_newest
      from pgq.tick
     where tick_queue = i_queue_id and tick_id > i_prev_tick_id
     order by tick_queue desc, tick_id desc limit 1;
    if not found then
        return;
    end if;
    v_enough := coalesce(v_newest.tick_event_seq - i_prev_tick_seq >= i_min_count, false)
             or coalesce(v_newest.tick_time - i_prev_tick_time >= i_min_interval, false);
    v_too_big := coalesce(v_newest.tick_event_seq - i_prev_tick_seq > 2 * i_min_count, false)
              or coalesce(v_newest.tick_time - i_prev_tick_time > 2 * i_min_interval, false);
    if v_too_big then
        select tick_id, tick_time, tick_event_seq into next_tick_id, next_tick_time, next_tick_seq
          from pgq.tick
         where tick_queue = i_queue_id and tick_id > i_prev_tick_id
           and (coalesce(tick_event_seq - i_prev_tick_seq >= i_min_count, false)
                or coalesce(tick_time - i_prev_tick_time >= i_min_interval, false))
         order by tick_queue, tick_id limit 1;
    elsif v_enough then
        next_tick_id := v_newest.tick_id;
        next_tick_time := v_newest.tick_time;
        next_tick_seq := v_newest.tick_event_seq;
    end if;
end;
$$ language plpgsql stable;
