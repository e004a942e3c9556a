// SPDX-License-Identifier: GPL-2.0

//! Lines of `/proc/PID/cgroup`'s format, which tcgroup's `membership.lookup`
//! shares: `ID:SUBSYSTEMS:/PATH`, where SUBSYSTEMS is a comma-separated list
//! that may hold `name=NAME` (v1), or is empty (cgroup2's `0::/PATH`).

use std::fmt;

/// One hierarchy's line: the task's group there.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    /// The hierarchy's id (each file system numbers its own).
    pub id: u32,
    /// The subsystems, without `name=`.
    pub subsystems: Vec<String>,
    /// The hierarchy's `name=`.
    pub name: Option<String>,
    /// The group, from the hierarchy's root.
    pub path: String,
}

impl Membership {
    /// Parses one line; `None` if it is not of the format.
    pub fn parse(line: &str) -> Option<Self> {
        let (id, rest) = line.split_once(':')?;
        let (subsys, path) = rest.split_once(':')?;
        if !path.starts_with('/') {
            return None;
        }
        let id = id.parse().ok()?;
        let mut name = None;
        let mut subsystems = Vec::new();
        for s in subsys.split(',').filter(|s| !s.is_empty()) {
            match s.strip_prefix("name=") {
                Some(n) => name = Some(n.to_string()),
                None => subsystems.push(s.to_string()),
            }
        }
        Some(Membership {
            id,
            subsystems,
            name,
            path: path.to_string(),
        })
    }

    /// Parses every line of a file; lines that are not of the format are an error.
    pub fn parse_all(text: &str) -> Result<Vec<Self>, String> {
        text.lines()
            .filter(|l| !l.is_empty())
            .map(|l| Self::parse(l).ok_or_else(|| format!("unexpected line {l:?}")))
            .collect()
    }
}

impl fmt::Display for Membership {
    /// The line as the kernel writes it (without the newline).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = self.subsystems.clone();
        if let Some(n) = &self.name {
            list.push(format!("name={n}"));
        }
        write!(f, "{}:{}:{}", self.id, list.join(","), self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for line in [
            "1:debug,name=jobs:/a/b",
            "2:name=ref:/",
            "0::/init.scope",
            "4:cpu,cpuacct:/user.slice",
            "3:name=x:/with space/and:colon",
        ] {
            let m = Membership::parse(line).unwrap();
            assert_eq!(m.to_string(), line);
        }
        let m = Membership::parse("1:debug,name=jobs:/a/b").unwrap();
        assert_eq!(m.id, 1);
        assert_eq!(m.subsystems, vec!["debug"]);
        assert_eq!(m.name.as_deref(), Some("jobs"));
        assert_eq!(m.path, "/a/b");
    }

    #[test]
    fn rejects() {
        assert_eq!(Membership::parse(""), None);
        assert_eq!(Membership::parse("x:name=a:/"), None);
        assert_eq!(Membership::parse("1:name=a"), None);
        assert_eq!(Membership::parse("1:name=a:rel"), None);
        assert!(Membership::parse_all("1:name=a:/\n\n2::/b\n").is_ok());
        assert!(Membership::parse_all("1:name=a:/\nbad\n").is_err());
    }
}
