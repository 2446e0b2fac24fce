//! qadmin through the real binary: every command against a real database with `-c` and `-f`,
//! the error handling of scripts, and an interactive session on a pseudo-terminal (completion,
//! multi-line statements, errors that do not end it, history across sessions).

mod pty;

use std::process::Output;

use crate::support::{self, text, Db, TempDir};

/// A fresh database with our pgq installed.
fn pgq_db() -> Db {
    let db = Db::new();
    db.install(&["pgq"]);
    db
}

/// Runs `qadmin CONNSTR -c COMMANDS` (plus `extra` switches).
fn qadmin(db: &Db, commands: &str, extra: &[&str]) -> Output {
    support::skytools("qadmin").arg(db.connstr()).args(extra).arg("-c").arg(commands).output().unwrap()
}

/// stdout of a run that must succeed.
fn ok(db: &Db, commands: &str) -> String {
    let out = qadmin(db, commands, &[]);
    support::assert_ok(&out, commands);
    text(&out).0
}

/// (stdout, stderr) of a run that must fail with status 1.
fn fails(db: &Db, commands: &str) -> (String, String) {
    let out = qadmin(db, commands, &[]);
    assert_eq!(out.status.code(), Some(1), "{commands} should fail: {:?}", text(&out));
    text(&out)
}

#[test]
fn queue_commands_create_alter_show_and_drop() {
    let db = pgq_db();
    let out = ok(&db, "create queue orders; create queue other; show queue orders");
    assert!(out.starts_with("CREATE\nCREATE\n"), "{out}");
    assert!(out.contains(" queue_name | tables | max_count | max_lag"), "{out}");
    assert!(out.contains("\n orders     | 0/3    |       500 | 00:00:03"), "{out}");
    assert!(out.contains("(1 row)"), "{out}");
    assert!(!out.contains("other"), "{out}");

    let out = ok(&db, "alter queue orders set max_count=7, idle_period='10s', max_lag='2s', paused=true");
    assert_eq!(out, "ALTER\n");
    assert_eq!(
        db.psql(
            "select queue_ticker_max_count, queue_ticker_idle_period, queue_ticker_max_lag, queue_ticker_paused \
             from pgq.queue where queue_name = 'orders'"
        ),
        "7|00:00:10|00:00:02|t"
    );
    assert_eq!(db.psql("select queue_ticker_max_count from pgq.queue where queue_name = 'other'"), "500");
    ok(&db, "alter queue * set max_count = 9");
    assert_eq!(db.psql("select string_agg(queue_ticker_max_count::text, ',') from pgq.queue"), "9,9");

    let out = ok(&db, "show queue *");
    assert!(out.contains(" orders ") && out.contains(" other ") && out.contains("(2 rows)"), "{out}");
    assert_eq!(ok(&db, "drop queue other"), "DROP\n");
    assert_eq!(db.psql("select string_agg(queue_name, ',') from pgq.queue"), "orders");

    let (_, err) = fails(&db, "create queue orders");
    assert_eq!(err, "ERROR: queue already exists: orders\n");
    let (_, err) = fails(&db, "drop queue nosuch");
    assert_eq!(err, "ERROR: queue not found: nosuch\n");
    let (_, err) = fails(&db, "alter queue orders set max_count='many'");
    assert!(err.starts_with("ERROR: invalid input syntax for type integer"), "{err}");
}

#[test]
fn consumers_register_at_a_tick_copy_a_position_and_unregister() {
    let db = pgq_db();
    ok(&db, "create queue q");
    db.psql("select pgq.force_tick('q'); select pgq.ticker('q')");
    db.psql("select pgq.force_tick('q'); select pgq.ticker('q')");
    let out = ok(&db, "register consumer first on q at 1; register consumer second on q; connect queue=q; register consumer third copy first");
    assert_eq!(out, "REGISTER\nREGISTER\nCONNECT\nREGISTER\n");
    let ticks = db.psql(
        "select string_agg(co_name || '=' || sub_last_tick, ',' order by co_name) from pgq.subscription \
         join pgq.consumer on co_id = sub_consumer",
    );
    assert_eq!(ticks, "first=1,second=3,third=1");

    let (_, err) = fails(&db, "register consumer second on q");
    assert_eq!(err, "ERROR: consumer already registered on queue q: second\n");
    let (_, err) = fails(&db, "register consumer x on q copy nobody");
    assert_eq!(err, "ERROR: consumer not found on queue q: nobody\n");
    let (_, err) = fails(&db, "register consumer x");
    assert!(err.starts_with("ERROR: no queue given"), "{err}");

    let out = ok(&db, "show consumer * on q");
    assert!(out.contains(" queue_name | consumer_name |"), "{out}");
    assert!(out.contains(" q          | first         |") && out.contains("(3 rows)"), "{out}");
    let out = ok(&db, "show consumer second on q");
    assert!(out.contains("second") && !out.contains("first") && out.contains("(1 row)"), "{out}");

    assert_eq!(ok(&db, "unregister consumer first from q"), "UNREGISTER\n");
    let (_, err) = fails(&db, "unregister consumer first from q");
    assert_eq!(err, "ERROR: consumer not found on queue q: first\n");
    ok(&db, "unregister consumer * from q");
    assert_eq!(db.psql("select count(*) from pgq.subscription"), "0");
}

#[test]
fn show_batch_lists_the_events_of_an_open_batch() {
    let db = pgq_db();
    ok(&db, "create queue q; register consumer c on q");
    db.psql("select pgq.insert_event('q', 'greeting', 'hello'); select pgq.insert_event('q', 'greeting', 'world')");
    db.psql("select pgq.force_tick('q'); select pgq.ticker('q')");
    let batch = db.psql("select pgq.next_batch('q', 'c')");
    let out = support::skytools("qadmin").arg(db.connstr()).args(["-Q", "q", "-c", "show batch c"]).output().unwrap();
    support::assert_ok(&out, "show batch c");
    let out = text(&out).0;
    assert!(out.contains(&format!("Batch {batch} (queue q, consumer c, ticks 1..2)")), "{out}");
    assert!(out.contains(" ev_id |") && out.contains("| greeting | hello") && out.contains("(2 rows)"), "{out}");
    let by_id = ok(&db, &format!("show batch {batch}"));
    assert_eq!(by_id, out);

    db.psql(&format!("select pgq.finish_batch({batch})"));
    let (_, err) = fails(&db, "show batch c on q");
    assert_eq!(err, "ERROR: consumer c has no open batch on queue q\n");
    let (_, err) = fails(&db, &format!("show batch {batch}"));
    assert!(err.starts_with(&format!("ERROR: batch not found: {batch}")), "{err}");
}

#[test]
fn connect_switches_database_and_default_queue() {
    let db = pgq_db();
    let other = pgq_db();
    ok(&db, "create queue here");
    ok(&other, "create queue there; register consumer c on there");
    let out = ok(&db, &format!("connect dbname={}; show consumer", other.name));
    assert!(out.starts_with("qadmin (") && out.contains(", pgq 3."), "{out}");
    assert!(out.contains("CONNECT\n") && out.contains(" there      | c "), "{out}");
    let out = ok(&db, "connect queue=here; show queue");
    assert!(out.contains(" here ") && out.contains("(1 row)"), "{out}");
    let (out, err) = fails(&db, "connect queue=missing; show queue");
    assert_eq!((out.as_str(), err.as_str()), ("", "ERROR: queue not found: missing\n"));
    let (_, err) = fails(&db, "connect dbname=no_such_database_here");
    assert!(err.contains("no_such_database_here") && err.contains("does not exist"), "{err}");
}

#[test]
fn scripts_stop_at_the_first_error_with_its_message_and_position() {
    let db = pgq_db();
    let (out, err) = fails(&db, "create queue a; bogus thing; create queue b");
    assert_eq!(out, "CREATE\n");
    assert_eq!(
        err,
        "ERROR: syntax error at line 1, column 17: unknown command \"bogus\" (\"help;\" lists the commands)\n\
         LINE 1: create queue a; bogus thing; create queue b\n\
         \x20                       ^\n"
    );
    assert_eq!(db.psql("select string_agg(queue_name, ',') from pgq.queue"), "a");

    let (_, err) = fails(&db, "create queue");
    assert!(
        err.starts_with("ERROR: syntax error at line 1, column 13: expected a queue name at end of statement"),
        "{err}"
    );
    let (_, err) = fails(&db, "show queue a extra");
    assert!(err.starts_with("ERROR: syntax error at line 1, column 14: unexpected \"extra\""), "{err}");
    let (_, err) = fails(&db, "show queues");
    assert!(err.contains("expected \"batch\", \"consumer\""), "{err}");
    let (_, err) = fails(&db, "show queue nosuch");
    assert_eq!(err, "ERROR: queue not found: nosuch\n");
    let (_, err) = fails(&db, "select 1/0");
    assert_eq!(err, "ERROR: division by zero\n");
    let (_, err) = fails(&db, "select 'open");
    assert!(err.starts_with("ERROR: unterminated quoted string"), "{err}");
}

#[test]
fn file_statements_span_lines_and_keep_quotes_and_comments() {
    let db = pgq_db();
    let dir = TempDir::new("qadmin");
    let file = dir.join("script.qadmin");
    std::fs::write(
        &file,
        "-- set up; nothing here runs\ncreate queue\n  \"MixedCase\";\n/* a; b */ select 'x;y' as v,\n 2 as n;\nshow queue \"MixedCase\"",
    )
    .unwrap();
    let out = support::skytools("qadmin").arg(db.connstr()).arg("-f").arg(&file).output().unwrap();
    support::assert_ok(&out, "qadmin -f");
    let out = text(&out).0;
    assert!(out.starts_with("CREATE\n  v  | n\n-----+---\n x;y | 2\n(1 row)\n\n"), "{out}");
    assert!(out.contains(" MixedCase  |"), "{out}");
    assert_eq!(db.psql("select queue_name from pgq.queue"), "MixedCase");
}

#[test]
fn piped_statements_run_like_a_file_and_stop_at_the_first_error() {
    use std::io::Write;
    let db = pgq_db();
    for args in [vec![], vec!["-f", "-"]] {
        let mut child = support::skytools("qadmin")
            .arg(db.connstr())
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"show queue;\ndrop queue gone;\ncreate queue never;\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {:?}", text(&out));
        assert_eq!(text(&out).1, "ERROR: queue not found: gone\n");
        assert!(text(&out).0.contains("(0 rows)"), "{:?}", text(&out));
    }
    assert_eq!(db.psql("select count(*) from pgq.queue"), "0");
}

#[test]
fn sql_statements_run_on_the_server_with_psql_like_output() {
    let db = pgq_db();
    let out = ok(&db, "create table t (id int, name text); insert into t values (1, 'one'), (22, null); select * from t order by id; update t set name = 'x'");
    assert_eq!(out, "CREATE TABLE\nINSERT 0 2\n id | name\n----+------\n  1 | one\n 22 |\n(2 rows)\n\nUPDATE 2\n");
}

#[test]
fn install_installs_the_embedded_pgq() {
    let db = Db::new();
    let (_, err) = fails(&db, "show queue");
    assert!(err.contains("needs the pgq schema") && err.contains("\"install pgq;\""), "{err}");
    let out = ok(&db, "install pgq; show version");
    assert!(out.starts_with("pgq: installed 3.") && out.contains("INSTALL\n"), "{out}");
    assert!(out.contains("qadmin version ") && out.contains("pgq version 3."), "{out}");
    assert!(db.psql("select pgq.version()").starts_with('3'));
    let out = ok(&db, "install pgq");
    assert!(out.starts_with("pgq: upgraded 3."), "{out}");
    let (_, err) = fails(&db, "install nosuch");
    assert!(err.contains("unknown SQL module 'nosuch'"), "{err}");
}

#[test]
fn show_node_table_and_sequence_read_the_cascade_and_londiste_schemas() {
    let db = pgq_db();
    let (_, err) = fails(&db, "show node");
    assert!(err.contains("show node needs the pgq_node schema, which is not installed"), "{err}");
    db.psql("create table public.t (id serial primary key, v text not null default 'x'); create index t_v on t (v)");
    let out = ok(&db, "show table t");
    let rule = "-".repeat(64);
    assert!(out.starts_with(&format!("{rule}\nCREATE TABLE public.t (\n    id integer DEFAULT nextval(")), "{out}");
    assert!(out.contains("    v text DEFAULT 'x'::text NOT NULL\n);\n"), "{out}");
    assert!(out.contains("ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);"), "{out}");
    assert!(out.contains("CREATE INDEX t_v ON public.t USING btree (v);"), "{out}");
    assert!(
        out.ends_with(&format!("{rule}\nlondiste: not installed in this database, no replication state\n")),
        "{out}"
    );
    let out = ok(&db, "show sequence t_id_seq");
    assert!(out.contains("CREATE SEQUENCE public.t_id_seq AS integer INCREMENT BY 1 MINVALUE 1"), "{out}");
    let (_, err) = fails(&db, "show table nosuch");
    assert_eq!(err, "ERROR: table not found: nosuch\n");
}

/// The original cascade and londiste schemas (Debian's extensions) give nodes and table states.
#[test]
fn show_node_and_table_state_against_the_original_londiste_schemas() {
    let db = Db::new();
    db.psql("create extension pgq; create extension pgq_node; create extension londiste");
    db.psql(&format!(
        "select pgq_node.register_location('rq', 'n1', '{}', false); \
         select pgq_node.create_node('rq', 'root', 'n1', 'londiste_n1', null, null, null); \
         create table public.rt (id int primary key); create sequence public.rs; \
         select londiste.local_add_table('rq', 'public.rt'); select londiste.local_add_seq('rq', 'public.rs')",
        db.connstr()
    ));
    let out = ok(&db, "show node");
    assert!(out.contains(&format!(" rq         | n1        | {} | false", db.connstr())), "{out}");
    let (_, err) = fails(&db, "show node n2 on rq");
    assert_eq!(err, "ERROR: node not found: n2 (queue rq)\n");
    let out = ok(&db, "show table rt");
    assert!(out.contains("CREATE TRIGGER _londiste_rq AFTER INSERT OR DELETE OR UPDATE ON public.rt"), "{out}");
    assert!(out.ends_with("londiste: queue rq local=true merge_state=ok\n"), "{out}");
    let out = ok(&db, "show sequence rs");
    assert!(out.contains("londiste: queue rq local=true last_value="), "{out}");
    let out = ok(&db, "connect queue=rq; connect node=n1; show queue");
    assert!(out.contains("CONNECT\n") && out.contains(" rq ") && out.contains("(1 row)"), "{out}");
    let (_, err) = fails(&db, "connect queue=rq; connect node=nowhere");
    assert_eq!(err, "ERROR: node not found: nowhere (queue rq)\n");
}

#[test]
fn subconsumers_register_and_unregister_with_pgq_coop() {
    let db = pgq_db();
    ok(&db, "create queue q");
    let (_, err) = fails(&db, "register subconsumer s1 for c on q");
    assert!(
        err.contains("register subconsumer needs the pgq_coop schema") && err.contains("install pgq_coop;"),
        "{err}"
    );
    let out = ok(&db, "install pgq_coop");
    assert!(out.contains("pgq_coop: installed ") && out.ends_with("INSTALL\n"), "{out}");

    let out = ok(&db, "register subconsumer s1 for c on q; register subconsumer s2 for c on q; show consumer * on q");
    assert!(out.starts_with("REGISTER\nREGISTER\n"), "{out}");
    for name in [" c             |", " c.s1          |", " c.s2          |"] {
        assert!(out.contains(name), "{name} in {out}");
    }
    let (_, err) = fails(&db, "register subconsumer s1 for c on q");
    assert_eq!(err, "ERROR: subconsumer already registered on queue q: c.s1\n");
    assert_eq!(ok(&db, "unregister subconsumer s1 for c from q"), "UNREGISTER\n");
    let (_, err) = fails(&db, "unregister subconsumer s1 for c from q");
    assert_eq!(err, "ERROR: subconsumer not found on queue q: c.s1\n");

    // A subconsumer holding a batch is only dropped with `close batch`.
    db.psql("select pgq.insert_event('q', 't', 'd'); select pgq.force_tick('q'); select pgq.ticker('q')");
    assert!(!db.psql("select pgq_coop.next_batch('q', 'c', 's2')").is_empty());
    let (_, err) = fails(&db, "unregister subconsumer * for c from q");
    assert!(err.contains("subconsumer has active batch"), "{err}");
    assert_eq!(ok(&db, "unregister subconsumer * for c from q close batch"), "UNREGISTER\n");
    assert_eq!(db.psql("select string_agg(consumer_name, ',') from pgq.get_consumer_info('q')"), "c");
}

#[test]
fn command_line_switches() {
    let db = pgq_db();
    let qadmin = || support::skytools("qadmin");
    let out = qadmin().arg("--version").output().unwrap();
    assert_eq!(text(&out).0, format!("qadmin version {}\n", env!("CARGO_PKG_VERSION")));
    let out = qadmin().args(["-c", "show help", "-f", "x", &db.connstr()]).output().unwrap();
    assert_eq!((out.status.code(), text(&out).1), (Some(1), "ERROR: cannot handle -c and -f together\n".into()));
    let out = qadmin().args(["a", "b"]).output().unwrap();
    assert_eq!(text(&out).1, "ERROR: too many arguments, use --help to see syntax\n");
    // -h -p -U -d build the connection like psql's switches.
    let c = db.cluster();
    let out = qadmin()
        .args(["-h", &c.socket_dir().to_string_lossy(), "-p", &c.port().to_string(), "-U", "postgres"])
        .args(["-d", &db.name, "-c", "create queue viaswitches"])
        .output()
        .unwrap();
    support::assert_ok(&out, "qadmin -h -p -U -d");
    assert_eq!(db.psql("select queue_name from pgq.queue"), "viaswitches");
    let out = qadmin().arg(db.connstr()).args(["-Q", "nope", "-c", "show queue"]).output().unwrap();
    assert_eq!((out.status.code(), text(&out).1), (Some(1), "ERROR: queue not found: nope\n".into()));
    let out = qadmin().arg("host=/nonexistent port=1 dbname=x").args(["-c", "show queue"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).1.starts_with("ERROR: cannot connect to"), "{:?}", text(&out));
    let out = ok(&db, "help");
    assert!(out.contains("register consumer CONSUMER [on QUEUE]"), "{out}");
}

/// Starts an interactive qadmin on a pseudo-terminal with `home` as HOME.
fn interactive(connstr: &str, home: &TempDir) -> pty::Pty {
    let mut cmd = support::skytools("qadmin");
    cmd.arg(connstr).env("HOME", &home.path).env("TERM", "xterm");
    pty::Pty::spawn(cmd)
}

#[test]
fn interactive_session_completes_names_and_keeps_history() {
    let db = pgq_db();
    ok(&db, "create queue orders; create queue other_q; register consumer billing on orders");
    let home = TempDir::new("qadmin-home");
    let prompt = format!("(noqueue)@{}> ", db.name);

    let mut t = interactive(&db.connstr(), &home);
    t.expect("the PgQ interactive terminal.");
    t.expect(&prompt);
    // Commands, keywords and queue names complete from the grammar and the database.
    t.send("sh\t");
    t.expect("show ");
    t.send("qu\tor\t");
    t.expect("show queue orders ");
    t.send(";\r");
    t.expect(" orders     | 0/3 ");
    t.expect(&prompt);
    t.send("connect queue=orders;\r");
    t.expect("CONNECT");
    let prompt = format!("orders@{}> ", db.name);
    t.expect(&prompt);
    t.send("show consumer bi\t");
    t.expect("show consumer billing ");
    t.send(";\r");
    t.expect("| billing ");
    t.expect(&prompt);
    // A statement may span lines; errors are reported and the session goes on.
    t.send("create queue\r");
    t.expect(&format!("orders@{}-> ", db.name));
    t.send("fresh;\r");
    t.expect("CREATE");
    // Keys typed before the prompt would reach the terminal before it is in raw mode.
    t.expect(&prompt);
    t.send("bogus;\r");
    t.expect("ERROR: syntax error at line 1, column 1: unknown command \"bogus\"");
    t.expect(&prompt);
    t.send("show queue nosuch;\r");
    t.expect("ERROR: queue not found: nosuch");
    t.expect(&prompt);
    t.send("quit;\r");
    assert!(t.wait().success(), "{}", t.screen());
    assert_eq!(db.psql("select count(*) from pgq.queue where queue_name = 'fresh'"), "1");

    let history = std::fs::read_to_string(home.join(".qadmin_history")).unwrap();
    for line in ["show queue orders ;", "connect queue=orders;", "create queue", "fresh;", "bogus;", "quit;"] {
        assert!(history.lines().any(|l| l == line), "{line:?} missing from history:\n{history}");
    }

    // The next session recalls earlier lines with the Up arrow.
    let mut t = interactive(&db.connstr(), &home);
    t.expect(&format!("(noqueue)@{}> ", db.name));
    t.send("\x1b[A\x1b[A\x1b[A");
    t.expect("bogus;");
    t.send("\r");
    t.expect("unknown command \"bogus\"");
    t.expect(&format!("(noqueue)@{}> ", db.name));
    t.send("\x04");
    assert!(t.wait().success(), "{}", t.screen());
}

/// On a private cluster: the sleeping statement would hold back the shared cluster's xmin,
/// which other tests' rotations wait for.
#[test]
fn ctrl_c_cancels_a_running_statement_and_a_lost_connection_is_reopened() {
    let cluster = support::Cluster::start();
    let connstr = cluster.db("cancel");
    let home = TempDir::new("qadmin-home");
    let prompt = "(noqueue)@cancel> ";
    let mut t = interactive(&connstr, &home);
    t.expect(prompt);
    t.send("select pg_sleep(600);\r");
    let running = || {
        let sql = "select count(*) from pg_stat_activity where query like 'select pg_sleep(600)%'";
        cluster.client("postgres").query_one(sql, &[]).unwrap().get::<_, i64>(0) == 1
    };
    assert!(support::wait_for(30.0, running), "the statement never started:\n{}", t.screen());
    t.send("\x03");
    t.expect("ERROR: canceling statement due to user request");
    t.expect(prompt);
    // A lost connection is reported and reopened; the session goes on.
    t.send("select pg_terminate_backend(pg_backend_pid());\r");
    // The server's FATAL message may or may not be read before the socket closes.
    t.expect("ERROR: ");
    t.expect("The connection to the server was lost; reconnected.");
    t.expect(prompt);
    t.send("select 40 + 2 as answer;\r");
    t.expect("     42");
    t.expect(prompt);
    t.send("\\q\r");
    assert!(t.wait().success(), "{}", t.screen());
}
