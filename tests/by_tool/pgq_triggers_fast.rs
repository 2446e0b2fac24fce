//! The fast path of our row triggers (pgq._trg_hot) against the original C triggers, side by
//! side in one database: the same statements run on a table with the C trigger and on a twin
//! table with ours, and both must write the same events. Each table gets many rows in one
//! session, so after the first row every row meets the cached fast path, and the rows are
//! chosen to sit on both sides of its limits (quotes, commas, parentheses, backslashes, NULLs
//! and empty strings in every position, key changes).

use crate::support::Db;

const KINDS: [&str; 3] = ["logutriga", "sqltriga", "jsontriga"];

/// Declares the original C triggers as `orig.*` next to our pgq (the Debian package
/// postgresql-15-pgq3 provides the library, packaging/install-deps.sh installs it).
fn side_by_side_db() -> Db {
    let db = Db::new();
    db.install(&["pgq"]);
    let mut sql = String::from("create schema orig; create schema c; create schema p;\n");
    for kind in KINDS {
        sql.push_str(&format!(
            "create function orig.{kind}() returns trigger as '$libdir/pgq_triggers', 'pgq_{kind}' language c;\n"
        ));
    }
    db.psql(&sql);
    db
}

/// Creates `c.NAME` and `p.NAME` from the column list, with the C trigger on the first and
/// ours on the second, writing to queues `c_NAME` and `p_NAME`; `args` are extra trigger
/// arguments, `timing` BEFORE or AFTER.
fn twin_tables(name: &str, columns: &str, kind: &str, timing: &str) -> String {
    let mut sql = String::new();
    for (side, func) in [("c", format!("orig.{kind}")), ("p", format!("pgq.{kind}"))] {
        sql.push_str(&format!(
            "select pgq.create_queue('{side}_{name}');\n\
             create table {side}.{name} ({columns});\n\
             create trigger t {timing} insert or update or delete on {side}.{name} \
             for each row execute procedure {func}('{side}_{name}');\n"
        ));
    }
    sql
}

/// The same statements, with `T` standing for the table, on both sides.
fn on_both(statements: &str) -> String {
    ["c", "p"].iter().map(|side| statements.replace("T.", &format!("{side}."))).collect()
}

/// Events written for one side's table, with the schema name made neutral.
fn side_events(db: &Db, side: &str, name: &str) -> Vec<String> {
    let out = db.psql(&format!(
        "select string_agg(concat_ws('|', ev_type, coalesce(ev_data, '<null>'), \
         coalesce(ev_extra2, '<null>')), chr(30) order by ev_id) \
         from pgq.event_template where ev_extra1 = '{side}.{name}'"
    ));
    out.split('\u{1e}').filter(|l| !l.is_empty()).map(|l| l.replace(&format!("[\"{side}\","), "[\"S\",")).collect()
}

/// The error line of a statement that must fail (the context lines differ: C has none).
fn error_of(db: &Db, sql: &str) -> String {
    let out = db.psql_raw(sql);
    assert!(!out.status.success(), "expected a failure: {sql}");
    String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or_default().to_string()
}

fn assert_same_events(db: &Db, name: &str) -> usize {
    let c = side_events(db, "c", name);
    let p = side_events(db, "p", name);
    assert!(!c.is_empty(), "no events from the C trigger on {name}");
    for (i, (ours, orig)) in p.iter().zip(&c).enumerate() {
        assert_eq!(ours, orig, "event {i} of {name}: ours (left) vs the C trigger (right)");
    }
    assert_eq!(p.len(), c.len(), "events of {name}: ours {p:#?}");
    c.len()
}

/// Rows that the fast path takes and rows it must hand over to the general path, inserted,
/// updated (key kept and key changed) and deleted.
const ROWS: &str = r#"
insert into T.x values (1, 'plain', 1, '2020-01-02 03:04:05.678+00', 1.5);
insert into T.x values (2, 'two words', null, null, null);
insert into T.x values (3, null, 3, '2021-06-07 08:09:10+00', -2);
insert into T.x values (4, '', 4, null, 0);
insert into T.x values (5, 'say "hi"', 5, null, 1e10);
insert into T.x values (6, 'a,b', 6, null, null);
insert into T.x values (7, 'x(y)z', 7, null, null);
insert into T.x values (8, '(NULL', 8, null, null);
insert into T.x values (9, 'NULL', null, null, null);
insert into T.x values (10, E'back\\slash', 10, null, null);
insert into T.x values (11, 'it''s 100% a+b=c:d&e/f?g#h~i*j!', 11, null, null);
insert into T.x values (12, E'tab\there\nnewline', 12, null, null);
insert into T.x values (13, 'ñ€ unicode', 13, null, null);
insert into T.x values (14, ')', 14, null, null);
insert into T.x values (15, ',', null, null, null);
insert into T.x values (16, '-._', 16, 'infinity', 'NaN');
insert into T.x (id) values (17);
-- RESET ALL (as DISCARD ALL from a pooler) leaves the cached entries empty
reset all;
set timezone = 'UTC';
insert into T.x (id, d) values (18, 5);
-- no events while session_replication_role is local
set session_replication_role = local;
insert into T.x values (19, 'local', 19, null, null);
update T.x set b = 0 where id = 1;
reset session_replication_role;
insert into T.x select i, 'row ' || i, i, '2022-01-01 00:00:00+00'::timestamptz + i * interval '1 hour', i / 3.0
  from generate_series(100, 120) i;
update T.x set b = b + 1 where id between 100 and 105;
update T.x set a = 'changed' where id in (1, 2, 3);
update T.x set a = null, b = null, ts = null, d = null where id = 4;
update T.x set a = 'q"uote', b = 0 where id = 5;
update T.x set b = b where id in (101, 15);
-- set to NULL, and a value that SQL quotes, on rows the fast path takes
update T.x set b = null, d = null where id between 102 and 103;
update T.x set a = 'it''s', ts = null where id = 104;
delete from T.x where id in (7, 8, 9, 100);
delete from T.x where id between 113 and 120;
"#;

const COLUMNS: &str = "id int primary key, a text, b int, ts timestamptz, d numeric";

#[test]
fn fast_path_rows_match_the_c_triggers() {
    let db = side_by_side_db();
    let mut sql = String::from("set timezone = 'UTC';\n");
    for kind in KINDS {
        for timing in ["after", "before"] {
            sql.push_str(&twin_tables(&format!("{kind}_{timing}"), COLUMNS, kind, timing));
        }
    }
    db.psql(&sql);
    for kind in KINDS {
        for timing in ["after", "before"] {
            let name = format!("{kind}_{timing}");
            db.psql(&format!("set timezone = 'UTC';\n{}", on_both(&ROWS.replace("T.x", &format!("T.{name}")))));
            let n = assert_same_events(&db, &name);
            assert!(n > 50, "{name}: only {n} events");
        }
    }
    // a changed key is refused by both, after the cached entry exists
    for kind in KINDS {
        let name = format!("{kind}_after");
        for change in ["set id = 1000 where id = 6", "set id = id + 500 where id between 110 and 112"] {
            let c = error_of(&db, &format!("update c.{name} {change}"));
            let p = error_of(&db, &format!("update p.{name} {change}"));
            assert_eq!(p, c);
            assert!(c.contains("primary key update not allowed"), "{c}");
        }
    }
    // BEFORE triggers hand back the row: both sides stored the same rows
    for kind in KINDS {
        let name = format!("{kind}_before");
        let c = db.psql(&format!("select string_agg(x::text, ';' order by id) from c.{name} x"));
        let p = db.psql(&format!("select string_agg(x::text, ';' order by id) from p.{name} x"));
        assert_eq!(p, c);
        assert!(c.contains(r#"(5,"q""uote",0,,10000000000)"#), "{c}");
    }
}

/// A key that is not the first column, or several key columns, and a table of one column:
/// the fast path's shortcuts (first-field key check, splitting) must not misfire.
#[test]
fn fast_path_other_table_shapes_match_the_c_triggers() {
    let db = side_by_side_db();
    // (shape, columns, statements, a statement changing a key)
    let shapes = [
        ("keylast", "a text, b int, id int primary key",
         "insert into T.keylast values ('x', 1, 1), ('y,z', null, 2), (null, 3, 3);\nupdate T.keylast set b = 9 where id = 1;\nupdate T.keylast set a = 'q' where id = 2;\ndelete from T.keylast where id = 3;",
         "update T.keylast set id = 7 where id = 1"),
        ("twokeys", "k1 int, k2 text, v text, primary key (k1, k2)",
         "insert into T.twokeys values (1, 'a', 'v'), (1, 'b b', null), (2, 'a,b', 'w');\nupdate T.twokeys set v = 'new' where k1 = 1;\ndelete from T.twokeys where k1 = 1;",
         "update T.twokeys set k2 = 'c' where k1 = 2"),
        ("single", "id text primary key",
         "insert into T.single values ('a'), ('b c'), ('d,e'), ('(f)');\nupdate T.single set id = id where id = 'a';\ndelete from T.single where id = 'b c';",
         "update T.single set id = 'z' where id = 'a'"),
        ("textkey", "id text primary key, v int",
         "insert into T.textkey values ('k 1', 1), ('k,2', 2), ('k3', 3), ('k,2x', 4);\nupdate T.textkey set v = v + 1;\ndelete from T.textkey where v > 3;",
         "update T.textkey set id = 'k,2y' where id = 'k,2'"),
        // a key the first field's regular expression takes (not an integer), changed
        ("plainkey", "id text primary key, v int",
         "insert into T.plainkey values ('a1', 1), ('a10', 2), ('b', null);\nupdate T.plainkey set v = v + 1;\ndelete from T.plainkey where id = 'b';",
         "update T.plainkey set id = 'a100' where id = 'a10'"),
        ("bigkey", "id bigint primary key, v text",
         "insert into T.bigkey values (1, 'x'), (10, 'y z'), (-5, null);\nupdate T.bigkey set v = 'w';\ndelete from T.bigkey where id = -5;",
         "update T.bigkey set id = 100 where id = 10"),
    ];
    for kind in KINDS {
        for (shape, columns, statements, key_change) in shapes {
            let name = format!("{shape}_{kind}");
            let table = |s: &str| s.replace(&format!("T.{shape}"), &format!("T.{name}"));
            db.psql(&twin_tables(&name, columns, kind, "after"));
            // twice, so that the second round meets the cached entries
            for _ in 0..2 {
                db.psql(&on_both(&table(&format!("{statements}\ndelete from T.{shape};"))));
            }
            db.psql(&on_both(&table(statements)));
            assert_same_events(&db, &name);
            let [c, p] = ["c.", "p."].map(|side| error_of(&db, &table(key_change).replace("T.", side)));
            assert_eq!(p, c, "{name}");
        }
    }
}

/// DDL from another session while a session has its fast path entries cached: the entries' names
/// take the DDL sequence when their expression is planned (pgq._trg_hot_epoch), so the other
/// session's commit must make the first session plan them again, for a renamed, added and
/// dropped column, a new key and a trigger re-created with other arguments.
#[test]
fn fast_path_follows_ddl_of_another_session() {
    let db = side_by_side_db();
    let mut cached = db.client();
    let mut other = db.client();
    cached.batch_execute("set timezone = 'UTC'").unwrap();
    let ddl = [
        "alter table T.NAME rename column a to aa",
        "alter table T.NAME add column e text",
        "alter table T.NAME drop column ts",
        "alter table T.NAME drop constraint NAME_pkey; alter table T.NAME add primary key (b)",
        "drop trigger t on T.NAME; create trigger t after insert or update or delete on T.NAME \
         for each row execute procedure FUNC('SIDE_NAME', 'ignore=d')",
    ];
    for kind in KINDS {
        let name = format!("ddl_{kind}");
        db.psql(&twin_tables(&name, COLUMNS, kind, "after"));
        let rows = |n: i32| {
            let m = n + 1;
            on_both(&format!(
                "insert into T.{name} (id, b, d) values ({n}, {n}, 1.5);\n\
                 update T.{name} set d = 2 where b = {n};\n\
                 insert into T.{name} (id, b, d) values ({m}, {m}, null);\n\
                 delete from T.{name} where b = {m};"
            ))
        };
        cached.batch_execute(&rows(1)).unwrap();
        for (i, statement) in ddl.iter().enumerate() {
            for (side, func) in [("c", format!("orig.{kind}")), ("p", format!("pgq.{kind}"))] {
                let sql = statement
                    .replace("T.", &format!("{side}."))
                    .replace("SIDE_NAME", &format!("{side}_{name}"))
                    .replace("NAME", &name)
                    .replace("FUNC", &func);
                other.batch_execute(&sql).unwrap();
            }
            cached.batch_execute(&rows(10 * (i as i32 + 1))).unwrap();
        }
        // four events a round but the last: an UPDATE of ignored columns only may write none
        let n = assert_same_events(&db, &name);
        assert!(n >= 4 * ddl.len() + 2, "{name}: only {n} events");
    }
}

/// Whether the trigger function of `kind` holds generated code for the relation `table`.
fn has_generated_code(db: &Db, kind: &str, table: &str) -> bool {
    db.psql(&format!(
        "select strpos(pg_get_functiondef('pgq.{kind}()'::regprocedure), 'TG_RELID = ' || '{table}'::regclass::oid) > 0"
    )) == "t"
}

/// The code generated per table (pgq._trg_gen) follows the triggers: made for plain triggers
/// when they are created, not for triggers with options, one branch per trigger when a table
/// has two, gone when the trigger or the table is dropped (a dropped table must not be held
/// back by it), and remade after ALTER TABLE, whose new column the next event carries.
#[test]
fn generated_code_follows_the_triggers_of_each_table() {
    let db = side_by_side_db();
    db.psql(
        "select pgq.create_queue('g1'); select pgq.create_queue('g2');
         create table public.g (id int primary key, t text, n numeric);
         create trigger l1 after insert or update or delete on public.g for each row execute procedure pgq.logutriga('g1');
         create trigger l2 before insert or update or delete on public.g for each row execute procedure pgq.logutriga('g2');
         create trigger s1 after insert or update or delete on public.g for each row execute procedure pgq.sqltriga('g1');
         create table public.gb (id int primary key, t text);
         create trigger b after insert or update on public.gb for each row execute procedure pgq.logutriga('g1', 'backup');",
    );
    assert!(has_generated_code(&db, "logutriga", "public.g"), "logutriga code for g");
    assert!(has_generated_code(&db, "sqltriga", "public.g"), "sqltriga code for g");
    assert!(!has_generated_code(&db, "logutriga", "public.gb"), "no code for a trigger with backup");
    let body = db.psql("select pg_get_functiondef('pgq.logutriga()'::regprocedure)");
    assert!(body.contains("TG_NAME = 'l1'") && body.contains("TG_NAME = 'l2'"), "a branch per trigger:\n{body}");

    db.psql(
        "insert into public.g values (1, 'one two', 1.50);
         update public.g set t = null where id = 1;
         insert into public.gb values (1, 'x'); update public.gb set t = 'y';
         alter table public.g add column e text;
         insert into public.g values (2, 'b', null, 'e&2');
         delete from public.g where id = 1;",
    );
    let events = db.psql(
        "select string_agg(format('%s %s %s %s', q.queue_name, e.ev_type, e.ev_data, coalesce(e.ev_extra2, '-')), E'\\n' order by q.queue_name, e.ev_id)
           from pgq.event_template e join pgq.queue q on e.ev_extra1 in ('public.g', 'public.gb')
                and e.tableoid::regclass::text like 'pgq.event\\_' || q.queue_id || '\\_%'",
    );
    let expected = [
        // queue g1 gets the events of l1 and s1 in the order they fired, g2 those of l2
        "g1 I:id id=1&t=one+two&n=1.50 -",
        "g1 I (id,t,n) values ('1','one two','1.50') -",
        "g1 U:id id=1&t&n=1.50 -",
        "g1 U t=NULL where id='1' -",
        "g1 I:id id=1&t=x -",
        "g1 U:id id=1&t=y id=1&t=x",
        "g1 I:id id=2&t=b&n&e=e%262 -",
        "g1 I (id,t,n,e) values ('2','b',null,'e&2') -",
        "g1 D:id id=1&t&n=1.50&e -",
        "g1 D id='1' -",
        "g2 I:id id=1&t=one+two&n=1.50 -",
        "g2 U:id id=1&t&n=1.50 -",
        "g2 I:id id=2&t=b&n&e=e%262 -",
        "g2 D:id id=1&t&n=1.50&e -",
    ];
    assert_eq!(events.lines().collect::<Vec<_>>(), expected);
    assert!(
        db.psql("select pg_get_functiondef('pgq.logutriga()'::regprocedure)").contains("NEW.e"),
        "remade after alter table"
    );

    db.psql("drop trigger l2 on public.g");
    assert!(!db.psql("select pg_get_functiondef('pgq.logutriga()'::regprocedure)").contains("TG_NAME = 'l2'"));
    let oid = db.psql("select 'public.g'::regclass::oid");
    db.psql("drop table public.g");
    for kind in ["logutriga", "sqltriga"] {
        let body = db.psql(&format!("select pg_get_functiondef('pgq.{kind}()'::regprocedure)"));
        assert!(!body.contains(&format!("TG_RELID = {oid}")), "{kind} keeps code for the dropped table");
    }
}

/// The generated code runs only in the database it was made for (after a restore elsewhere the
/// same OIDs name other tables) and not while session_replication_role is local.
#[test]
fn generated_code_is_off_in_another_database_and_when_local() {
    let db = side_by_side_db();
    assert_eq!(db.psql("select pgq._trg_gen_on(pgq._trg_gen_stamp())"), "t");
    assert_eq!(db.psql("select pgq._trg_gen_on('1:' || split_part(pgq._trg_gen_stamp(), ':', 2))"), "f");
    assert_eq!(db.psql("select pgq._trg_gen_on(split_part(pgq._trg_gen_stamp(), ':', 1) || ':1')"), "f");
    assert_eq!(db.psql("set session_replication_role = local; select pgq._trg_gen_on(pgq._trg_gen_stamp())"), "f");
}
