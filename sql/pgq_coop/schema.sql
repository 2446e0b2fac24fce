-- Cooperative consumers: several subconsumers share one pgq consumer's position and process
-- consecutive batches in parallel. A subconsumer S of consumer C is the pgq consumer 'C.S'
-- whose subscription carries C's sub_id (so retries and unregistering act on the whole group).
create schema if not exists pgq_coop;
grant usage on schema pgq_coop to public;
