//! The statement grammar's building blocks and the top-level dispatch to each command family's
//! own `parse`. While parsing, the parser notes what could have come next where the input ends:
//! the completer runs the same grammar over a half-typed line to learn what to offer.

use super::lexer::{Kind, Token};
use super::{connect, consumer, install, queue, show, sql};

/// A parsed statement.
#[derive(Debug, PartialEq)]
pub enum Stmt {
    Connect(connect::Connect),
    Queue(queue::QueueCmd),
    Consumer(consumer::ConsumerCmd),
    Show(show::Show),
    Install(install::Install),
    Help,
    Quit,
    /// Anything else that starts like SQL goes to the server as written.
    Sql(String),
}

/// The kinds of names the completer can offer from the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    Queue,
    Consumer,
    Node,
    Database,
    User,
    Port,
    /// An open batch's id.
    Batch,
    Table,
    Sequence,
    /// A name that does not exist yet (nothing to offer).
    New,
}

/// One thing that could come next at the end of the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    Keyword(&'static str),
    /// `key=` of connect.
    Key(&'static str),
    Name(NameKind),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Byte offset in the statement's source text.
    pub pos: usize,
    pub message: String,
}

pub type PResult<T> = Result<T, SyntaxError>;

/// Words that start a statement the server runs as it is.
const SQL_WORDS: &[&str] = &[
    "select",
    "insert",
    "update",
    "delete",
    "with",
    "values",
    "table",
    "begin",
    "commit",
    "rollback",
    "abort",
    "start",
    "end",
    "savepoint",
    "release",
    "set",
    "reset",
    "grant",
    "revoke",
    "truncate",
    "analyze",
    "vacuum",
    "explain",
    "listen",
    "unlisten",
    "notify",
    "do",
    "call",
    "comment",
    "lock",
    "declare",
    "fetch",
    "move",
    "close",
    "prepare",
    "execute",
    "deallocate",
    "discard",
    "refresh",
    "reindex",
    "cluster",
    "checkpoint",
    "security",
    "import",
    "copy",
    "create",
    "drop",
    "alter",
];

/// The commands offered on an empty line.
const COMMANDS: &[&str] =
    &["alter", "connect", "create", "drop", "exit", "help", "install", "quit", "register", "show", "unregister"];

pub struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    /// What could have come next where the input ended.
    pub expected: Vec<Expect>,
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str, toks: &'a [Token]) -> Parser<'a> {
        Parser { src, toks, pos: 0, expected: Vec::new() }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn peek_word(&self) -> Option<&'a str> {
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Word(w)) => Some(w),
            _ => None,
        }
    }

    /// Offers `e` to the completer when the input ends here.
    pub fn note(&mut self, e: Expect) {
        if self.at_end() && !self.expected.contains(&e) {
            self.expected.push(e);
        }
    }

    /// An error at the current token (or at the end of the input).
    pub fn error(&self, what: &str) -> SyntaxError {
        match self.peek() {
            Some(t) => {
                SyntaxError { pos: t.start, message: format!("expected {what}, found {}", t.describe(self.src)) }
            }
            None => SyntaxError {
                pos: self.toks.last().map_or(0, |t| t.end),
                message: format!("expected {what} at end of statement"),
            },
        }
    }

    /// Consumes `kw` if it is next.
    pub fn keyword(&mut self, kw: &'static str) -> bool {
        self.note(Expect::Keyword(kw));
        if self.peek_word() == Some(kw) {
            self.pos += 1;
            return true;
        }
        false
    }

    /// Consumes one of `kws`, or fails listing them.
    pub fn one_of(&mut self, kws: &[&'static str]) -> PResult<&'static str> {
        for kw in kws {
            if self.keyword(kw) {
                return Ok(kw);
            }
        }
        Err(self.error(&list(kws)))
    }

    /// Consumes a `symbol` if it is next.
    pub fn symbol(&mut self, c: char) -> bool {
        if self.peek().map(|t| &t.kind) == Some(&Kind::Symbol(c)) {
            self.pos += 1;
            return true;
        }
        false
    }

    pub fn expect_symbol(&mut self, c: char) -> PResult<()> {
        if self.symbol(c) {
            Ok(())
        } else {
            Err(self.error(&format!("\"{c}\"")))
        }
    }

    /// A name: a word (lower-cased) or a double-quoted identifier (as written).
    pub fn name(&mut self, kind: NameKind, what: &str) -> PResult<String> {
        self.note(Expect::Name(kind));
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Word(w)) | Some(Kind::Ident(w)) => {
                self.pos += 1;
                Ok(w.clone())
            }
            _ => Err(self.error(what)),
        }
    }

    /// A name or `*` (all): `None` means all.
    pub fn name_or_star(&mut self, kind: NameKind, what: &str) -> PResult<Option<String>> {
        if self.symbol('*') {
            return Ok(None);
        }
        self.name(kind, &format!("{what} or \"*\"")).map(Some)
    }

    /// An optional name or `*`: None when the statement ends here, Some(None) for `*`.
    pub fn opt_name_or_star(&mut self, kind: NameKind, what: &str) -> PResult<Option<Option<String>>> {
        if self.at_end() {
            self.note(Expect::Name(kind));
            return Ok(None);
        }
        self.name_or_star(kind, what).map(Some)
    }

    /// `name` or `schema.name`.
    pub fn qualified_name(&mut self, kind: NameKind, what: &str) -> PResult<String> {
        let first = self.name(kind, what)?;
        if self.symbol('.') {
            let second = self.name(kind, what)?;
            return Ok(format!("{first}.{second}"));
        }
        Ok(first)
    }

    /// An integer.
    pub fn integer(&mut self, what: &str) -> PResult<i64> {
        if let Some(Token { kind: Kind::Number(n), .. }) = self.peek() {
            if let Ok(v) = n.parse() {
                self.pos += 1;
                return Ok(v);
            }
        }
        Err(self.error(what))
    }

    /// A setting's value: a string, a number or a bare word.
    pub fn value(&mut self, what: &str) -> PResult<String> {
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Str(v)) | Some(Kind::Number(v)) | Some(Kind::Word(v)) | Some(Kind::Ident(v)) => {
                self.pos += 1;
                Ok(v.clone())
            }
            _ => Err(self.error(what)),
        }
    }

    /// A connect-string value: a quoted string, or the source text of the tokens that follow
    /// without a gap (`host=/tmp/pg-1`, `port=5432`), case kept.
    pub fn raw_value(&mut self, kind: NameKind, what: &str) -> PResult<String> {
        self.note(Expect::Name(kind));
        match self.peek() {
            Some(Token { kind: Kind::Str(v), .. }) => {
                self.pos += 1;
                Ok(v.clone())
            }
            Some(t) if t.kind != Kind::Symbol(',') => {
                let start = t.start;
                let mut end = t.end;
                self.pos += 1;
                while let Some(n) = self.peek() {
                    if n.start != end || n.kind == Kind::Symbol(',') {
                        break;
                    }
                    end = n.end;
                    self.pos += 1;
                }
                Ok(self.src[start..end].to_string())
            }
            _ => Err(self.error(what)),
        }
    }

    /// Notes a `key=` candidate and consumes `key =` if it is next.
    pub fn key(&mut self, key: &'static str) -> bool {
        self.note(Expect::Key(key));
        if self.peek_word() == Some(key) && self.toks.get(self.pos + 1).map(|t| &t.kind) == Some(&Kind::Symbol('=')) {
            self.pos += 2;
            return true;
        }
        false
    }

    /// The statement must be over.
    pub fn end(&self) -> PResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(SyntaxError { pos: t.start, message: format!("unexpected {}", t.describe(self.src)) }),
        }
    }

    /// The whole statement's text, for SQL sent as written.
    pub fn source(&self) -> &'a str {
        self.src
    }
}

/// `a, b or c` for messages.
pub fn list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => format!("\"{one}\""),
        [init @ .., last] => {
            let init: Vec<String> = init.iter().map(|s| format!("\"{s}\"")).collect();
            format!("{} or \"{last}\"", init.join(", "))
        }
    }
}

/// Parses one statement (tokens without the `;`, `src` its text).
pub fn parse_with(p: &mut Parser) -> PResult<Stmt> {
    for c in COMMANDS {
        p.note(Expect::Keyword(c));
    }
    let Some(first) = p.peek_word() else {
        return Err(p.error("a command"));
    };
    p.pos += 1;
    let stmt = match first {
        "connect" => Stmt::Connect(connect::parse(p)?),
        "create" | "drop" | "alter" => match queue::parse(first, p)? {
            Some(cmd) => Stmt::Queue(cmd),
            None => return Ok(sql::parse(p)),
        },
        "register" | "unregister" => Stmt::Consumer(consumer::parse(first == "register", p)?),
        "show" => Stmt::Show(show::parse(p)?),
        "install" => Stmt::Install(install::parse(p)?),
        "help" => Stmt::Help,
        "quit" | "exit" => Stmt::Quit,
        w if SQL_WORDS.contains(&w) => return Ok(sql::parse(p)),
        w => {
            p.pos -= 1;
            let t = p.peek().expect("just read");
            return Err(SyntaxError {
                pos: t.start,
                message: format!("unknown command \"{w}\" (\"help;\" lists the commands)"),
            });
        }
    };
    p.end()?;
    Ok(stmt)
}

/// Parses one statement's tokens.
pub fn parse(src: &str, toks: &[Token]) -> PResult<Stmt> {
    parse_with(&mut Parser::new(src, toks))
}

#[cfg(test)]
mod tests {
    use super::super::consumer::ConsumerCmd;
    use super::super::lexer::tokenize;
    use super::super::queue::QueueCmd;
    use super::super::show::{BatchRef, Show};
    use super::*;

    fn p(s: &str) -> PResult<Stmt> {
        parse(s, &tokenize(s).tokens)
    }

    #[test]
    fn parses_console_commands() {
        assert_eq!(p("CREATE Queue \"Q1\"").unwrap(), Stmt::Queue(QueueCmd::Create("Q1".into())));
        assert_eq!(
            p("alter queue * set max_count = 5, idle_period = '1 min'").unwrap(),
            Stmt::Queue(QueueCmd::Alter(
                None,
                vec![("ticker_max_count", "5".into()), ("ticker_idle_period", "1 min".into())]
            ))
        );
        assert_eq!(
            p("register consumer c on q at 7").unwrap(),
            Stmt::Consumer(ConsumerCmd::Register {
                consumer: "c".into(),
                queue: Some("q".into()),
                at: Some(7),
                copy: None
            })
        );
        assert_eq!(
            p("unregister subconsumer * for c from q close batch").unwrap(),
            Stmt::Consumer(ConsumerCmd::UnregisterSub {
                sub: None,
                consumer: "c".into(),
                queue: Some("q".into()),
                close: true
            })
        );
        assert_eq!(p("show consumer * on q").unwrap(), Stmt::Show(Show::Consumer(Some(None), Some(Some("q".into())))));
        assert_eq!(p("show batch 12").unwrap(), Stmt::Show(Show::Batch(BatchRef::Id(12), None)));
        assert_eq!(p("show table s.T").unwrap(), Stmt::Show(Show::Table("s.t".into())));
        let Stmt::Connect(c) = p("connect host=/tmp/pg-1 port=5433 queue=Q").unwrap() else { panic!() };
        assert_eq!(c.params, vec![("host".to_string(), "/tmp/pg-1".to_string()), ("port".into(), "5433".into())]);
        assert_eq!(c.queue.as_deref(), Some("q"));
    }

    #[test]
    fn sql_goes_through_and_bad_input_is_located() {
        assert_eq!(p("create table t (x int)").unwrap(), Stmt::Sql("create table t (x int)".into()));
        assert_eq!(p("Select 1").unwrap(), Stmt::Sql("Select 1".into()));
        let e = p("frobnicate now").unwrap_err();
        assert_eq!((e.pos, e.message.starts_with("unknown command \"frobnicate\"")), (0, true));
        let e = p("drop queue q extra").unwrap_err();
        assert_eq!((e.pos, e.message.as_str()), (13, "unexpected \"extra\""));
        let e = p("register consumer c at x").unwrap_err();
        assert_eq!((e.pos, e.message.as_str()), (23, "expected a tick id, found \"x\""));
    }
}
