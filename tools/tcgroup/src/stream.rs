// SPDX-License-Identifier: GPL-2.0

//! The release stream of a tcgroup hierarchy (`release.stream` in its root
//! group): parsing its lines (Documentation/tcgroup.rst, "Release stream").

use serde::Serialize;

use crate::mountinfo;

/// One record of the stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Record {
    /// A group was released: the release's sequence number and the group's
    /// path from the hierarchy's root, unescaped.
    Release {
        /// The sequence number, 1 for the hierarchy's first release.
        seq: u64,
        /// The group's path (`/a b` for the line's `/a\040b`).
        path: String,
    },
    /// The reader's queue was full: this many records were dropped.
    Lost {
        /// The number of records dropped.
        lost: u64,
    },
}

/// Parses one line of the stream, without its newline: `SEQ PATH` or
/// `lost N`. `None` for anything else.
pub fn parse(line: &str) -> Option<Record> {
    let (first, rest) = line.split_once(' ')?;
    if rest.contains([' ', '\t', '\n']) {
        return None;
    }
    if first == "lost" {
        let lost = parse_number(rest)?;
        return (lost != 0).then_some(Record::Lost { lost });
    }
    let seq = parse_number(first)?;
    if seq == 0 || !rest.starts_with('/') {
        return None;
    }
    Some(Record::Release {
        seq,
        path: mountinfo::unescape(rest),
    })
}

/// A decimal number of digits only.
fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(seq: u64, path: &str) -> Option<Record> {
        Some(Record::Release {
            seq,
            path: path.into(),
        })
    }

    #[test]
    fn releases() {
        assert_eq!(parse("1 /a"), release(1, "/a"));
        assert_eq!(parse("42 /jobs/batch/7"), release(42, "/jobs/batch/7"));
        assert_eq!(parse("18446744073709551615 /x"), release(u64::MAX, "/x"));
    }

    #[test]
    fn escapes_undone() {
        assert_eq!(parse("3 /a\\040b/c\\134d"), release(3, "/a b/c\\d"));
        assert_eq!(parse("4 /t\\011\\012"), release(4, "/t\t\n"));
    }

    #[test]
    fn losses() {
        assert_eq!(parse("lost 6"), Some(Record::Lost { lost: 6 }));
        assert_eq!(parse("lost 0"), None);
        assert_eq!(parse("lost x"), None);
    }

    #[test]
    fn malformed() {
        for line in [
            "",
            "1",
            "1 ",
            "0 /a",
            "x /a",
            "-1 /a",
            "+1 /a",
            "1 a",
            "1 /a b",
            "1  /a",
            "lost",
            "lost 1 2",
            "18446744073709551616 /a",
        ] {
            assert_eq!(parse(line), None, "{line:?}");
        }
    }

    #[test]
    fn json() {
        let r = release(7, "/a b").unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"seq":7,"path":"/a b"}"#
        );
        let r = Record::Lost { lost: 3 };
        assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"lost":3}"#);
    }
}
