//! The tokenizer: words (lower-cased unless double-quoted), strings, numbers and symbols with
//! their byte positions, and the split of input text into `;`-terminated statements. It knows
//! enough SQL (quotes, dollar quotes, comments) that a `;` inside them never ends a statement.

/// What a token is. `Word` holds the lower-cased text, `Ident` the double-quoted name as written,
/// `Str` the unescaped value of a `'...'` string.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Word(String),
    Ident(String),
    Str(String),
    Number(String),
    /// A `$tag$...$tag$` string: only SQL passed to the server has them.
    Dollar,
    Symbol(char),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Kind,
    /// Byte range in the source text.
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// How the token reads in an error message.
    pub fn describe(&self, src: &str) -> String {
        format!("\"{}\"", &src[self.start..self.end])
    }
}

/// The tokens of a text, and whether it ended inside a quote or comment (then the statement
/// is not finished yet).
#[derive(Debug)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub unterminated: Option<&'static str>,
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

pub fn tokenize(src: &str) -> Lexed {
    let b = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let push = |tokens: &mut Vec<Token>, kind, start, end| tokens.push(Token { kind, start, end });
    while i < src.len() {
        let c = src[i..].chars().next().expect("in bounds");
        let start = i;
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if src[i..].starts_with("--") {
            i = src[i..].find('\n').map_or(src.len(), |n| i + n + 1);
        } else if src[i..].starts_with("/*") {
            match src[i + 2..].find("*/") {
                Some(n) => i += n + 4,
                None => return Lexed { tokens, unterminated: Some("comment") },
            }
        } else if c == '\'' {
            match quoted(src, i, b'\'') {
                Some((value, end)) => {
                    push(&mut tokens, Kind::Str(value), start, end);
                    i = end;
                }
                None => return Lexed { tokens, unterminated: Some("quoted string") },
            }
        } else if c == '"' {
            match quoted(src, i, b'"') {
                Some((value, end)) => {
                    push(&mut tokens, Kind::Ident(value), start, end);
                    i = end;
                }
                None => return Lexed { tokens, unterminated: Some("quoted identifier") },
            }
        } else if c == '$' && dollar_tag(src, i).is_some() {
            let tag = dollar_tag(src, i).expect("checked");
            match src[i + tag.len()..].find(tag) {
                Some(n) => {
                    i += tag.len() + n + tag.len();
                    push(&mut tokens, Kind::Dollar, start, i);
                }
                None => return Lexed { tokens, unterminated: Some("dollar-quoted string") },
            }
        } else if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            push(&mut tokens, Kind::Number(src[start..i].to_string()), start, i);
        } else if is_word_start(c) {
            let end = src[i..].char_indices().find(|(_, c)| !is_word_char(*c)).map_or(src.len(), |(n, _)| i + n);
            push(&mut tokens, Kind::Word(src[start..end].to_lowercase()), start, end);
            i = end;
        } else {
            i += c.len_utf8();
            push(&mut tokens, Kind::Symbol(c), start, i);
        }
    }
    Lexed { tokens, unterminated: None }
}

/// A quoted string or identifier starting at `i`: its value (doubled quotes undone) and the end.
fn quoted(src: &str, i: usize, q: u8) -> Option<(String, usize)> {
    let b = src.as_bytes();
    let mut j = i + 1;
    let mut value = String::new();
    let mut from = j;
    while j < b.len() {
        if b[j] == q {
            value.push_str(&src[from..j]);
            if j + 1 < b.len() && b[j + 1] == q {
                value.push(q as char);
                j += 2;
                from = j;
                continue;
            }
            return Some((value, j + 1));
        }
        j += 1;
    }
    None
}

/// `$$` or `$tag$` at `i`, if that is what starts there.
fn dollar_tag(src: &str, i: usize) -> Option<&str> {
    let rest = &src[i + 1..];
    let n = rest.find('$')?;
    let tag = &rest[..n];
    let ok = tag.is_empty() || (tag.starts_with(is_word_start) && tag.chars().all(|c| c.is_alphanumeric() || c == '_'));
    ok.then(|| &src[i..i + n + 2])
}

/// One complete statement: where it starts and ends (before the `;`) in the text.
#[derive(Debug)]
pub struct Statement {
    pub start: usize,
    pub end: usize,
}

/// The statements a text holds, and the byte offset where its unfinished tail begins.
#[derive(Debug)]
pub struct Split {
    pub statements: Vec<Statement>,
    pub rest: usize,
    /// The unfinished tail ends inside a quote or comment of this kind.
    pub unterminated: Option<&'static str>,
}

/// Cuts a text at every `;` outside quotes and comments. Empty statements (`;;`) are dropped.
pub fn split(src: &str) -> Split {
    let lexed = tokenize(src);
    let mut statements = Vec::new();
    let mut current: Option<usize> = None;
    let mut rest = 0;
    for t in lexed.tokens {
        if t.kind == Kind::Symbol(';') {
            if let Some(start) = current.take() {
                statements.push(Statement { start, end: t.start });
            }
            rest = t.end;
        } else {
            current.get_or_insert(t.start);
        }
    }
    Split { statements, rest, unterminated: lexed.unterminated }
}

/// Line and column (both from 1, column in characters) of a byte offset.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Kind> {
        tokenize(s).tokens.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn words_are_lower_cased_and_quoted_names_kept() {
        assert_eq!(
            kinds("Create QUEUE \"MyQ\" 'it''s' 12.5;"),
            vec![
                Kind::Word("create".into()),
                Kind::Word("queue".into()),
                Kind::Ident("MyQ".into()),
                Kind::Str("it's".into()),
                Kind::Number("12.5".into()),
                Kind::Symbol(';'),
            ]
        );
    }

    #[test]
    fn semicolons_in_quotes_and_comments_do_not_split() {
        let s = "select ';', $f$ a; b $f$ -- c;\n /* d; */ from x; show queue;\ncreate";
        let sp = split(s);
        assert_eq!(sp.statements.len(), 2);
        assert_eq!(
            &s[sp.statements[0].start..sp.statements[0].end],
            "select ';', $f$ a; b $f$ -- c;\n /* d; */ from x"
        );
        assert_eq!(&s[sp.rest..], "\ncreate");
        assert!(sp.unterminated.is_none());
    }

    #[test]
    fn open_quote_is_unterminated() {
        assert_eq!(split("select 'abc;").unterminated, Some("quoted string"));
        assert_eq!(split("select $$abc;").unterminated, Some("dollar-quoted string"));
        assert_eq!(split("select $1;").statements.len(), 1);
    }

    #[test]
    fn positions_are_line_and_column() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 0), (1, 1));
    }
}
