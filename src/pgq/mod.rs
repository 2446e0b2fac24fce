//! The PgQ client library: queue administration, producing events, and consuming them batch by
//! batch — plain, cooperative (pgq_coop) or exactly-once into another database (pgq_ext).
//! Functions take `&mut impl postgres::GenericClient` so they run in the caller's transaction.

pub mod admin;
pub mod batch;
pub mod consumer;
pub mod coop;
pub mod event;
pub mod listen;
pub mod producer;
pub mod remote;

pub use batch::{Batch, BatchInfo};
pub use consumer::{BatchLimits, BatchSummary, Consumer, EventStatus};
pub use coop::CoopConsumer;
pub use event::Event;
pub use producer::{insert_event, insert_events_bulk, NewEvent};
pub use remote::{RemoteBatch, RemoteConsumer};
