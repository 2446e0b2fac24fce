//! What every tool shares: ini config, connection strings, logging, daemon and pidfile, signals,
//! the run loop.
