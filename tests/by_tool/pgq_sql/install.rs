//! Installing sql/pgq: again over itself, over the original PgQ (extension or plain SQL, with
//! queued events), over older layouts and declarations.

use super::{drain, pgq_db, tick};
use crate::support::Db;

#[test]
fn reinstall_keeps_tables_and_queued_events() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'before', 'x')");
    tick(&db, "q");
    db.install(&["pgq"]);
    db.psql("select pgq.insert_event('q', 'after', 'y')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["before:x", "after:y"]);
}

#[test]
fn install_over_original_extension_keeps_queued_events() {
    let db = Db::new();
    let available = db.psql("select count(*) from pg_available_extensions where name = 'pgq'");
    if available != "1" {
        eprintln!("original pgq extension not available here; skipped");
        return;
    }
    db.psql("create extension pgq");
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'orig' || i, 'd' || i) from generate_series(1, 500) i");
    db.psql("select pgq.ticker('q')");
    db.psql("select pgq.insert_event('q', 'orig' || i, 'd' || i) from generate_series(501, 1000) i");

    db.install(&["pgq"]);
    assert_eq!(db.psql("select count(*) from pg_extension where extname = 'pgq'"), "0");
    assert_eq!(
        db.psql("select count(*) from pg_proc p join pg_language l on l.oid = p.prolang where p.pronamespace = 'pgq'::regnamespace and l.lanname = 'c'"),
        "0",
        "no C function of the original is left"
    );
    db.psql("select pgq.insert_event('q', 'ours', 'x')");
    tick(&db, "q");
    let events = drain(&db, "q", "c");
    assert_eq!(events.len(), 1001);
    assert_eq!(events[0], "orig1:d1");
    assert_eq!(events[999], "orig1000:d1000");
    assert_eq!(events[1000], "ours:x");
}

#[test]
fn install_replaces_functions_declared_differently_by_older_versions() {
    let db = pgq_db();
    // what older PgQ releases looked like: other result columns, other argument names
    db.psql(
        "drop function pgq.next_batch_info(text, text);
         create function pgq.next_batch_info(i_queue_name text, i_consumer_name text, out batch_id int8)
             as 'select 1::int8' language sql;
         drop function pgq.register_consumer(text, text);
         create function pgq.register_consumer(queue text, consumer text) returns int4
             as 'select 0' language sql",
    );
    db.install(&["pgq"]);
    assert_eq!(
        db.psql("select pg_get_function_arguments('pgq.register_consumer(text,text)'::regprocedure)"),
        "x_queue_name text, x_consumer_id text"
    );
    db.psql("select pgq.create_queue('q')");
    assert_eq!(db.psql("select pgq.register_consumer('q', 'c')"), "1");
    assert_eq!(db.psql("select count(*) from pgq.next_batch_info('q', 'c') where cur_tick_id is null"), "1");
}

/// Names of the functions that sql/pgq/functions declares.
fn declared_function_names() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql/pgq/functions");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("create or replace function pgq.").skip(1) {
            names.push(part.split('(').next().unwrap().to_string());
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn list_of_declarations_in_drop_changed_matches_the_installed_functions() {
    let db = pgq_db();
    let file = include_str!("../../../sql/pgq/structure/drop_changed.sql");
    let start = file.find("from (values").expect("values list") + "from (values".len();
    let end = file.find(") as ours(sig, args, result)").expect("end of list");
    let values = &file[start..end];
    let names = declared_function_names().iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    let mismatches = db.psql(&format!(
        "with ours(sig, args, result) as (values {values})
         select 'declared differently: ' || ours.sig from ours
          left join pg_proc p on p.oid = to_regprocedure(ours.sig)
          where p.oid is null or pg_get_function_arguments(p.oid) <> ours.args
             or pg_get_function_result(p.oid) <> ours.result
         union all
         select 'missing from the list: ' || p.oid::regprocedure::text from pg_proc p
          where p.pronamespace = 'pgq'::regnamespace and p.proname in ({names})
            and p.oid::regprocedure::text not in (select sig from ours)"
    ));
    assert_eq!(mismatches, "");
}

#[test]
fn install_next_to_original_pgq_node_keeps_the_emptied_pgq_extension() {
    let db = Db::new();
    if db.psql("select count(*) from pg_available_extensions where name = 'pgq_node'") != "1" {
        eprintln!("original pgq_node extension not available here; skipped");
        return;
    }
    db.psql("create extension pgq_node cascade");
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'orig', '1')");
    let out = crate::support::skytools("skytools").args(["install", "pgq", "--db"]).arg(db.connstr()).output().unwrap();
    crate::support::assert_ok(&out, "skytools install");
    assert_eq!(db.psql("select extname from pg_extension where extname like 'pgq%' order by 1"), "pgq\npgq_node");
    assert_eq!(
        db.psql("select count(*) from pg_depend d, pg_extension e where e.extname = 'pgq' and d.refobjid = e.oid and d.deptype = 'e'"),
        "0",
        "no object of ours belongs to the old extension"
    );
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["orig:1"]);
}

#[test]
fn install_over_a_plain_sql_install_of_the_original() {
    let sharedir = std::process::Command::new(crate::support::bindir().join("pg_config")).arg("--sharedir").output();
    let Some(script) = sharedir
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string() + "/extension/pgq--3.5.sql")
        .and_then(|p| std::fs::read_to_string(p).ok())
    else {
        eprintln!("original pgq 3.5 SQL not available here; skipped");
        return;
    };
    let db = Db::new();
    // the extension script run by hand: no psql guard, no extension-only calls
    let plain: String = script
        .lines()
        .filter(|l| !l.starts_with('\\') && !l.contains("pg_extension_config_dump"))
        .map(|l| format!("{l}\n"))
        .collect();
    db.psql(&plain);
    assert_eq!(db.psql("select coalesce(pgq.version(), 'null')"), "null");
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'orig', i::text) from generate_series(1, 3) i");
    db.install(&["pgq"]);
    assert_eq!(db.psql("select pgq.version() like '3.%'"), "t", "pgqd accepts the database now");
    db.psql("select pgq.insert_event('q', 'ours', '4')");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["orig:1", "orig:2", "orig:3", "ours:4"]);
}

#[test]
fn install_brings_an_older_schema_up_to_date() {
    let db = pgq_db();
    db.psql("select pgq.create_queue('q'); select pgq.register_consumer('q', 'c')");
    db.psql("select pgq.insert_event('q', 'kept', '1')");
    // the 3.2 layout: no queue_extra_maint, sub_last_tick NOT NULL
    db.psql("alter table pgq.queue drop column queue_extra_maint; alter table pgq.subscription alter column sub_last_tick set not null");
    db.install(&["pgq"]);
    assert_eq!(db.psql("select count(*) from pg_attribute where attrelid = 'pgq.queue'::regclass and attname = 'queue_extra_maint'"), "1");
    assert_eq!(db.psql("select attnotnull from pg_attribute where attrelid = 'pgq.subscription'::regclass and attname = 'sub_last_tick'"), "f");
    assert_eq!(db.psql("select pgq.upgrade_schema()"), "0");
    tick(&db, "q");
    assert_eq!(drain(&db, "q", "c"), ["kept:1"]);
}
