// SPDX-License-Identifier: GPL-2.0

//! `tcgroup`: the command-line tool for tcgroup hierarchies and named cgroup
//! v1 hierarchies (Documentation/tcgroup-tool.rst).

mod agent;
mod cli;
mod groups;
mod membership;
mod mountinfo;
mod stream;

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

/// Exit status: success.
pub const EXIT_OK: u8 = 0;
/// Exit status: an operation failed (a system call's error, a refused move).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: the command line is wrong (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Exit status: no such hierarchy, group or task.
pub const EXIT_NOT_FOUND: u8 = 3;
/// Exit status of `exec`: the command could not be run.
pub const EXIT_CANNOT_EXEC: u8 = 126;
/// Exit status of `exec`: the command was not found.
pub const EXIT_NO_COMMAND: u8 = 127;

/// An error with the exit status it gives.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub code: u8,
    /// The message, without the `tcgroup: ` prefix.
    pub msg: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Failure {}

/// An error of status `code`.
pub fn failure(code: u8, msg: impl Into<String>) -> anyhow::Error {
    Failure {
        code,
        msg: msg.into(),
    }
    .into()
}

/// An `io::Error` as a person reads it: `permission denied`, not
/// `Permission denied (os error 13)`.
pub fn errno_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = match s.find(" (os error ") {
        Some(i) => &s[..i],
        None => &s,
    };
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The exit status of an error: a [`Failure`]'s own, [`EXIT_NOT_FOUND`] for
/// `ENOENT` and `ESRCH`, else [`EXIT_FAILED`].
fn exit_code(e: &anyhow::Error) -> u8 {
    if let Some(f) = e.downcast_ref::<Failure>() {
        return f.code;
    }
    for cause in e.chain() {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && (io.kind() == std::io::ErrorKind::NotFound
                || io.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error()))
        {
            return EXIT_NOT_FOUND;
        }
    }
    EXIT_FAILED
}

/// The arguments, with the release agent's calls read as `tcgroup agent
/// PATH`: the kernel runs the agent as `AGENT PATH`, AGENT being this
/// program under the name `tcgroup-agent` (a link), or this program itself
/// (`tcgroup /PATH` is no command otherwise).
fn arguments(mut args: Vec<OsString>) -> Vec<OsString> {
    let called_as_agent = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|n| n == "tcgroup-agent");
    let agent_path_only = args.len() == 2 && args[1].as_encoded_bytes().starts_with(b"/");
    if called_as_agent || agent_path_only {
        let argv0 = args[0].clone();
        args.splice(0..1, [OsString::from("tcgroup"), OsString::from("agent")]);
        // The agent compares the path it was run by with release_agent=.
        args.insert(2, OsString::from("--argv0"));
        args.insert(3, argv0);
    }
    args
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse_from(arguments(std::env::args_os().collect()));
    match cli::run(cli) {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            let msg = match e.downcast_ref::<Failure>() {
                Some(f) => f.msg.clone(),
                None => format!("{e:#}"),
            };
            let _ = writeln!(std::io::stderr(), "tcgroup: {msg}");
            ExitCode::from(exit_code(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_texts() {
        let e = std::io::Error::from_raw_os_error(13);
        assert_eq!(errno_text(&e), "permission denied");
        let e = std::io::Error::from_raw_os_error(16);
        assert_eq!(errno_text(&e), "device or resource busy");
        let e = std::io::Error::other("Plain");
        assert_eq!(errno_text(&e), "plain");
    }

    #[test]
    fn agent_calls() {
        let args = |v: &[&str]| arguments(v.iter().map(OsString::from).collect());
        let agent = ["tcgroup", "agent", "--argv0"];
        assert_eq!(
            args(&["/usr/sbin/tcgroup-agent", "/a/b"]),
            [&agent[..], &["/usr/sbin/tcgroup-agent", "/a/b"]].concat()
        );
        assert_eq!(
            args(&["/usr/bin/tcgroup", "/a"]),
            [&agent[..], &["/usr/bin/tcgroup", "/a"]].concat()
        );
        assert_eq!(args(&["tcgroup", "ls"]), ["tcgroup", "ls"]);
        assert_eq!(args(&["tcgroup", "ls", "/a"]), ["tcgroup", "ls", "/a"]);
    }

    #[test]
    fn exit_codes() {
        let e: anyhow::Error = std::io::Error::from_raw_os_error(2).into();
        assert_eq!(exit_code(&e), EXIT_NOT_FOUND);
        let e: anyhow::Error = std::io::Error::from_raw_os_error(3).into();
        assert_eq!(exit_code(&e.context("moving")), EXIT_NOT_FOUND);
        let e: anyhow::Error = std::io::Error::from_raw_os_error(13).into();
        assert_eq!(exit_code(&e), EXIT_FAILED);
        assert_eq!(exit_code(&failure(EXIT_USAGE, "x")), EXIT_USAGE);
    }
}
