//! skytools: PgQ, pgqd, Londiste, walmgr and qadmin in one binary. The library holds every tool
//! and the shared layers under them; `main.rs` only dispatches.

pub mod data_maintainer;
pub mod pgq;
pub mod qadmin;
pub mod script;
pub mod sqlmod;
pub mod status;
pub mod ticker;
pub mod tools;
pub mod walmgr;
