//! Result tables printed the way psql's aligned format does: centred header, `-+-` rule, text
//! left-aligned, numbers right-aligned, NULL as empty, and a `(N rows)` footer.

use std::io::{self, Write};

/// A result set as text.
#[derive(Debug, Default)]
pub struct Table {
    pub title: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Table {
    /// Runs a query whose columns are all cast to text in SQL; the header comes from the
    /// statement, so an empty result still shows its columns.
    pub fn query(
        client: &mut postgres::Client,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Table, postgres::Error> {
        let stmt = client.prepare(sql)?;
        let rows = client.query(&stmt, params)?;
        Ok(Table {
            title: None,
            columns: stmt.columns().iter().map(|c| c.name().to_string()).collect(),
            rows: rows.iter().map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i)).collect()).collect(),
        })
    }

    pub fn with_title(mut self, title: String) -> Table {
        self.title = Some(title);
        self
    }

    pub fn print(&self, out: &mut dyn Write) -> io::Result<()> {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|v| v.as_deref().map(display).unwrap_or_default()).collect())
            .collect();
        let n = self.columns.len();
        let mut widths: Vec<usize> = self.columns.iter().map(|c| width(c)).collect();
        for row in &cells {
            for (i, v) in row.iter().enumerate().take(n) {
                widths[i] = widths[i].max(width(v));
            }
        }
        let numeric: Vec<bool> = (0..n)
            .map(|i| {
                let mut vals = self.rows.iter().filter_map(|r| r.get(i).and_then(|v| v.as_deref()));
                let mut any = false;
                let all = vals.all(|v| {
                    any = true;
                    looks_numeric(v)
                });
                any && all
            })
            .collect();
        if let Some(title) = &self.title {
            let total: usize = widths.iter().map(|w| w + 3).sum::<usize>().saturating_sub(1);
            writeln!(out, "{}", centre(title, total).trim_end())?;
        }
        let header: Vec<String> = self.columns.iter().zip(&widths).map(|(c, w)| centre(c, *w)).collect();
        writeln!(out, " {}", header.join(" | ").trim_end())?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
        writeln!(out, "{}", rule.join("+"))?;
        for row in &cells {
            let line: Vec<String> = (0..n)
                .map(|i| {
                    let v = row.get(i).map(String::as_str).unwrap_or("");
                    let pad = " ".repeat(widths[i] - width(v));
                    if numeric[i] {
                        format!("{pad}{v}")
                    } else {
                        format!("{v}{pad}")
                    }
                })
                .collect();
            writeln!(out, "{}", format!(" {}", line.join(" | ")).trim_end())?;
        }
        let count = self.rows.len();
        writeln!(out, "({count} {})", if count == 1 { "row" } else { "rows" })?;
        writeln!(out)
    }
}

/// Control characters would break the alignment: show them escaped.
fn display(v: &str) -> String {
    v.replace('\n', "\\n").replace('\r', "\\r").replace('\t', "\\t")
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn centre(s: &str, w: usize) -> String {
    let pad = w.saturating_sub(width(s));
    format!("{}{s}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2))
}

fn looks_numeric(v: &str) -> bool {
    let v = v.strip_prefix('-').unwrap_or(v);
    !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.') && v.matches('.').count() <= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_psql() {
        let mut t = Table { columns: vec!["queue_name".into(), "n".into()], ..Table::default() };
        t.rows.push(vec![Some("q1".into()), Some("5".into())]);
        t.rows.push(vec![Some("a longer name".into()), Some("120".into())]);
        t.rows.push(vec![Some("x".into()), None]);
        let mut out = Vec::new();
        t.print(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  queue_name   |  n\n\
             ---------------+-----\n \
             q1            |   5\n \
             a longer name | 120\n \
             x             |\n\
             (3 rows)\n\n"
        );
    }
}
