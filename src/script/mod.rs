//! What every tool shares: ini config, connection strings, logging, daemon and pidfile, signals,
//! the run loop, database access and quoting.

pub mod cli;
pub mod config;
pub mod connstr;
pub mod daemon;
pub mod db;
pub mod logging;
pub mod quoting;
pub mod runner;
pub mod signals;
pub mod syslog;
