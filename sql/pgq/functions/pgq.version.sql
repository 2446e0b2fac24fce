create or replace function pgq.version()
returns text as $$
-- The PgQ API version this schema implements. pgqd only looks at the first character (>= '3'),
-- so this is a constant rather than an extension version, which a plain install does not have.
    select '3.5.2'::text;
$$ language sql;
