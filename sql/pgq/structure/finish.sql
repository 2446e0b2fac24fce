-- Generate the insert fast path for the queues that already exist (including queues created
-- by an original PgQ install we are replacing).
do $$ begin perform pgq._generate_insert_dispatch(); end $$;
