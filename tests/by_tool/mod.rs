mod data_maintainer;
mod dispatch;
mod pgq_coop;
mod pgq_ext;
mod pgq_sql;
mod pgq_triggers;
mod pgqd;
mod script;
