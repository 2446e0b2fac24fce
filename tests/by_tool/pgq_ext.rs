//! pgq_ext (sql/pgq_ext): target-side batch, tick and event markers for exactly-once consumers.

use crate::support::Db;

fn ext_db() -> Db {
    let db = Db::new();
    db.install(&["pgq_ext"]);
    db
}

#[test]
fn batch_tick_and_event_markers() {
    let db = ext_db();
    let q = |sql: &str| db.psql(&format!("select {sql}"));
    assert_eq!(q("pgq_ext.version()"), "3.1");
    assert_eq!(q("pgq_ext.is_batch_done('c', 5)"), "f");
    assert_eq!(q("pgq_ext.set_batch_done('c', 5)"), "t");
    assert_eq!(q("pgq_ext.set_batch_done('c', 5)"), "f", "already done");
    assert_eq!(q("pgq_ext.is_batch_done('c', 5)"), "t");
    assert_eq!(q("pgq_ext.is_batch_done('c', 'sub', 5)"), "f", "subconsumers are separate");
    assert_eq!(q("pgq_ext.set_batch_done('c', 6)"), "t");
    assert_eq!(q("pgq_ext.is_batch_done('c', 5)"), "f", "only the last batch is kept");

    assert_eq!(q("pgq_ext.get_last_tick('c')"), "");
    assert_eq!(q("pgq_ext.set_last_tick('c', 7)"), "1");
    assert_eq!(q("pgq_ext.set_last_tick('c', 8)"), "1");
    assert_eq!(q("pgq_ext.get_last_tick('c')"), "8");
    assert_eq!(q("pgq_ext.set_last_tick('c', null)"), "1");
    assert_eq!(q("pgq_ext.get_last_tick('c')"), "");

    assert_eq!(q("pgq_ext.set_event_done('c', 1, 10)"), "t");
    assert_eq!(q("pgq_ext.set_event_done('c', 1, 10)"), "f");
    assert_eq!(q("pgq_ext.is_event_done('c', 1, 10)"), "t");
    assert_eq!(q("pgq_ext.set_event_done('c', 2, 11)"), "t");
    assert_eq!(q("pgq_ext.is_event_done('c', 1, 10)"), "f", "a new batch drops the old marks");
    assert_eq!(q("pgq_ext.is_event_done('c', 2, 11)"), "t");
}

#[test]
fn reinstall_keeps_markers_and_upgrades_old_tables() {
    let db = ext_db();
    db.psql("select pgq_ext.set_batch_done('c', 5)");
    db.install(&["pgq_ext"]);
    assert_eq!(db.psql("select pgq_ext.is_batch_done('c', 5)"), "t");

    let old = Db::new();
    old.psql(
        "create schema pgq_ext; \
         create table pgq_ext.completed_tick (consumer_id text primary key, last_tick_id bigint not null); \
         insert into pgq_ext.completed_tick values ('c', 42)",
    );
    old.install(&["pgq_ext"]);
    assert_eq!(old.psql("select pgq_ext.get_last_tick('c')"), "42");
    assert_eq!(old.psql("select pgq_ext.set_last_tick('c', 'sub', 1)"), "1");
    assert_eq!(old.psql("select count(*) from pgq_ext.completed_tick"), "2");
}
