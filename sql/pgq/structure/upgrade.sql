-- Roles and late columns; must run before the grants below.
do $$ begin perform pgq.upgrade_schema(); end $$;
