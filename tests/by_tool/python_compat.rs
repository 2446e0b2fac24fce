//! Consumers written for the original Skytools keep working: the Debian `python3-pgq` library
//! (run with /usr/bin/python3) consumes from OUR pgq schema and receives every event intact,
//! including retried ones.

use std::process::Command;

use crate::support::{self, Db, TempDir};

/// A consumer in the original library's usual style: `process_event` per event, retrying
/// events of type `again` once. It writes what it saw as JSON lines; `loop_delay = 0` makes it
/// stop when no batch is ready.
const CONSUMER_PY: &str = r#"
import json, sys
import pgq

class Collect(pgq.Consumer):
    def process_event(self, db, ev):
        if ev.type == 'again' and not ev.retry:
            ev.tag_retry(0)
            return
        with open(self.cf.get('out_file'), 'a') as f:
            f.write(json.dumps([ev.id, ev.type, ev.data, ev.extra1, ev.extra2, ev.extra3, ev.extra4, ev.retry]) + '\n')
        ev.tag_done()

if __name__ == '__main__':
    Collect('py_consumer', 'db', sys.argv[1:]).start()
"#;

fn run_py(dir: &TempDir, args: &[&str]) -> String {
    let out = Command::new("/usr/bin/python3")
        .arg(dir.join("consumer.py"))
        .arg(dir.join("consumer.ini"))
        .args(args)
        .output()
        .unwrap();
    support::assert_ok(&out, "python consumer");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn original_python_consumer_receives_every_event_from_our_schema() {
    let db = Db::new();
    db.install(&["pgq"]);
    db.psql("select pgq.create_queue('q'); select pgq.set_queue_config('q', 'ticker_max_count', '1')");
    let dir = TempDir::new("pycompat");
    std::fs::write(dir.join("consumer.py"), CONSUMER_PY).unwrap();
    std::fs::write(
        dir.join("consumer.ini"),
        format!(
            "[py_consumer]\njob_name = py_consumer\ndb = {}\nqueue_name = q\nloop_delay = 0\n\
             logfile = {dir}/py.log\npidfile = {dir}/py.pid\nout_file = {dir}/events.jsonl\n\
             pgq_lazy_fetch = 7\n",
            db.connstr(),
            dir = dir.path.display()
        ),
    )
    .unwrap();
    run_py(&dir, &["--register"]);

    // 20 plain events in one transaction, 1 with all fields set, 1 to be retried, 30 by COPY.
    db.psql("select pgq.insert_event('q', 'plain', 'n=' || i) from generate_series(1, 20) i");
    db.psql("select pgq.insert_event('q', 'full', 'tab\there', 'e1', 'e2', 'e3', 'ünï')");
    db.psql("select pgq.insert_event('q', 'again', 'twice')");
    let mut c = db.client();
    let bulk: Vec<_> = (1..=30).map(|i| skytools::pgq::NewEvent::new("bulk", &format!("b={i}"))).collect();
    skytools::pgq::insert_events_bulk(&mut c, "q", &bulk).unwrap();
    db.psql("select pgq.ticker('q')");
    run_py(&dir, &[]);
    // Move the retried event back into the queue (pgqd's job) and tick.
    assert_eq!(db.psql("select pgq.maint_retry_events()"), "1");
    db.psql("select pgq.ticker('q')");
    run_py(&dir, &[]);

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let data: Vec<&str> = lines.iter().map(|l| l[2].as_str().unwrap()).collect();
    let mut expect: Vec<String> = (1..=20).map(|i| format!("n={i}")).collect();
    expect.push("tab\there".into());
    expect.extend((1..=30).map(|i| format!("b={i}")));
    expect.push("twice".into());
    assert_eq!(data, expect);
    let full = &lines[20];
    assert_eq!(full[1], "full");
    assert_eq!((&full[3], &full[4], &full[5], &full[6]), (&"e1".into(), &"e2".into(), &"e3".into(), &"ünï".into()));
    assert_eq!(lines[51][7], 1, "the retried event comes back with retry count 1");
    let ids: Vec<i64> = lines[..51].iter().map(|l| l[0].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Nothing pending for it any more.
    assert_eq!(db.psql("select current_batch is null from pgq.get_consumer_info('q', 'py_consumer')"), "t");
}
