//! PgQ's row triggers (sql/pgq/triggers): logutriga, sqltriga and jsontriga write byte for byte
//! the events the original C triggers write. Every expected string below was produced by the
//! original PgQ 3.5 C triggers running the same SQL.

use crate::support::{assert_ok, skytools, Cluster, Db};

fn pgq_db() -> Db {
    let db = Db::new();
    db.install(&["pgq"]);
    db
}

/// All events in all queues, in insertion order, as `type|data|extra1|extra2|extra3|extra4`.
fn events(db: &Db) -> Vec<String> {
    let out = db.psql(
        "select string_agg(concat_ws('|', ev_type, coalesce(ev_data, '<null>'), \
         coalesce(ev_extra1, '<null>'), coalesce(ev_extra2, '<null>'), \
         coalesce(ev_extra3, '<null>'), coalesce(ev_extra4, '<null>')), chr(30) order by ev_id) \
         from pgq.event_template",
    );
    out.split('\u{1e}').filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// Runs the script in one session, so the triggers' per-session cache is exercised across
/// statements (and across ALTER TABLE).
fn run(db: &Db, script: &str) {
    db.psql(script);
}

fn assert_events(db: &Db, expected: &[&str]) {
    let got = events(db);
    assert_eq!(got.len(), expected.len(), "events: {got:#?}");
    for (g, e) in got.iter().zip(expected) {
        assert_eq!(g, e);
    }
}
/// Types with quoting, escaping, unicode, NULLs, infinity, arrays, json, domains; typed
/// equality decides what sqltriga lists as changed (1.50 -> 1.500 and 1 day 02:03:04 -> 26:03:04 are
/// no change); backup puts the old row into ev_extra2.
#[test]
fn row_formats_match_the_original_for_many_types() {
    let db = pgq_db();
    run(
        &db,
        r#"
set timezone = 'UTC';
set datestyle = 'ISO, MDY';
create domain dint as int;
select pgq.create_queue('ql'), pgq.create_queue('qs'), pgq.create_queue('qj');
create table ty (id int8 primary key, i2 int2, t text, ch char(3), b bool, ts timestamp, tz timestamptz, d date, iv interval, n numeric, f8 float8, ba bytea, j json, ai int[], at text[], dm dint);
create trigger a after insert or update or delete on ty for each row execute procedure pgq.logutriga('ql', 'backup');
create trigger b after insert or update or delete on ty for each row execute procedure pgq.sqltriga('qs');
create trigger c after insert or update or delete on ty for each row execute procedure pgq.jsontriga('qj', 'backup');
insert into ty values (1, -32768, E'it''s "q" \\ x\tñ€ %+&=:,()', 'ab', true, '2009-09-19 11:59:48.599', '2009-09-19 11:59:48.599+03', '2009-09-19', '1 day 02:03:04', 1.50, 1e300, E'\\x00ff5c', '{"a": [1, null]}', '{1,NULL}', '{"a b","c\"d",NULL,""}', 7);
insert into ty (id, t, ts) values (2, '', 'infinity');
update ty set n = 1.500, iv = '26:03:04' where id = 1;
update ty set t = null, n = 2 where id = 1;
delete from ty where id = 2;
"#,
    );
    assert_events(
        &db,
        &[
            "I:id|id=1&i2=-32768&t=it%27s+%22q%22+%5c+x%09%c3%b1%e2%82%ac+%25%2b%26%3d%3a%2c%28%29&ch=ab+&b=t&ts=2009-09-19+11%3a59%3a48.599&tz=2009-09-19+08%3a59%3a48.599%2b00&d=2009-09-19&iv=1+day+02%3a03%3a04&n=1.50&f8=1e%2b300&ba=%5cx00ff5c&j=%7b%22a%22%3a+%5b1%2c+null%5d%7d&ai=%7b1%2cNULL%7d&at=%7b%22a+b%22%2c%22c%5c%22d%22%2cNULL%2c%22%22%7d&dm=7|public.ty|<null>|<null>|<null>",
            "{\"op\":\"INSERT\",\"table\":[\"public\",\"ty\"],\"pkey\":[\"id\"]}|{\"id\":1,\"i2\":-32768,\"t\":\"it's \\\"q\\\" \\\\ x\\tñ€ %+&=:,()\",\"ch\":\"ab \",\"b\":true,\"ts\":\"2009-09-19T11:59:48.599\",\"tz\":\"2009-09-19T08:59:48.599+00:00\",\"d\":\"2009-09-19\",\"iv\":\"1 day 02:03:04\",\"n\":\"1.50\",\"f8\":\"1e+300\",\"ba\":\"\\\\x00ff5c\",\"j\":\"{\\\"a\\\": [1, null]}\",\"ai\":\"{1,NULL}\",\"at\":\"{\\\"a b\\\",\\\"c\\\\\\\"d\\\",NULL,\\\"\\\"}\",\"dm\":\"7\"}|public.ty|<null>|<null>|<null>",
            "I|(id,i2,t,ch,b,ts,tz,d,iv,n,f8,ba,j,ai,at,dm) values ('1','-32768',E'it''s \"q\" \\\\ x\tñ€ %+&=:,()','ab ','t','2009-09-19 11:59:48.599','2009-09-19 08:59:48.599+00','2009-09-19','1 day 02:03:04','1.50','1e+300',E'\\\\x00ff5c','{\"a\": [1, null]}','{1,NULL}',E'{\"a b\",\"c\\\\\"d\",NULL,\"\"}','7')|public.ty|<null>|<null>|<null>",
            "I|(id,i2,t,ch,b,ts,tz,d,iv,n,f8,ba,j,ai,at,dm) values ('2',null,'',null,null,'infinity',null,null,null,null,null,null,null,null,null,null)|public.ty|<null>|<null>|<null>",
            "I:id|id=2&i2&t=&ch&b&ts=infinity&tz&d&iv&n&f8&ba&j&ai&at&dm|public.ty|<null>|<null>|<null>",
            "{\"op\":\"INSERT\",\"table\":[\"public\",\"ty\"],\"pkey\":[\"id\"]}|{\"id\":2,\"i2\":null,\"t\":\"\",\"ch\":null,\"b\":null,\"ts\":\"infinity\",\"tz\":null,\"d\":null,\"iv\":null,\"n\":null,\"f8\":null,\"ba\":null,\"j\":null,\"ai\":null,\"at\":null,\"dm\":null}|public.ty|<null>|<null>|<null>",
            "U|id='1' where id='1'|public.ty|<null>|<null>|<null>",
            "U:id|id=1&i2=-32768&t=it%27s+%22q%22+%5c+x%09%c3%b1%e2%82%ac+%25%2b%26%3d%3a%2c%28%29&ch=ab+&b=t&ts=2009-09-19+11%3a59%3a48.599&tz=2009-09-19+08%3a59%3a48.599%2b00&d=2009-09-19&iv=26%3a03%3a04&n=1.500&f8=1e%2b300&ba=%5cx00ff5c&j=%7b%22a%22%3a+%5b1%2c+null%5d%7d&ai=%7b1%2cNULL%7d&at=%7b%22a+b%22%2c%22c%5c%22d%22%2cNULL%2c%22%22%7d&dm=7|public.ty|id=1&i2=-32768&t=it%27s+%22q%22+%5c+x%09%c3%b1%e2%82%ac+%25%2b%26%3d%3a%2c%28%29&ch=ab+&b=t&ts=2009-09-19+11%3a59%3a48.599&tz=2009-09-19+08%3a59%3a48.599%2b00&d=2009-09-19&iv=1+day+02%3a03%3a04&n=1.50&f8=1e%2b300&ba=%5cx00ff5c&j=%7b%22a%22%3a+%5b1%2c+null%5d%7d&ai=%7b1%2cNULL%7d&at=%7b%22a+b%22%2c%22c%5c%22d%22%2cNULL%2c%22%22%7d&dm=7|<null>|<null>",
            "{\"op\":\"UPDATE\",\"table\":[\"public\",\"ty\"],\"pkey\":[\"id\"]}|{\"id\":1,\"i2\":-32768,\"t\":\"it's \\\"q\\\" \\\\ x\\tñ€ %+&=:,()\",\"ch\":\"ab \",\"b\":true,\"ts\":\"2009-09-19T11:59:48.599\",\"tz\":\"2009-09-19T08:59:48.599+00:00\",\"d\":\"2009-09-19\",\"iv\":\"26:03:04\",\"n\":\"1.500\",\"f8\":\"1e+300\",\"ba\":\"\\\\x00ff5c\",\"j\":\"{\\\"a\\\": [1, null]}\",\"ai\":\"{1,NULL}\",\"at\":\"{\\\"a b\\\",\\\"c\\\\\\\"d\\\",NULL,\\\"\\\"}\",\"dm\":\"7\"}|public.ty|{\"id\":1,\"i2\":-32768,\"t\":\"it's \\\"q\\\" \\\\ x\\tñ€ %+&=:,()\",\"ch\":\"ab \",\"b\":true,\"ts\":\"2009-09-19T11:59:48.599\",\"tz\":\"2009-09-19T08:59:48.599+00:00\",\"d\":\"2009-09-19\",\"iv\":\"1 day 02:03:04\",\"n\":\"1.50\",\"f8\":\"1e+300\",\"ba\":\"\\\\x00ff5c\",\"j\":\"{\\\"a\\\": [1, null]}\",\"ai\":\"{1,NULL}\",\"at\":\"{\\\"a b\\\",\\\"c\\\\\\\"d\\\",NULL,\\\"\\\"}\",\"dm\":\"7\"}|<null>|<null>",
            "U:id|id=1&i2=-32768&t&ch=ab+&b=t&ts=2009-09-19+11%3a59%3a48.599&tz=2009-09-19+08%3a59%3a48.599%2b00&d=2009-09-19&iv=26%3a03%3a04&n=2&f8=1e%2b300&ba=%5cx00ff5c&j=%7b%22a%22%3a+%5b1%2c+null%5d%7d&ai=%7b1%2cNULL%7d&at=%7b%22a+b%22%2c%22c%5c%22d%22%2cNULL%2c%22%22%7d&dm=7|public.ty|id=1&i2=-32768&t=it%27s+%22q%22+%5c+x%09%c3%b1%e2%82%ac+%25%2b%26%3d%3a%2c%28%29&ch=ab+&b=t&ts=2009-09-19+11%3a59%3a48.599&tz=2009-09-19+08%3a59%3a48.599%2b00&d=2009-09-19&iv=26%3a03%3a04&n=1.500&f8=1e%2b300&ba=%5cx00ff5c&j=%7b%22a%22%3a+%5b1%2c+null%5d%7d&ai=%7b1%2cNULL%7d&at=%7b%22a+b%22%2c%22c%5c%22d%22%2cNULL%2c%22%22%7d&dm=7|<null>|<null>",
            "{\"op\":\"UPDATE\",\"table\":[\"public\",\"ty\"],\"pkey\":[\"id\"]}|{\"id\":1,\"i2\":-32768,\"t\":null,\"ch\":\"ab \",\"b\":true,\"ts\":\"2009-09-19T11:59:48.599\",\"tz\":\"2009-09-19T08:59:48.599+00:00\",\"d\":\"2009-09-19\",\"iv\":\"26:03:04\",\"n\":\"2\",\"f8\":\"1e+300\",\"ba\":\"\\\\x00ff5c\",\"j\":\"{\\\"a\\\": [1, null]}\",\"ai\":\"{1,NULL}\",\"at\":\"{\\\"a b\\\",\\\"c\\\\\\\"d\\\",NULL,\\\"\\\"}\",\"dm\":\"7\"}|public.ty|{\"id\":1,\"i2\":-32768,\"t\":\"it's \\\"q\\\" \\\\ x\\tñ€ %+&=:,()\",\"ch\":\"ab \",\"b\":true,\"ts\":\"2009-09-19T11:59:48.599\",\"tz\":\"2009-09-19T08:59:48.599+00:00\",\"d\":\"2009-09-19\",\"iv\":\"26:03:04\",\"n\":\"1.500\",\"f8\":\"1e+300\",\"ba\":\"\\\\x00ff5c\",\"j\":\"{\\\"a\\\": [1, null]}\",\"ai\":\"{1,NULL}\",\"at\":\"{\\\"a b\\\",\\\"c\\\\\\\"d\\\",NULL,\\\"\\\"}\",\"dm\":\"7\"}|<null>|<null>",
            "U|t=NULL,n='2' where id='1'|public.ty|<null>|<null>|<null>",
            "D|id='2'|public.ty|<null>|<null>|<null>",
            "D:id|id=2&i2&t=&ch&b&ts=infinity&tz&d&iv&n&f8&ba&j&ai&at&dm|public.ty|<null>|<null>|<null>",
            "{\"op\":\"DELETE\",\"table\":[\"public\",\"ty\"],\"pkey\":[\"id\"]}|{\"id\":2,\"i2\":null,\"t\":\"\",\"ch\":null,\"b\":null,\"ts\":\"infinity\",\"tz\":null,\"d\":null,\"iv\":null,\"n\":null,\"f8\":null,\"ba\":null,\"j\":null,\"ai\":null,\"at\":null,\"dm\":null}|public.ty|<null>|<null>|<null>",
        ],
    );
}

/// ignore=, pkey=, when=, ev_*= expressions, SKIP, TRUNCATE, magic columns and
/// session_replication_role = local.
#[test]
fn arguments_behave_like_the_original() {
    let db = pgq_db();
    run(
        &db,
        r#"
select pgq.create_queue('q');
create table o (id int, name text, val numeric, note text, primary key (id));
create trigger a after insert or update or delete on o for each row execute procedure pgq.logutriga('q', 'ignore=note', 'pkey=name,id');
create trigger b after insert or update or delete on o for each row execute procedure pgq.sqltriga('q', 'ignore=note', 'when=val > 5', 'ev_extra3=''x'' || id', 'ev_type=upper(name)');
create trigger c after insert or update or delete on o for each row execute procedure pgq.jsontriga('q', 'ev_extra1=name', 'ev_data=val * 2');
insert into o values (1, 'one', 10, 'n1'), (2, 'two', 3, 'n2');
update o set note = 'changed' where id = 1;
update o set val = 11, note = 'both' where id = 1;
update o set val = val where id = 2;
delete from o where id = 1;
create table s (id int primary key, v text);
create trigger a before insert or update or delete on s for each row execute procedure pgq.logutriga('q', 'SKIP');
insert into s values (5, 'skipped');
create table tr (id int primary key);
create trigger a after truncate on tr for each statement execute procedure pgq.logutriga('q');
create trigger b after truncate on tr for each statement execute procedure pgq.jsontriga('q');
truncate tr;
create table m (id int primary key, v text, _pgq_ev_type text, _pgq_ev_extra4 text);
create trigger a after insert on m for each row execute procedure pgq.logutriga('q');
insert into m values (1, 'a', 'magic', 'x4');
set session_replication_role = local;
insert into o values (9, 'local', 1, null);
"#,
    );
    assert_eq!(db.psql("select count(*) from s"), "0", "SKIP suppresses the row");
    assert_events(
        &db,
        &[
            "I:name,id|id=1&name=one&val=10|public.o|<null>|<null>|<null>",
            "ONE|(id,name,val) values ('1','one','10')|public.o|<null>|x1|<null>",
            "{\"op\":\"INSERT\",\"table\":[\"public\",\"o\"],\"pkey\":[\"id\"]}|20|one|<null>|<null>|<null>",
            "I:name,id|id=2&name=two&val=3|public.o|<null>|<null>|<null>",
            "{\"op\":\"INSERT\",\"table\":[\"public\",\"o\"],\"pkey\":[\"id\"]}|6|two|<null>|<null>|<null>",
            "{\"op\":\"UPDATE\",\"table\":[\"public\",\"o\"],\"pkey\":[\"id\"]}|20|one|<null>|<null>|<null>",
            "U:name,id|id=1&name=one&val=11|public.o|<null>|<null>|<null>",
            "ONE|val='11' where id='1'|public.o|<null>|x1|<null>",
            "{\"op\":\"UPDATE\",\"table\":[\"public\",\"o\"],\"pkey\":[\"id\"]}|22|one|<null>|<null>|<null>",
            "U:name,id|id=2&name=two&val=3|public.o|<null>|<null>|<null>",
            "{\"op\":\"UPDATE\",\"table\":[\"public\",\"o\"],\"pkey\":[\"id\"]}|6|two|<null>|<null>|<null>",
            "D:name,id|id=1&name=one&val=11|public.o|<null>|<null>|<null>",
            "ONE|id='1'|public.o|<null>|x1|<null>",
            "{\"op\":\"DELETE\",\"table\":[\"public\",\"o\"],\"pkey\":[\"id\"]}|22|one|<null>|<null>|<null>",
            "I:id|id=5&v=skipped|public.s|<null>|<null>|<null>",
            "R||public.tr|<null>|<null>|<null>",
            "{\"op\":\"TRUNCATE\",\"table\":[\"public\",\"tr\"],\"pkey\":[\"id\"]}|{}|public.tr|<null>|<null>|<null>",
            "magic|id=1&v=a|public.m|<null>|<null>|x4",
        ],
    );
}

/// ALTER TABLE between rows of one session: added, renamed and dropped columns, a new primary
/// key and a renamed table, which the per-session cache must notice.
pub(crate) const ALTER_SCRIPT: &str = r#"
select pgq.create_queue('q');
create table nul (id int primary key, v text);
create trigger a after insert or update or delete on nul for each row execute procedure pgq.logutriga('q');
insert into nul values (1, null);
alter table nul add column w text;
insert into nul values (2, null, 'w2');
alter table nul rename column v to vv;
insert into nul values (3, null, 'w3');
alter table nul drop column vv;
insert into nul values (4, 'w4');
update nul set w = 'w1' where id = 1;
alter table nul drop constraint nul_pkey;
alter table nul add primary key (w);
insert into nul values (5, 'w5');
alter table nul rename to nul2;
insert into nul2 values (6, 'w6');
"#;

/// The events of ALTER_SCRIPT.
pub(crate) const ALTER_EVENTS: &[&str] = &[
    "I:id|id=1&v|public.nul|<null>|<null>|<null>",
    "I:id|id=2&v&w=w2|public.nul|<null>|<null>|<null>",
    "I:id|id=3&vv&w=w3|public.nul|<null>|<null>|<null>",
    "I:id|id=4&w=w4|public.nul|<null>|<null>|<null>",
    "U:id|id=1&w=w1|public.nul|<null>|<null>|<null>",
    "I:w|id=5&w=w5|public.nul|<null>|<null>|<null>",
    "I:w|id=6&w=w6|public.nul2|<null>|<null>|<null>",
];

/// Events as `events` lists them, read through any client.
pub(crate) fn events_of(client: &mut postgres::Client) -> Vec<String> {
    client
        .query(
            "select concat_ws('|', ev_type, coalesce(ev_data, '<null>'), coalesce(ev_extra1, '<null>'), \
             coalesce(ev_extra2, '<null>'), coalesce(ev_extra3, '<null>'), coalesce(ev_extra4, '<null>')) \
             from pgq.event_template order by ev_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[test]
fn cached_table_facts_follow_alter_table() {
    let db = pgq_db();
    run(&db, ALTER_SCRIPT);
    assert_events(&db, ALTER_EVENTS);
}

/// A role that owns its database but is no superuser installs pgq with `skytools install` (as on
/// managed servers): there is then no event trigger to reset the trigger cache, and the triggers
/// still follow ALTER TABLE and a trigger re-created with other arguments in a session that
/// cached the table.
#[test]
fn installed_without_superuser_triggers_follow_alter_table() {
    let cluster = Cluster::start();
    let mut su = cluster.client("postgres");
    su.batch_execute(
        "create role pgq_reader; create role pgq_writer; create role pgq_admin in role pgq_reader, pgq_writer;
         create role dbowner login",
    )
    .unwrap();
    su.batch_execute("create database owned owner dbowner").unwrap();
    let connstr = cluster.connstr("owned").replace("user=postgres", "user=dbowner");
    let out = skytools("skytools").args(["install", "pgq", "--db", &connstr]).output().unwrap();
    assert_ok(&out, "skytools install pgq as the database owner");
    let mut client = postgres::Client::connect(&connstr, postgres::NoTls).unwrap();
    assert_eq!(
        client.query_one("select count(*) from pg_event_trigger", &[]).unwrap().get::<_, i64>(0),
        0,
        "no superuser, no event trigger"
    );
    let body: String =
        client.query_one("select pg_get_functiondef('pgq.logutriga()'::regprocedure)", &[]).unwrap().get(0);
    assert!(!body.contains("if TG_RELID"), "no generated code without the event trigger:\n{body}");
    client.batch_execute(ALTER_SCRIPT).unwrap();
    client
        .batch_execute(
            "alter table nul2 alter column w type varchar(10);
             drop trigger a on nul2;
             create trigger a after insert or update or delete on nul2 for each row execute procedure pgq.jsontriga('q', 'ignore=id');
             insert into nul2 values (7, 'w7');",
        )
        .unwrap();
    let mut expected: Vec<String> = ALTER_EVENTS.iter().map(|s| s.to_string()).collect();
    expected.push(
        "{\"op\":\"INSERT\",\"table\":[\"public\",\"nul2\"],\"pkey\":[\"w\"]}|{\"w\":\"w7\"}|public.nul2|<null>|<null>|<null>"
            .to_string(),
    );
    assert_eq!(events_of(&mut client), expected);
}

/// Two triggers of one kind on a table keep their own arguments, and re-creating a trigger under
/// the same name with other arguments takes effect in a session that used the old one.
#[test]
fn recreated_trigger_uses_its_new_arguments() {
    let db = pgq_db();
    run(
        &db,
        r#"
select pgq.create_queue('q');
select pgq.create_queue('q2');
create table rt (id int primary key, a text, b text);
create trigger t1 after insert or update or delete on rt for each row execute procedure pgq.logutriga('q');
create trigger t2 after insert or update or delete on rt for each row execute procedure pgq.logutriga('q2', 'ignore=b');
insert into rt values (1, 'a1', 'b1');
drop trigger t1 on rt;
create trigger t1 after insert or update or delete on rt for each row execute procedure pgq.logutriga('q', 'ignore=a');
insert into rt values (2, 'a2', 'b2');
update rt set b = 'x' where id = 2;
"#,
    );
    assert_events(
        &db,
        &[
            "I:id|id=1&a=a1&b=b1|public.rt|<null>|<null>|<null>",
            "I:id|id=1&a=a1|public.rt|<null>|<null>|<null>",
            "I:id|id=2&b=b2|public.rt|<null>|<null>|<null>",
            "I:id|id=2&a=a2|public.rt|<null>|<null>|<null>",
            "U:id|id=2&b=x|public.rt|<null>|<null>|<null>",
        ],
    );
}

/// Options on the other two triggers and rows that leave the plain path: pkey= on a table
/// without primary key, values with commas, quotes, empty strings and control characters,
/// backup in sqltriga (urlencoded) and jsontriga (JSON), TRUNCATE in sqltriga, magic columns
/// with jsontriga and sqltriga, SKIP in sqltriga.
#[test]
fn other_triggers_and_unusual_rows_match_the_original() {
    let db = pgq_db();
    run(
        &db,
        r#"
select pgq.create_queue('q');
create table np (id int, txt text, val numeric);
create trigger a after insert or update or delete on np for each row execute procedure pgq.logutriga('q', 'pkey=txt,id');
create trigger b after insert or update or delete on np for each row execute procedure pgq.sqltriga('q', 'pkey=txt,id', 'backup');
create trigger c after insert or update or delete on np for each row execute procedure pgq.jsontriga('q', 'pkey=txt,id', 'backup');
insert into np values (1, 'a,b "c"', 1.5), (2, '', null);
update np set val = 2.50 where id = 1;
update np set val = 1.5 where id = 1;
delete from np where id = 2;
create table tr (id int primary key);
create trigger a after truncate on tr for each statement execute procedure pgq.sqltriga('q');
truncate tr;
create table mj (id int primary key, v text, _pgq_ev_type text, _pgq_ev_extra2 text);
create trigger a after insert or delete on mj for each row execute procedure pgq.jsontriga('q');
create trigger b after insert or delete on mj for each row execute procedure pgq.sqltriga('q', 'ev_extra4=v || ''!''');
insert into mj values (1, 'x', 'mt', 'm2');
delete from mj;
create table bf (id int primary key, v text);
create trigger a before insert or update or delete on bf for each row execute procedure pgq.sqltriga('q', 'SKIP');
insert into bf values (1, 'skipped');
create table ctl (id int primary key, v text);
create trigger a after insert on ctl for each row execute procedure pgq.logutriga('q');
insert into ctl values (1, E'x\x01y'), (2, E'\x02'), (3, E'tab\there');
"#,
    );
    assert_eq!(db.psql("select count(*) from bf"), "0", "SKIP suppresses the row");
    assert_events(
        &db,
        &[
            "I:txt,id|id=1&txt=a%2cb+%22c%22&val=1.5|public.np|<null>|<null>|<null>",
            "I|(id,txt,val) values ('1','a,b \"c\"','1.5')|public.np|<null>|<null>|<null>",
            "{\"op\":\"INSERT\",\"table\":[\"public\",\"np\"],\"pkey\":[\"txt\",\"id\"]}|{\"id\":1,\"txt\":\"a,b \\\"c\\\"\",\"val\":\"1.5\"}|public.np|<null>|<null>|<null>",
            "I:txt,id|id=2&txt=&val|public.np|<null>|<null>|<null>",
            "I|(id,txt,val) values ('2','',null)|public.np|<null>|<null>|<null>",
            "{\"op\":\"INSERT\",\"table\":[\"public\",\"np\"],\"pkey\":[\"txt\",\"id\"]}|{\"id\":2,\"txt\":\"\",\"val\":null}|public.np|<null>|<null>|<null>",
            "U:txt,id|id=1&txt=a%2cb+%22c%22&val=2.50|public.np|<null>|<null>|<null>",
            "U|val='2.50' where id='1' and txt='a,b \"c\"'|public.np|id=1&txt=a%2cb+%22c%22&val=1.5|<null>|<null>",
            "{\"op\":\"UPDATE\",\"table\":[\"public\",\"np\"],\"pkey\":[\"txt\",\"id\"]}|{\"id\":1,\"txt\":\"a,b \\\"c\\\"\",\"val\":\"2.50\"}|public.np|{\"id\":1,\"txt\":\"a,b \\\"c\\\"\",\"val\":\"1.5\"}|<null>|<null>",
            "U:txt,id|id=1&txt=a%2cb+%22c%22&val=1.5|public.np|<null>|<null>|<null>",
            "U|val='1.5' where id='1' and txt='a,b \"c\"'|public.np|id=1&txt=a%2cb+%22c%22&val=2.50|<null>|<null>",
            "{\"op\":\"UPDATE\",\"table\":[\"public\",\"np\"],\"pkey\":[\"txt\",\"id\"]}|{\"id\":1,\"txt\":\"a,b \\\"c\\\"\",\"val\":\"1.5\"}|public.np|{\"id\":1,\"txt\":\"a,b \\\"c\\\"\",\"val\":\"2.50\"}|<null>|<null>",
            "D:txt,id|id=2&txt=&val|public.np|<null>|<null>|<null>",
            "D|id='2' and txt=''|public.np|<null>|<null>|<null>",
            "{\"op\":\"DELETE\",\"table\":[\"public\",\"np\"],\"pkey\":[\"txt\",\"id\"]}|{\"id\":2,\"txt\":\"\",\"val\":null}|public.np|<null>|<null>|<null>",
            "R||public.tr|<null>|<null>|<null>",
            "mt|{\"id\":1,\"v\":\"x\"}|public.mj|m2|<null>|<null>",
            "mt|(id,v) values ('1','x')|public.mj|m2|<null>|x!",
            "mt|{\"id\":1,\"v\":\"x\"}|public.mj|m2|<null>|<null>",
            "mt|id='1'|public.mj|m2|<null>|x!",
            "I|(id,v) values ('1','skipped')|public.bf|<null>|<null>|<null>",
            "I:id|id=1&v=x%01y|public.ctl|<null>|<null>|<null>",
            "I:id|id=2&v=%02|public.ctl|<null>|<null>|<null>",
            "I:id|id=3&v=tab%09here|public.ctl|<null>|<null>|<null>",
        ],
    );
}

fn error_of(db: &Db, sql: &str) -> String {
    let out = db.psql_raw(sql);
    assert!(!out.status.success(), "expected failure: {sql}");
    String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("").to_string()
}

/// Refusals carry the original texts.
#[test]
fn errors_match_the_original() {
    let db = pgq_db();
    run(
        &db,
        r#"
select pgq.create_queue('q');
create table k (id int primary key, v text);
create trigger a after insert or update or delete on k for each row execute procedure pgq.logutriga('q');
create table nk (id int, v text);
create trigger a after insert or update or delete on nk for each row execute procedure pgq.jsontriga('q');
create table d (id int primary key);
create trigger a after insert or update or delete on d for each row execute procedure pgq.sqltriga('q', 'deny');
create table sa (id int primary key);
create trigger a after insert on sa for each row execute procedure pgq.logutriga('q', 'SKIP');
create table bp (id int primary key);
create trigger a after insert on bp for each row execute procedure pgq.logutriga('q', 'skip');
create table nq (id int primary key);
create trigger a after insert on nq for each row execute procedure pgq.logutriga();
create table st (id int primary key);
create trigger a after insert on st for each statement execute procedure pgq.logutriga('q');
create table tri (id int primary key);
create trigger a after truncate on tri for each statement execute procedure pgq.logutriga('q', 'ignore=id');
create table w (id int primary key, v numeric);
create trigger a after insert on w for each row execute procedure pgq.logutriga('q', 'when=v');
create table mc (id int primary key, _pgq_ev_foo text);
create trigger a after insert on mc for each row execute procedure pgq.logutriga('q');
create table nn (id int, v text);
create trigger a after insert or update on nn for each row execute procedure pgq.sqltriga('q', 'pkey=v');
insert into k values (1, 'a');
insert into nk values (1, 'a');
insert into nn values (1, null);
"#,
    );
    let cases = [
        ("update k set id = 2", "primary key update not allowed"),
        ("update nk set v = 'b'", "Update/Delete on table without pkey"),
        ("insert into d values (1)", "Table 'public.d' to queue 'q': change not allowed (INSERT)"),
        ("insert into sa values (1)", "SKIP does not work in AFTER trigger."),
        ("insert into bp values (1)", "bad param to pgq trigger"),
        ("insert into nq values (1)", "pgq trigger must have destination queue as argument"),
        ("insert into st values (1)", "pgq Ins/Upd/Del trigger must be fired FOR EACH ROW"),
        ("truncate tri", "Column ignore does not make sense for truncate trigger"),
        ("insert into w values (1, 2)", "when= query result must be boolean, got=1700"),
        ("insert into mc values (1, 'x')", "Unknown magic column: _pgq_ev_foo"),
        ("update nn set id = 2", "logtriga: Unexpected NULL key value"),
    ];
    for (sql, msg) in cases {
        assert_eq!(error_of(&db, sql), format!("ERROR:  {msg}"), "{sql}");
    }
}

/// sqltriga UPDATE of rows whose column texts tell what changed (built inline by the trigger):
/// quotes, backslashes, tabs, parentheses, NULLs, no change at all, a two-column pkey=.
#[test]
fn sqltriga_updates_of_plain_rows_match_the_original() {
    let db = pgq_db();
    run(
        &db,
        r#"
set timezone = 'UTC';
select pgq.create_queue('qs');
create table up (id int primary key, a text, b bool, c timestamptz, d int);
create trigger s after update on up for each row execute procedure pgq.sqltriga('qs');
create table up2 (k1 int, k2 text, v text);
create trigger s after update on up2 for each row execute procedure pgq.sqltriga('qs', 'pkey=k1,k2');
insert into up values (1, 'x', true, '2020-01-02 03:04:05+00', 5), (2, null, null, null, null);
update up set a = 'it''s a b\c', d = d + 1 where id = 1;
update up set a = null, b = false where id = 1;
update up set id = id where id = 1;
update up set a = E'tab\tx', c = 'infinity' where id = 2;
update up set d = 7, a = 'x(y)' where id = 2;
insert into up2 values (1, 'k', 'v'), (2, 'k k', null);
update up2 set v = 'w' where k1 = 1;
update up2 set v = 'z' where k1 = 2;
update up2 set v = v where k1 = 1;
"#,
    );
    assert_events(
        &db,
        &[
            "U|a=E'it''s a b\\\\c',d='6' where id='1'|public.up|<null>|<null>|<null>",
            "U|a=NULL,b='f' where id='1'|public.up|<null>|<null>|<null>",
            "U|id='1' where id='1'|public.up|<null>|<null>|<null>",
            "U|a='tab\tx',c='infinity' where id='2'|public.up|<null>|<null>|<null>",
            "U|a='x(y)',d='7' where id='2'|public.up|<null>|<null>|<null>",
            "U|v='w' where k1='1' and k2='k'|public.up2|<null>|<null>|<null>",
            "U|v='z' where k1='2' and k2='k k'|public.up2|<null>|<null>|<null>",
            "U|k1='1' where k1='1' and k2='k'|public.up2|<null>|<null>|<null>",
        ],
    );
}
