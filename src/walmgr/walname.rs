//! WAL file names: `TTTTTTTTLLLLLLLLSSSSSSSS` segments, `<segment>.<offset>.backup`
//! and `<segment>.partial`. Ordering for cleanup compares the log/segment part only, as
//! pg_archivecleanup does, so older timelines' files go as well.

/// A plain segment name: 24 upper-case hex digits.
pub fn is_segment(name: &str) -> bool {
    name.len() == 24 && name.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// The segment a file belongs to, for segments, `.partial` and `.backup` files.
pub fn segment_of(name: &str) -> Option<&str> {
    let seg = name.get(..24)?;
    let rest = &name[24..];
    let ok = rest.is_empty() || rest == ".partial" || (rest.starts_with('.') && rest.ends_with(".backup"));
    (is_segment(seg) && ok).then_some(seg)
}

/// True when `name`'s segment lies strictly before `limit`'s, timeline ignored.
pub fn older_than(name: &str, limit: &str) -> bool {
    match (segment_of(name), segment_of(limit)) {
        (Some(a), Some(b)) => a[8..] < b[8..],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_segment("000000010000000000000003"));
        assert!(!is_segment("00000001000000000000000g"));
        assert_eq!(segment_of("000000010000000000000003.00000028.backup"), Some("000000010000000000000003"));
        assert_eq!(segment_of("000000010000000000000003.partial"), Some("000000010000000000000003"));
        assert_eq!(segment_of("000000010000000000000003.sum"), None);
        assert!(older_than("000000010000000000000002", "000000020000000000000003"));
        assert!(!older_than("000000020000000000000003", "000000010000000000000003"));
        assert!(!older_than("00000002.history", "000000010000000000000003"));
    }
}
