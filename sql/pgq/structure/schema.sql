set client_min_messages = warning;
-- The pgq schema. Everything below is written so the whole script can run again over an existing
-- install (ours or the original PgQ 3.x) and keep every table and queued event.
create schema if not exists pgq;
