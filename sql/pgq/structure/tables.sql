-- Tables and sequences of the pgq schema. Created only when missing, so reinstalling keeps data;
-- columns added by later versions are added by pgq.upgrade_schema().

-- Consumer names; a row lives as long as some subscription refers to it.
create table if not exists pgq.consumer (
    co_id       serial,
    co_name     text not null,
    constraint consumer_pkey primary key (co_id),
    constraint consumer_name_uq unique (co_name)
);

-- One row per queue: its settings, its rotating data tables and the rotation state.
create table if not exists pgq.queue (
    queue_id                    serial,
    queue_name                  text not null,
    queue_ntables               integer not null default 3,
    queue_cur_table             integer not null default 0,
    queue_rotation_period       interval not null default '2 hours',
    queue_switch_step1          bigint not null default txid_current(),
    queue_switch_step2          bigint default txid_current(),
    queue_switch_time           timestamptz not null default now(),
    queue_external_ticker       boolean not null default false,
    queue_disable_insert        boolean not null default false,
    queue_ticker_paused         boolean not null default false,
    queue_ticker_max_count      integer not null default 500,
    queue_ticker_max_lag        interval not null default '3 seconds',
    queue_ticker_idle_period    interval not null default '1 minute',
    queue_per_tx_limit          integer,
    queue_data_pfx              text not null,
    queue_event_seq             text not null,
    queue_tick_seq              text not null,
    queue_extra_maint           text[],
    constraint queue_pkey primary key (queue_id),
    constraint queue_name_uq unique (queue_name)
);

-- Ticks: snapshots of committed transactions; two consecutive ticks delimit a batch.
-- txid_snapshot (not pg_snapshot) because clients parse its text form and old installs have it.
create table if not exists pgq.tick (
    tick_queue      int4 not null,
    tick_id         bigint not null,
    tick_time       timestamptz not null default now(),
    tick_snapshot   txid_snapshot not null default txid_current_snapshot(),
    tick_event_seq  bigint not null,
    constraint tick_pkey primary key (tick_queue, tick_id),
    constraint tick_queue_fkey foreign key (tick_queue) references pgq.queue (queue_id)
);

-- Queues whose producers wake the ticker when they commit (set_queue_config's
-- 'ticker_on_commit'). A table of its own because pgq.queue keeps exactly the original's columns.
create table if not exists pgq.queue_ticker_on_commit (
    queue_id    int4 not null,
    constraint queue_ticker_on_commit_pkey primary key (queue_id),
    constraint queue_ticker_on_commit_fkey foreign key (queue_id)
        references pgq.queue (queue_id) on delete cascade
);

create sequence if not exists pgq.batch_id_seq;

-- A consumer's registration on a queue and its active batch. sub_id is shared by a pgq_coop
-- main consumer and its subconsumers, so it is deliberately not unique.
create table if not exists pgq.subscription (
    sub_id          serial not null,
    sub_queue       int4 not null,
    sub_consumer    int4 not null,
    sub_last_tick   bigint,
    sub_active      timestamptz not null default now(),
    sub_batch       bigint,
    sub_next_tick   bigint,
    constraint subscription_pkey primary key (sub_queue, sub_consumer),
    constraint subscription_batch_idx unique (sub_batch),
    constraint sub_queue_fkey foreign key (sub_queue) references pgq.queue (queue_id),
    constraint sub_consumer_fkey foreign key (sub_consumer) references pgq.consumer (co_id)
);

-- Parent of every queue's event tables; holds no rows itself.
create table if not exists pgq.event_template (
    ev_id       bigint not null,
    ev_time     timestamptz not null,
    ev_txid     bigint not null default txid_current(),
    ev_owner    int4,
    ev_retry    int4,
    ev_type     text,
    ev_data     text,
    ev_extra1   text,
    ev_extra2   text,
    ev_extra3   text,
    ev_extra4   text
);

-- Events waiting to be put back into their queue for one subscription (ev_owner = sub_id).
create table if not exists pgq.retry_queue (
    ev_retry_after  timestamptz not null,
    ev_queue        int4 not null,
    like pgq.event_template,
    constraint rq_pkey primary key (ev_owner, ev_id),
    constraint rq_queue_id_fkey foreign key (ev_queue) references pgq.queue (queue_id)
);
alter table pgq.retry_queue alter column ev_owner set not null;
alter table pgq.retry_queue alter column ev_txid drop not null;
create index if not exists rq_retry_idx on pgq.retry_queue (ev_retry_after);
