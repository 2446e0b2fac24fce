-- Producers (members of pgq_writer) may use the triggers; the helpers are internal.
grant execute on function pgq.logutriga(), pgq.sqltriga(), pgq.jsontriga() to pgq_writer;
