// SPDX-License-Identifier: GPL-2.0

//! The release agent: what `tcgroup agent PATH` (or the same program run as
//! `tcgroup-agent PATH`, as the kernel runs it) does with a released group.
//!
//! The kernel runs the agent with the group's path as its only argument,
//! `HOME=/` and a fixed `PATH` as its whole environment, and no standard
//! input, output or error. So the agent takes its settings from a file and
//! reports through the system log.

use std::io::Write;
use std::path::Path;

use crate::mountinfo::Mount;

/// The configuration file the agent reads when no other is named.
pub const DEFAULT_CONFIG: &str = "/etc/tcgroup/agent.conf";

/// Where the agent's messages go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogTarget {
    /// syslog through `/dev/log`, else the kernel log.
    Auto,
    /// syslog through `/dev/log` only.
    Syslog,
    /// The kernel log (`/dev/kmsg`) only.
    Kmsg,
}

/// The agent's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Remove the released group when it is still empty.
    pub prune: bool,
    /// Where to log.
    pub log: LogTarget,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            prune: false,
            log: LogTarget::Auto,
        }
    }
}

/// Parses a boolean setting: `1`/`0`, `yes`/`no`, `true`/`false`, `on`/`off`.
fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

impl Config {
    /// Parses the configuration text: `KEY=VALUE` lines (spaces around both
    /// allowed), `#` comments and empty lines. Keys: `prune` (a boolean) and
    /// `log` (`auto`, `syslog`, `kmsg`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut c = Config::default();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let err = |what: &str| format!("line {}: {what}: {line:?}", n + 1);
            let (k, v) = line
                .split_once('=')
                .ok_or_else(|| err("expected KEY=VALUE"))?;
            let (k, v) = (k.trim(), v.trim());
            match k {
                "prune" => c.prune = parse_bool(v).ok_or_else(|| err("prune is 0 or 1"))?,
                "log" => {
                    c.log = match v {
                        "auto" => LogTarget::Auto,
                        "syslog" => LogTarget::Syslog,
                        "kmsg" => LogTarget::Kmsg,
                        _ => return Err(err("log is auto, syslog or kmsg")),
                    }
                }
                _ => return Err(err("unknown setting")),
            }
        }
        Ok(c)
    }

    /// Reads the file `path`: a missing file gives the defaults.
    pub fn load(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(t) => Self::parse(&t).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(format!("{}: {}", path.display(), crate::errno_text(&e))),
        }
    }
}

/// The syslog priority of the agent's messages: facility daemon, level info
/// or, for failures, err.
fn priority(failed: bool) -> u8 {
    3 * 8 + if failed { 3 } else { 6 }
}

/// Sends `msg` to syslogd through `/dev/log`.
fn to_syslog(msg: &str, failed: bool) -> std::io::Result<()> {
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let line = format!(
        "<{}>tcgroup-agent[{}]: {msg}",
        priority(failed),
        std::process::id()
    );
    sock.send_to(line.as_bytes(), "/dev/log")?;
    Ok(())
}

/// Writes `msg` to the kernel log.
fn to_kmsg(msg: &str, failed: bool) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().write(true).open("/dev/kmsg")?;
    let line = format!(
        "<{}>tcgroup-agent[{}]: {msg}\n",
        priority(failed),
        std::process::id()
    );
    f.write_all(line.as_bytes())
}

/// Logs one message where the configuration says; true if it went somewhere.
pub fn log(target: LogTarget, msg: &str, failed: bool) -> bool {
    match target {
        LogTarget::Syslog => to_syslog(msg, failed).is_ok(),
        LogTarget::Kmsg => to_kmsg(msg, failed).is_ok(),
        LogTarget::Auto => to_syslog(msg, failed).is_ok() || to_kmsg(msg, failed).is_ok(),
    }
}

/// The hierarchies among `mounts` whose release agent is this program: those
/// whose `release_agent=` is `argv0` (the kernel passes the agent's path as
/// `argv[0]`) or, only if there is none, whose agent resolves to `exe` (this
/// program's path, symbolic links resolved: the agent run by another name).
pub fn own_hierarchies<'a>(mounts: &'a [Mount], argv0: &str, exe: Option<&Path>) -> Vec<&'a Mount> {
    let by_argv0 = distinct(mounts, |agent| agent == argv0);
    if !by_argv0.is_empty() {
        return by_argv0;
    }
    let Some(exe) = exe else {
        return Vec::new();
    };
    distinct(mounts, |agent| {
        Path::new(agent) == exe || std::fs::canonicalize(agent).is_ok_and(|a| a == exe)
    })
}

/// One mount per hierarchy (a hierarchy may be mounted more than once) whose
/// release agent passes `same`.
fn distinct(mounts: &[Mount], same: impl Fn(&str) -> bool) -> Vec<&Mount> {
    let mut out: Vec<&Mount> = Vec::new();
    for m in mounts {
        if m.release_agent.as_deref().is_some_and(&same)
            && !out.iter().any(|o| crate::groups::same_hierarchy(o, m))
        {
            out.push(m);
        }
    }
    out
}

/// What pruning a released group gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Pruned {
    /// The group was removed.
    Removed,
    /// It filled again (a task or a child group) and stays: not an error.
    Busy,
    /// It was gone already.
    Gone,
}

/// Removes the released group `dir` if it is still empty. `rmdir` checks
/// emptiness atomically: a group that filled again since its release fails
/// with `EBUSY`, which is the expected race and no error.
pub fn prune(dir: &Path) -> std::io::Result<Pruned> {
    match std::fs::remove_dir(dir) {
        Ok(()) => Ok(Pruned::Removed),
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::BUSY.raw_os_error()) => {
            Ok(Pruned::Busy)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Pruned::Gone),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mountinfo;

    #[test]
    fn config() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
        let c = Config::parse("# agent\n prune = 1  # on\n\nlog=kmsg\n").unwrap();
        assert!(c.prune);
        assert_eq!(c.log, LogTarget::Kmsg);
        assert!(!Config::parse("prune=no").unwrap().prune);
        assert!(Config::parse("prune=yes").unwrap().prune);
        assert!(Config::parse("prune=2").unwrap_err().contains("line 1"));
        assert!(Config::parse("\nfoo=1").unwrap_err().contains("line 2"));
        assert!(Config::parse("prune").is_err());
        assert!(Config::parse("log=file").is_err());
    }

    #[test]
    fn missing_config_is_default() {
        let c = Config::load(Path::new("/nonexistent/tcgroup/agent.conf")).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn finds_own_hierarchies() {
        let mounts = mountinfo::parse(
            "1 0 0:1 / /a rw - tcgroup none rw,release_agent=/usr/sbin/tcgroup-agent,name=a\n\
             2 0 0:1 / /a2 rw - tcgroup none rw,release_agent=/usr/sbin/tcgroup-agent,name=a\n\
             3 0 0:2 / /b rw - cgroup none rw,release_agent=/other,name=b\n\
             4 0 0:3 / /c rw - cgroup none rw,name=c\n",
        );
        let own = own_hierarchies(&mounts, "/usr/sbin/tcgroup-agent", None);
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].name.as_deref(), Some("a"));
        let own = own_hierarchies(&mounts, "/x", Some(Path::new("/other")));
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].name.as_deref(), Some("b"));
        // An exact argv[0] match wins over one through the executable.
        let own = own_hierarchies(
            &mounts,
            "/other",
            Some(Path::new("/usr/sbin/tcgroup-agent")),
        );
        assert_eq!(own.len(), 1);
        assert_eq!(own[0].name.as_deref(), Some("b"));
        assert!(own_hierarchies(&mounts, "/x", None).is_empty());
    }

    #[test]
    fn prune_states() {
        let base = std::env::temp_dir().join(format!("tcgroup-prune-{}", std::process::id()));
        std::fs::create_dir_all(base.join("full/child")).unwrap();
        std::fs::create_dir_all(base.join("empty")).unwrap();
        assert_eq!(prune(&base.join("empty")).unwrap(), Pruned::Removed);
        assert_eq!(prune(&base.join("empty")).unwrap(), Pruned::Gone);
        // A non-empty directory is ENOTEMPTY on a disk file system (EBUSY is
        // a group's), an error for prune.
        assert!(prune(&base.join("full")).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
