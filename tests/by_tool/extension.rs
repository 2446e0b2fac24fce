//! Our SQL modules as PostgreSQL extensions (`make install` writes the files): CREATE EXTENSION
//! works, pg_dump keeps the right tables, and an original PgQ 3.5 extension updates to ours with
//! its queued events kept. Runs on a private copy of the PostgreSQL installation so the system's
//! extension directory (where the original PgQ lives) is never touched.

use std::process::Command;

use super::pgq_triggers;
use crate::support::{relocated_postgres, Cluster, Db};

fn cluster_with_our_extensions() -> Cluster {
    let bindir = relocated_postgres();
    let share = Command::new(bindir.join("pg_config")).arg("--sharedir").output().unwrap();
    let extdir = std::path::PathBuf::from(String::from_utf8_lossy(&share.stdout).trim()).join("extension");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/install-extensions.sh");
    let out = Command::new(script).arg(&extdir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Cluster::start_from(&bindir, &[])
}

#[test]
fn create_extension_installs_our_pgq_and_it_works() {
    let cluster = cluster_with_our_extensions();
    let db = Db::in_cluster(&cluster);
    db.psql("create extension pgq; create extension pgq_coop; create extension pgq_ext");
    assert_eq!(db.psql("select extversion from pg_extension where extname = 'pgq'"), "3.5.2");
    // the original's seven, and the table of our ticker_on_commit setting
    assert_eq!(db.psql("select array_length(extconfig, 1) from pg_extension where extname = 'pgq'"), "8");
    assert_eq!(
        db.psql(
            "select 'pgq.queue_ticker_on_commit'::regclass = any (extconfig) from pg_extension where extname = 'pgq'"
        ),
        "t"
    );
    assert_eq!(db.psql("select array_length(extconfig, 1) from pg_extension where extname = 'pgq_ext'"), "4");
    assert_eq!(
        db.psql("select l.lanname from pg_proc p join pg_language l on l.oid = p.prolang where p.oid = 'pgq.insert_event(text,text,text)'::regprocedure"),
        "plpgsql",
        "no C behind the API"
    );
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c'); select pgq.insert_event('q', 't', 'payload')");
    db.psql("select pgq.force_tick('q')");
    db.psql("select pgq.ticker()");
    let batch = db.psql("select pgq.next_batch('q', 'c')");
    assert_eq!(db.psql(&format!("select ev_data from pgq.get_batch_events({batch})")), "payload");
    db.psql("drop extension pgq_coop; drop extension pgq_ext; drop extension pgq cascade");
    assert_eq!(db.psql("select count(*) from pg_namespace where nspname = 'pgq'"), "0");
}

/// The control file lets a database owner who is no superuser create the extension (the roles
/// pgq grants to exist already). There is then no event trigger for the trigger cache, and the
/// triggers follow ALTER TABLE in a session that cached the table all the same.
#[test]
fn create_extension_without_superuser_and_triggers_follow_alter_table() {
    let cluster = cluster_with_our_extensions();
    let mut su = cluster.client("postgres");
    su.batch_execute(
        "create role pgq_reader; create role pgq_writer; create role pgq_admin in role pgq_reader, pgq_writer;
         create role dbowner login",
    )
    .unwrap();
    su.batch_execute("create database owned owner dbowner").unwrap();
    let connstr = cluster.connstr("owned").replace("user=postgres", "user=dbowner");
    let mut client = postgres::Client::connect(&connstr, postgres::NoTls).unwrap();
    client.batch_execute("create extension pgq").unwrap();
    assert_eq!(client.query_one("select count(*) from pg_event_trigger", &[]).unwrap().get::<_, i64>(0), 0);
    client.batch_execute(pgq_triggers::ALTER_SCRIPT).unwrap();
    assert_eq!(pgq_triggers::events_of(&mut client), pgq_triggers::ALTER_EVENTS);
}

#[test]
fn an_original_pgq_extension_updates_to_ours_keeping_its_events() {
    let cluster = cluster_with_our_extensions();
    let db = Db::in_cluster(&cluster);
    db.psql("create extension pgq version '3.5'");
    assert_eq!(
        db.psql("select l.lanname from pg_proc p join pg_language l on l.oid = p.prolang where p.oid = 'pgq.insert_event_raw(text,bigint,timestamptz,integer,integer,text,text,text,text,text,text)'::regprocedure"),
        "c",
        "the original's C function before the update"
    );
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 't', 'e' || g) from generate_series(1, 100) g");
    db.psql("alter extension pgq update");
    assert_eq!(db.psql("select extversion from pg_extension where extname = 'pgq'"), "3.5.2");
    db.psql("select pgq.insert_event('q', 't', 'after')");
    db.psql("select pgq.force_tick('q')");
    db.psql("select pgq.ticker()");
    let batch = db.psql("select pgq.next_batch('q', 'c')");
    assert_eq!(db.psql(&format!("select count(*) from pgq.get_batch_events({batch})")), "101");
    assert_eq!(
        db.psql("select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang where n.nspname = 'pgq' and l.lanname = 'c'"),
        "0",
        "no C function left"
    );
}
