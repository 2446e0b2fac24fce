//! `help;` and `show help;`: the command summary.

use std::io::Write;

use anyhow::Result;

pub const HELP: &str = "\
Commands end with \";\" and may span lines. Names are lower-cased unless \"double-quoted\".

connect [DBNAME] [dbname=..] [host=..] [port=..] [user=..] [password=..];
                                  reconnect; keys not given are kept
connect queue=QUEUE;              set the default queue
connect node=NODE [queue=QUEUE];  connect to a cascade node's location
install pgq[, pgq_coop, pgq_ext]; install or upgrade SQL modules

create queue QUEUE;
drop queue QUEUE;
alter queue <QUEUE | *> set idle_period='..', max_count=N, max_lag='..', paused=true,
                            rotation_period='..', external_ticker=false;

register consumer CONSUMER [on QUEUE] [at TICK_ID | copy OTHER_CONSUMER];
unregister consumer <CONSUMER | *> [from QUEUE];
register subconsumer SUB for CONSUMER [on QUEUE];
unregister subconsumer <SUB | *> for CONSUMER [from QUEUE] [close [batch]];

show queue [QUEUE | *];
show consumer [CONSUMER | * [on QUEUE | *]];
show node [NODE | * [on QUEUE | *]];
show batch <BATCH_ID | CONSUMER> [on QUEUE];
show table TABLE;
show sequence SEQUENCE;
show version;
show help;

Any other SQL statement (select, insert, create table, ...) runs on the server as written.
quit; or exit; (or Ctrl-D) leaves.
";

pub fn print(out: &mut dyn Write) -> Result<()> {
    out.write_all(HELP.as_bytes())?;
    Ok(())
}
