// SPDX-License-Identifier: GPL-2.0

//! The command line (clap) and what each subcommand does.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::groups::{self, Group, Info};
use crate::membership::Membership;
use crate::mountinfo::{self, FsType, Mount};
use crate::{
    EXIT_CANNOT_EXEC, EXIT_FAILED, EXIT_NO_COMMAND, EXIT_NOT_FOUND, EXIT_USAGE, agent, errno_text,
    failure,
};

const EXIT_STATUS: &str = "\
Exit status:
  0    success
  1    an operation failed (permission denied, a busy group, ...)
  2    the command line is wrong, or the hierarchy is ambiguous (-H needed)
  3    no such hierarchy, group or task
  126  exec: the command could not be run
  127  exec: the command was not found
  Otherwise, exec exits with the command's status.";

const LONG_ABOUT: &str = "\
Drive tcgroup hierarchies and named cgroup v1 hierarchies: mount them, create and delete groups, \
run and move tasks, list groups, look up a task's groups, and handle release notifications.

Groups are paths from a hierarchy's root (/jobs/a). -H NAME chooses the hierarchy by its name= \
(tcgroup:NAME or cgroup:NAME where both file systems have one of that name); without -H, \
an absolute path under a hierarchy's mount point (/sys/fs/tcgroup/jobs/a) names that group, \
and any other path is a group of the one tcgroup hierarchy mounted. Named cgroup v1 hierarchies \
(mount -t cgroup -o none,name=NAME) are found in /proc/self/mountinfo as libcgroup finds them.";

/// Drive tcgroup and named cgroup v1 hierarchies.
#[derive(Parser, Debug)]
#[command(name = "tcgroup", version, about, long_about = LONG_ABOUT)]
#[command(after_long_help = EXIT_STATUS)]
pub struct Cli {
    /// The hierarchy to use, by its name= (tcgroup:NAME, cgroup:NAME to choose the file system).
    #[arg(short = 'H', long = "hierarchy", global = true, value_name = "NAME")]
    pub hierarchy: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Mount a hierarchy (loading the tcgroup module if needed).
    Mount(MountArgs),
    /// Create groups.
    Create(CreateArgs),
    /// Delete groups.
    Delete(DeleteArgs),
    /// Run a command in a group.
    ///
    /// The tool moves itself into the group through cgroup.procs, then
    /// executes the command (as cgexec does), so that the command starts there.
    Exec(ExecArgs),
    /// Move processes (or, with --thread, single threads) into a group.
    Classify(ClassifyArgs),
    /// Kill every process of a group and of its descendants.
    ///
    /// Writes 1 to the group's cgroup.kill (tcgroup's, as cgroup v2 has it):
    /// every process with a thread in the group or below gets SIGKILL,
    /// processes forked meanwhile included; the command returns once each has
    /// been signalled, and the group empties as they exit. A cgroup v1
    /// hierarchy has no cgroup.kill: the command fails there.
    Kill(KillArgs),
    /// List groups with their task counts and flags.
    Ls(ListArgs),
    /// Show groups as a tree with their task counts and flags.
    Tree(ListArgs),
    /// Show a task's groups in every hierarchy, in /proc/PID/cgroup's format.
    Which(WhichArgs),
    /// Print the release stream of a tcgroup hierarchy: one line per release.
    ///
    /// Reads the root group's release.stream (needs CAP_SYS_ADMIN) and prints
    /// each release from now on as the kernel writes it, `SEQ PATH` (the path
    /// with space, tab, newline and backslash as \ooo octal), or `lost N`
    /// when N records did not fit the queue. With --json, one JSON object a
    /// line: {"seq":N,"path":"/a b"} (the path unescaped) or {"lost":N}. Runs
    /// until interrupted, or until --count records.
    Watch(WatchArgs),
    /// The release agent: log a released group and, if configured, remove it.
    ///
    /// The kernel runs the release agent with the group's path as its only
    /// argument: make release_agent= a link named tcgroup-agent to this
    /// program, which then acts as `tcgroup agent PATH`. It logs each call to
    /// syslog (/dev/log), else to the kernel log (/dev/kmsg). With `prune=1`
    /// in its configuration file it removes the released group if it is
    /// still empty; a group that filled again since stays (rmdir's EBUSY is
    /// no error). Settings (KEY=VALUE lines, # comments): prune=0|1,
    /// log=auto|syslog|kmsg.
    Agent(AgentArgs),
    /// Generate the manual pages or shell completions.
    #[command(hide = true)]
    Gen {
        #[command(subcommand)]
        what: Gen,
    },
}

/// `tcgroup gen`.
#[derive(Subcommand, Debug)]
pub enum Gen {
    /// Write the manual pages (tcgroup.1, tcgroup-SUBCOMMAND.1) into DIR.
    Man {
        /// The directory to write into.
        dir: PathBuf,
    },
    /// Print the completion script for SHELL.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// The file system a `mount` creates.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum MountType {
    /// tcgroup.
    Tcgroup,
    /// cgroup v1 (a named hierarchy without controllers).
    Cgroup,
}

/// `tcgroup mount`.
#[derive(Args, Debug)]
pub struct MountArgs {
    /// The hierarchy's name (name=).
    #[arg(short, long)]
    pub name: Option<String>,
    /// The release agent (release_agent=), an absolute path.
    #[arg(short, long, value_name = "PATH")]
    pub agent: Option<String>,
    /// Bind tcgroup's debug subsystem (else none).
    #[arg(long)]
    pub debug: bool,
    /// The file system.
    #[arg(short = 't', long = "type", value_enum, default_value = "tcgroup")]
    pub fstype: MountType,
    /// Further mount options, comma-separated (noprefix, clone_children).
    #[arg(short, long, value_name = "OPTIONS")]
    pub options: Option<String>,
    /// Where to mount (made if missing); tcgroup's default is /sys/fs/tcgroup.
    pub dir: Option<PathBuf>,
}

/// `tcgroup create`.
#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Create missing parents, and accept groups that exist.
    #[arg(short, long)]
    pub parents: bool,
    /// Set notify_on_release in the new groups.
    #[arg(long)]
    pub notify: bool,
    /// The groups.
    #[arg(required = true)]
    pub groups: Vec<String>,
}

/// `tcgroup delete`.
#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Delete the child groups too, deepest first.
    #[arg(short, long)]
    pub recursive: bool,
    /// The groups.
    #[arg(required = true)]
    pub groups: Vec<String>,
}

/// `tcgroup exec`.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The group.
    pub group: String,
    /// The command and its arguments (after --).
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `tcgroup classify`.
#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// Move single threads (through tasks) rather than whole processes (cgroup.procs).
    #[arg(long)]
    pub thread: bool,
    /// The group.
    pub group: String,
    /// The processes (thread ids with --thread).
    #[arg(required = true)]
    pub pids: Vec<u32>,
}

/// `tcgroup kill`.
#[derive(Args, Debug)]
pub struct KillArgs {
    /// The group (not the root).
    pub group: String,
}

/// `tcgroup ls` and `tcgroup tree`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Machine-readable output (JSON).
    #[arg(long)]
    pub json: bool,
    /// The group to start from (default: the root of every hierarchy, or of -H's).
    pub group: Option<String>,
}

/// `tcgroup which`.
#[derive(Args, Debug)]
pub struct WhichArgs {
    /// Machine-readable output (JSON).
    #[arg(long)]
    pub json: bool,
    /// The task (default: this one).
    pub pid: Option<u32>,
}

/// `tcgroup watch`.
#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Machine-readable output (JSON Lines).
    #[arg(long)]
    pub json: bool,
    /// Exit after this many records (releases and losses).
    #[arg(short = 'n', long, value_name = "N")]
    pub count: Option<u64>,
    /// The queue size of this reader, in records (the kernel's default: 16384).
    #[arg(short, long, value_name = "RECORDS")]
    pub queue: Option<u32>,
}

/// `tcgroup agent`.
#[derive(Args, Debug)]
pub struct AgentArgs {
    /// The configuration file.
    #[arg(short, long, default_value = agent::DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// The path the kernel ran the agent by (set when run as tcgroup-agent).
    #[arg(long, hide = true)]
    pub argv0: Option<String>,
    /// The released group's path, as the kernel passes it.
    pub group: String,
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<()> {
    let h = cli.hierarchy.as_deref();
    match cli.command {
        Command::Mount(a) => mount(a),
        Command::Create(a) => create(h, a),
        Command::Delete(a) => delete(h, a),
        Command::Exec(a) => exec(h, a),
        Command::Classify(a) => classify(h, a),
        Command::Kill(a) => kill(h, a),
        Command::Ls(a) => list(h, a, false),
        Command::Tree(a) => list(h, a, true),
        Command::Which(a) => which(a),
        Command::Watch(a) => watch(h, a),
        Command::Agent(a) => run_agent(h, a),
        Command::Gen { what } => generate(what),
    }
}

/// The mounts, or an error that says why they cannot be read.
fn mounts() -> Result<Vec<Mount>> {
    mountinfo::read().map_err(|e| {
        failure(
            EXIT_FAILED,
            format!("cannot read /proc/self/mountinfo: {}", errno_text(&e)),
        )
    })
}

/// An `io::Error` of an operation, with the exit status it gives.
fn io_failure(what: String, e: &std::io::Error) -> anyhow::Error {
    let code = if e.kind() == std::io::ErrorKind::NotFound
        || e.raw_os_error() == Some(rustix::io::Errno::SRCH.raw_os_error())
    {
        EXIT_NOT_FOUND
    } else {
        EXIT_FAILED
    };
    failure(code, format!("{what}: {}", errno_text(e)))
}

/// Whether the kernel knows the file system type `t`.
fn fs_known(t: &str) -> bool {
    std::fs::read_to_string("/proc/filesystems")
        .map(|s| s.lines().any(|l| l.split_whitespace().last() == Some(t)))
        .unwrap_or(false)
}

fn mount(a: MountArgs) -> Result<()> {
    let (fstype, default_dir) = match a.fstype {
        MountType::Tcgroup => ("tcgroup", Some(PathBuf::from("/sys/fs/tcgroup"))),
        MountType::Cgroup => ("cgroup", None),
    };
    let dir = a.dir.or(default_dir).ok_or_else(|| {
        failure(
            EXIT_USAGE,
            "a cgroup v1 hierarchy needs a directory to mount on",
        )
    })?;
    if a.name.is_none() && !a.debug {
        return Err(failure(
            EXIT_USAGE,
            "a hierarchy needs a name (--name) or the debug subsystem (--debug)",
        ));
    }
    if a.debug && matches!(a.fstype, MountType::Cgroup) {
        return Err(failure(
            EXIT_USAGE,
            "--debug binds tcgroup's debug subsystem; use -o for v1 controllers",
        ));
    }
    if let Some(agent) = &a.agent
        && !agent.starts_with('/')
    {
        return Err(failure(
            EXIT_USAGE,
            format!("the release agent must be an absolute path: {agent}"),
        ));
    }
    if fstype == "tcgroup" && !fs_known("tcgroup") {
        let status = std::process::Command::new("modprobe")
            .arg("tcgroup")
            .status()
            .map_err(|e| io_failure("cannot run modprobe tcgroup".into(), &e))?;
        if !status.success() || !fs_known("tcgroup") {
            return Err(failure(
                EXIT_FAILED,
                "the tcgroup module is not loaded and 'modprobe tcgroup' failed",
            ));
        }
    }
    let mut opts = vec![if a.debug { "debug" } else { "none" }.to_string()];
    if let Some(n) = &a.name {
        opts.push(format!("name={n}"));
    }
    if let Some(agent) = &a.agent {
        opts.push(format!("release_agent={agent}"));
    }
    if let Some(o) = &a.options {
        opts.extend(o.split(',').filter(|s| !s.is_empty()).map(String::from));
    }
    let data = opts.join(",");
    if !dir.exists() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| io_failure(format!("cannot create {}", dir.display()), &e))?;
    }
    let cdata = std::ffi::CString::new(data.clone())
        .map_err(|_| failure(EXIT_USAGE, "a mount option holds a NUL byte"))?;
    rustix::mount::mount(
        "none",
        &dir,
        fstype,
        rustix::mount::MountFlags::empty(),
        cdata.as_c_str(),
    )
    .map_err(|e| {
        let e = std::io::Error::from(e);
        let hint = match e.raw_os_error() {
            Some(16) => " (a hierarchy of that name exists with other options, or the subsystem is bound elsewhere)",
            Some(22) => " (see the kernel log for the option the file system refused)",
            _ => "",
        };
        failure(
            if e.raw_os_error() == Some(2) { EXIT_NOT_FOUND } else { EXIT_FAILED },
            format!(
                "cannot mount {fstype} -o {data} on {}: {}{hint}",
                dir.display(),
                errno_text(&e)
            ),
        )
    })
}

/// Writes `value` to the control file `file` of `g` in one write.
fn write_file(g: &Group, file: &str, value: &str) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).open(g.dir.join(file))?;
    f.write_all(value.as_bytes())
}

fn create(h: Option<&str>, a: CreateArgs) -> Result<()> {
    let mounts = mounts()?;
    for arg in &a.groups {
        let g = groups::resolve(&mounts, h, arg)?;
        let r = if a.parents {
            std::fs::create_dir_all(&g.dir)
        } else {
            std::fs::create_dir(&g.dir)
        };
        r.map_err(|e| io_failure(format!("cannot create {}", g.path), &e))?;
        if a.notify {
            write_file(&g, "notify_on_release", "1").map_err(|e| {
                io_failure(format!("cannot set notify_on_release of {}", g.path), &e)
            })?;
        }
    }
    Ok(())
}

fn delete(h: Option<&str>, a: DeleteArgs) -> Result<()> {
    let mounts = mounts()?;
    for arg in &a.groups {
        let g = groups::resolve(&mounts, h, arg)?;
        if g.path == "/" {
            return Err(failure(
                EXIT_USAGE,
                "cannot delete a hierarchy's root group (unmount it instead)",
            ));
        }
        let list = if a.recursive {
            groups::walk(&g).map_err(|e| io_failure(format!("cannot list {}", g.path), &e))?
        } else {
            vec![g]
        };
        for g in list.iter().rev() {
            std::fs::remove_dir(&g.dir).map_err(|e| {
                let why = match e.raw_os_error() {
                    Some(16) if !a.recursive => {
                        " (it has tasks or child groups; -r deletes child groups)"
                    }
                    Some(16) => " (it has tasks)",
                    _ => "",
                };
                failure(
                    if e.kind() == std::io::ErrorKind::NotFound {
                        EXIT_NOT_FOUND
                    } else {
                        EXIT_FAILED
                    },
                    format!("cannot delete {}: {}{why}", g.path, errno_text(&e)),
                )
            })?;
        }
    }
    Ok(())
}

/// The reason a move was refused, for `EACCES`: who owns the file.
fn move_hint(file: &Path, e: &std::io::Error) -> String {
    if e.raw_os_error() != Some(13) {
        return match e.raw_os_error() {
            Some(3) => " (no such task)".into(),
            Some(22) => " (a kernel thread, or not a task id)".into(),
            _ => String::new(),
        };
    }
    match std::fs::metadata(file) {
        Ok(m) if m.uid() != rustix::process::geteuid().as_raw() => {
            format!(" ({} is owned by uid {})", file_name(file), m.uid())
        }
        Ok(_) => " (the task belongs to another user)".into(),
        Err(_) => String::new(),
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Moves `pid` (a process, or a thread through `tasks`) into `g`.
fn move_task(g: &Group, pid: u32, thread: bool) -> Result<()> {
    let file = if thread { "tasks" } else { "cgroup.procs" };
    write_file(g, file, &pid.to_string()).map_err(|e| {
        let hint = move_hint(&g.dir.join(file), &e);
        failure(
            if matches!(e.raw_os_error(), Some(2) | Some(3)) {
                EXIT_NOT_FOUND
            } else {
                EXIT_FAILED
            },
            format!(
                "cannot move {pid} into {}: {}{hint}",
                g.path,
                errno_text(&e)
            ),
        )
    })
}

fn exec(h: Option<&str>, a: ExecArgs) -> Result<()> {
    let mounts = mounts()?;
    let g = groups::resolve(&mounts, h, &a.group)?;
    move_task(&g, std::process::id(), false)?;
    let e = std::process::Command::new(&a.command[0])
        .args(&a.command[1..])
        .exec();
    let code = if e.kind() == std::io::ErrorKind::NotFound {
        EXIT_NO_COMMAND
    } else {
        EXIT_CANNOT_EXEC
    };
    Err(failure(
        code,
        format!("cannot run {}: {}", a.command[0], errno_text(&e)),
    ))
}

fn kill(h: Option<&str>, a: KillArgs) -> Result<()> {
    let mounts = mounts()?;
    let g = groups::resolve(&mounts, h, &a.group)?;
    if g.mount.fstype != FsType::Tcgroup {
        return Err(failure(
            EXIT_FAILED,
            format!(
                "cannot kill {}: a cgroup v1 hierarchy has no cgroup.kill",
                g.path
            ),
        ));
    }
    if g.path == "/" {
        return Err(failure(
            EXIT_USAGE,
            "cannot kill the root group: it holds every task not in a child group".to_string(),
        ));
    }
    write_file(&g, "cgroup.kill", "1")
        .map_err(|e| io_failure(format!("cannot kill {}", g.path), &e))
}

fn watch(h: Option<&str>, a: WatchArgs) -> Result<()> {
    use std::io::BufRead;

    let mounts = mounts()?;
    let g = groups::resolve(&mounts, h, "/")?;
    if g.mount.fstype != FsType::Tcgroup {
        return Err(failure(
            EXIT_FAILED,
            format!(
                "cannot watch {}: a cgroup v1 hierarchy has no release stream",
                g.mount.label()
            ),
        ));
    }
    let file = g.dir.join("release.stream");
    let mut f = OpenOptions::new()
        .read(true)
        .write(a.queue.is_some())
        .open(&file)
        .map_err(|e| io_failure(format!("cannot open {}", file.display()), &e))?;
    if let Some(q) = a.queue {
        f.write_all(q.to_string().as_bytes())
            .map_err(|e| io_failure(format!("cannot set the queue of {}", file.display()), &e))?;
    }
    let mut input = std::io::BufReader::new(f);
    let mut out = std::io::stdout().lock();
    let mut line = Vec::new();
    let mut seen = 0u64;
    while a.count.is_none_or(|n| seen < n) {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|e| io_failure(format!("cannot read {}", file.display()), &e))?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Err(failure(
                EXIT_FAILED,
                format!("{}: the stream ended", file.display()),
            ));
        }
        line.pop();
        let text = String::from_utf8_lossy(&line);
        let record = crate::stream::parse(&text).ok_or_else(|| {
            failure(
                EXIT_FAILED,
                format!("{}: unexpected line {text:?}", file.display()),
            )
        })?;
        let printed = if a.json {
            writeln!(out, "{}", serde_json::to_string(&record)?)
        } else {
            writeln!(out, "{text}")
        };
        // Each line as it comes, for a pipe; a closed pipe ends the watch.
        if printed.and_then(|()| out.flush()).is_err() {
            return Ok(());
        }
        seen += 1;
    }
    Ok(())
}

fn classify(h: Option<&str>, a: ClassifyArgs) -> Result<()> {
    let mounts = mounts()?;
    let g = groups::resolve(&mounts, h, &a.group)?;
    let mut first_err = None;
    for pid in a.pids {
        if let Err(e) = move_task(&g, pid, a.thread) {
            // Go on with the others, as cgclassify does; report each.
            eprintln!("tcgroup: {e}");
            first_err.get_or_insert(e);
        }
    }
    match first_err {
        None => Ok(()),
        Some(e) => {
            let code = e
                .downcast_ref::<crate::Failure>()
                .map_or(EXIT_FAILED, |f| f.code);
            // Already printed: exit with its status and no second message.
            std::process::exit(code.into())
        }
    }
}

/// The groups `ls` and `tree` start from.
fn list_roots(h: Option<&str>, group: Option<&str>) -> Result<Vec<Group>> {
    let mounts = mounts()?;
    Ok(match (group, h) {
        (Some(arg), _) => vec![groups::resolve(&mounts, h, arg)?],
        (None, Some(spec)) => vec![groups::resolve(&mounts, Some(spec), "/")?],
        (None, None) => groups::hierarchies(&mounts)
            .into_iter()
            .map(|m| Group {
                path: m.root.clone(),
                dir: m.mount_point.clone(),
                mount: m,
            })
            .collect(),
    })
}

fn read_info(g: &Group) -> Result<Info> {
    groups::info(g).map_err(|e| io_failure(format!("cannot read {}", g.path), &e))
}

/// A group and its descendants as nested [`Info`].
fn info_tree(g: &Group) -> Result<Info> {
    let mut i = read_info(g)?;
    let kids =
        groups::children(g).map_err(|e| io_failure(format!("cannot list {}", g.path), &e))?;
    i.children = Some(kids.iter().map(info_tree).collect::<Result<_>>()?);
    Ok(i)
}

/// The flags column of `ls` and `tree`.
pub fn flags(i: &Info) -> String {
    let mut f = Vec::new();
    if i.notify_on_release {
        f.push("notify");
    }
    if i.releasable == Some(true) {
        f.push("releasable");
    }
    if f.is_empty() {
        "-".into()
    } else {
        f.join(",")
    }
}

/// `ls`'s table: a header, then one line per group.
pub fn format_table(rows: &[Info]) -> String {
    let head = ["HIERARCHY", "GROUP", "TASKS", "PROCS", "FLAGS"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|i| {
            [
                i.hierarchy.clone(),
                i.path.clone(),
                i.tasks.to_string(),
                i.procs.to_string(),
                flags(i),
            ]
        })
        .collect();
    let mut w = head.map(str::len);
    for c in &cells {
        for (k, s) in c.iter().enumerate() {
            w[k] = w[k].max(s.len());
        }
    }
    let mut out = String::new();
    let mut line = |c: [&str; 5]| {
        let s = format!(
            "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {}",
            c[0],
            c[1],
            c[2],
            c[3],
            c[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3]
        );
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(head);
    for c in &cells {
        line([&c[0], &c[1], &c[2], &c[3], &c[4]]);
    }
    out
}

/// `tree`'s drawing of one hierarchy.
pub fn format_tree(root: &Info) -> String {
    fn node(i: &Info, prefix: &str, last: bool, top: bool, out: &mut String) {
        let name = if top {
            i.path.clone()
        } else {
            i.path.rsplit('/').next().unwrap_or("").to_string()
        };
        let branch = if top {
            ""
        } else if last {
            "`-- "
        } else {
            "|-- "
        };
        out.push_str(&format!(
            "{prefix}{branch}{name}  tasks={} procs={} [{}]\n",
            i.tasks,
            i.procs,
            flags(i)
        ));
        let kids = i.children.as_deref().unwrap_or(&[]);
        let sub = if top {
            String::new()
        } else if last {
            format!("{prefix}    ")
        } else {
            format!("{prefix}|   ")
        };
        for (k, c) in kids.iter().enumerate() {
            node(c, &sub, k + 1 == kids.len(), false, out);
        }
    }
    let mut out = format!("{} ({})\n", root.hierarchy, root.fs.as_str());
    node(root, "", true, true, &mut out);
    out
}

fn print_json<T: Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn list(h: Option<&str>, a: ListArgs, tree: bool) -> Result<()> {
    let roots = list_roots(h, a.group.as_deref())?;
    if tree {
        let trees: Vec<Info> = roots.iter().map(info_tree).collect::<Result<_>>()?;
        if a.json {
            return print_json(&trees);
        }
        for t in &trees {
            print!("{}", format_tree(t));
        }
        return Ok(());
    }
    let mut rows = Vec::new();
    for r in &roots {
        for g in groups::walk(r).map_err(|e| io_failure(format!("cannot list {}", r.path), &e))? {
            rows.push(read_info(&g)?);
        }
    }
    if a.json {
        return print_json(&rows);
    }
    print!("{}", format_table(&rows));
    Ok(())
}

/// One line of `which --json`.
#[derive(Serialize)]
struct WhichLine {
    fs: &'static str,
    #[serde(flatten)]
    membership: Membership,
}

/// The task's tcgroup lines, through `membership.lookup` of a mounted
/// tcgroup hierarchy (any: the file is module-wide); none if none is mounted.
fn tcgroup_lines(mounts: &[Mount], pid: u32) -> Result<Vec<Membership>> {
    let Some(m) = mounts
        .iter()
        .find(|m| m.fstype == FsType::Tcgroup && m.root == "/")
    else {
        return Ok(Vec::new());
    };
    let file = m.mount_point.join("membership.lookup");
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&file)
        .map_err(|e| io_failure(format!("cannot open {}", file.display()), &e))?;
    // The write selects the task; it leaves the offset at 0 for the read.
    f.write_all(pid.to_string().as_bytes())
        .map_err(|e| io_failure(format!("cannot look up task {pid}"), &e))?;
    let mut text = String::new();
    f.read_to_string(&mut text)
        .map_err(|e| io_failure(format!("cannot look up task {pid}"), &e))?;
    Membership::parse_all(&text)
        .map_err(|e| failure(EXIT_FAILED, format!("{}: {e}", file.display())))
}

fn which(a: WhichArgs) -> Result<()> {
    let mounts = mounts()?;
    let pid = a.pid.unwrap_or_else(std::process::id);
    let proc = format!("/proc/{pid}/cgroup");
    let v1 = std::fs::read_to_string(&proc).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            failure(EXIT_NOT_FOUND, format!("no task {pid}"))
        } else {
            io_failure(format!("cannot read {proc}"), &e)
        }
    })?;
    let v1 =
        Membership::parse_all(&v1).map_err(|e| failure(EXIT_FAILED, format!("{proc}: {e}")))?;
    let tc = tcgroup_lines(&mounts, pid)?;
    let lines: Vec<WhichLine> = tc
        .into_iter()
        .map(|m| WhichLine {
            fs: "tcgroup",
            membership: m,
        })
        .chain(v1.into_iter().map(|m| WhichLine {
            fs: if m.id == 0 && m.subsystems.is_empty() && m.name.is_none() {
                "cgroup2"
            } else {
                "cgroup"
            },
            membership: m,
        }))
        .collect();
    if a.json {
        return print_json(&lines);
    }
    for l in &lines {
        println!("{}", l.membership);
    }
    Ok(())
}

fn run_agent(h: Option<&str>, a: AgentArgs) -> Result<()> {
    let (config, config_err) = match agent::Config::load(&a.config) {
        Ok(c) => (c, None),
        Err(e) => (agent::Config::default(), Some(e)),
    };
    let log = |msg: &str, failed: bool| {
        if !agent::log(config.log, msg, failed) {
            // Run by hand, at least the terminal sees it.
            eprintln!("tcgroup-agent: {msg}");
        }
    };
    if let Some(e) = &config_err {
        log(&format!("{e}; not pruning"), true);
    }
    let mounts = mounts()?;
    let argv0 = a
        .argv0
        .clone()
        .or_else(|| std::env::args().next())
        .unwrap_or_default();
    let exe = std::fs::read_link("/proc/self/exe").ok();
    let path = crate::groups::normalize(&a.group)?;
    let own: Vec<Mount> = match h {
        Some(spec) => vec![groups::by_name(&mounts, spec)?],
        None => agent::own_hierarchies(&mounts, &argv0, exe.as_deref())
            .into_iter()
            .cloned()
            .collect(),
    };
    let prune = config.prune && config_err.is_none();
    if own.len() != 1 {
        let names: Vec<String> = own.iter().map(|m| m.label()).collect();
        let why = if own.is_empty() {
            "no mounted hierarchy names this agent".to_string()
        } else {
            format!("hierarchies {} all name this agent", names.join(", "))
        };
        log(
            &format!(
                "{path} released{}",
                if prune {
                    format!(" (not pruned: {why})")
                } else {
                    String::new()
                }
            ),
            false,
        );
        return Ok(());
    }
    let m = &own[0];
    let label = format!("{}:{path}", m.label());
    if !prune {
        log(&format!("{label} released"), false);
        return Ok(());
    }
    let Some(dir) = m.dir_of(&path) else {
        log(
            &format!("{label} released (not pruned: outside the mounted subtree)"),
            false,
        );
        return Ok(());
    };
    match agent::prune(&dir) {
        Ok(agent::Pruned::Removed) => log(&format!("{label} released, removed"), false),
        Ok(agent::Pruned::Busy) => log(&format!("{label} released, kept: in use again"), false),
        Ok(agent::Pruned::Gone) => log(&format!("{label} released, already removed"), false),
        Err(e) => {
            let msg = format!("{label} released, cannot remove it: {}", errno_text(&e));
            log(&msg, true);
            return Err(failure(EXIT_FAILED, msg));
        }
    }
    Ok(())
}

fn generate(what: Gen) -> Result<()> {
    let cmd = Cli::command();
    match what {
        Gen::Man { dir } => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| io_failure(format!("cannot create {}", dir.display()), &e))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("writing manual pages into {}", dir.display()))?;
        }
        Gen::Completions { shell } => {
            let mut cmd = cmd;
            clap_complete::generate(shell, &mut cmd, "tcgroup", &mut std::io::stdout());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(path: &str, tasks: usize, notify: bool, kids: Option<Vec<Info>>) -> Info {
        Info {
            hierarchy: "jobs".into(),
            fs: FsType::Tcgroup,
            path: path.into(),
            tasks,
            procs: tasks,
            notify_on_release: notify,
            releasable: Some(false),
            children: kids,
        }
    }

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_and_manual_agree() {
        let mut help = Vec::new();
        Cli::command().write_long_help(&mut help).unwrap();
        let help = String::from_utf8(help).unwrap();
        let mut man = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut man)
            .unwrap();
        let man = String::from_utf8(man).unwrap();
        for text in [
            "127  exec: the command was not found",
            "3    no such hierarchy, group or task",
            "Groups are paths from a hierarchy",
        ] {
            assert!(help.contains(text), "--help lacks {text:?}");
            assert!(man.contains(text), "the manual page lacks {text:?}");
        }
    }

    #[test]
    fn parses_exec() {
        let c = Cli::try_parse_from(["tcgroup", "-H", "jobs", "exec", "/a", "--", "sh", "-c", "x"])
            .unwrap();
        assert_eq!(c.hierarchy.as_deref(), Some("jobs"));
        match c.command {
            Command::Exec(e) => {
                assert_eq!(e.group, "/a");
                assert_eq!(e.command, ["sh", "-c", "x"]);
            }
            _ => panic!("not exec"),
        }
        assert!(Cli::try_parse_from(["tcgroup", "exec", "/a"]).is_err());
    }

    #[test]
    fn table() {
        let rows = [info("/", 57, false, None), info("/a", 1, true, None)];
        assert_eq!(
            format_table(&rows),
            "HIERARCHY  GROUP  TASKS  PROCS  FLAGS\n\
             jobs       /         57     57  -\n\
             jobs       /a         1      1  notify\n"
        );
    }

    #[test]
    fn tree_drawing() {
        let t = info(
            "/",
            3,
            false,
            Some(vec![
                info(
                    "/a",
                    1,
                    true,
                    Some(vec![info("/a/b", 0, true, Some(vec![]))]),
                ),
                info("/c", 0, false, Some(vec![])),
            ]),
        );
        assert_eq!(
            format_tree(&t),
            "jobs (tcgroup)\n\
             /  tasks=3 procs=3 [-]\n\
             |-- a  tasks=1 procs=1 [notify]\n\
             |   `-- b  tasks=0 procs=0 [notify]\n\
             `-- c  tasks=0 procs=0 [-]\n"
        );
        let j = serde_json::to_value(&t).unwrap();
        assert_eq!(j["children"][0]["path"], "/a");
        assert_eq!(j["children"][0]["notify_on_release"], true);
        assert_eq!(j["fs"], "tcgroup");
    }
}
