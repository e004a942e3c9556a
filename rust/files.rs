// SPDX-License-Identifier: GPL-2.0

//! Control files: the files in every group directory, their contents and their writes.
//!
//! Names, modes and formats follow cgroup v1 (`cgroup1_base_files` in
//! `kernel/cgroup/cgroup-v1.c`); `releasable` and the `debug` subsystem's files are tcgroup's.

use crate::{
    compat::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        prelude::*,
        ARef,
        CString, //
    },
    group::{
        Group,
        NR_FILES, //
    },
    hierarchy::{
        Hierarchy,
        HIERARCHIES,
        RELEASE_AGENT_MAX,
        SUBSYS_DEBUG, //
    },
    kill, membership, release,
    stream::Subscription,
    sync::TCGROUP_MUTEX,
    task::{
        self,
        PidRef, //
    },
    vfs::{
        self,
        FileCred, //
    },
};
use core::pin::Pin;
use kernel::{
    new_spinlock,
    sync::{
        Arc,
        SpinLock, //
    },
    task::Task,
};

/// A control file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum CFile {
    /// `cgroup.procs`: the thread-group ids of the tasks.
    Procs,
    /// `cgroup.clone_children`.
    CloneChildren,
    /// `notify_on_release`.
    NotifyOnRelease,
    /// `tasks`: the thread ids of the tasks.
    Tasks,
    /// `releasable` (tcgroup's; the 2007 commit's debugging file).
    Releasable,
    /// `release_agent` (root only).
    ReleaseAgent,
    /// `cgroup.sane_behavior` (root only; always 0 on v1).
    SaneBehavior,
    /// `debug.taskcount`.
    DebugTaskcount,
    /// `debug.refcount`.
    DebugRefcount,
    /// `debug.releasable`.
    DebugReleasable,
    /// `debug.hold`: every open file description holds one reference.
    DebugHold,
    /// `cgroup.events`: `populated 0|1`, pollable (tcgroup's, after cgroup v2).
    Events,
    /// `release_agent.stats` (root only; tcgroup's): agent calls and failures.
    ReleaseAgentStats,
    /// `membership.stats` (root only; tcgroup's): the fork probe's reserve and failures, and
    /// the css_sets listed.
    MembershipStats,
    /// `membership.lookup` (root only; tcgroup's): a task's group in every hierarchy, in the
    /// format of `/proc/PID/cgroup`; the reader's, or that of the pid last written to the open
    /// file.
    MembershipLookup,
    /// `cgroup.kill` (not in the root; write-only; tcgroup's, after cgroup v2): `1` sends
    /// `SIGKILL` to every process of the group and of its descendants.
    Kill,
    /// `release.stream` (root only; tcgroup's): one line per release of any group of the
    /// hierarchy, read as a stream ([`crate::stream`]); a write sets the open file's queue size.
    ReleaseStream,
}

impl CFile {
    /// The number of control files: as many as a group has inode numbers for ([`ALL`] is
    /// checked to list exactly that many).
    ///
    /// [`ALL`]: CFile::ALL
    pub(crate) const COUNT: usize = NR_FILES;

    /// Every control file, in listing order.
    pub(crate) const ALL: [CFile; Self::COUNT] = [
        CFile::Procs,
        CFile::CloneChildren,
        CFile::NotifyOnRelease,
        CFile::Tasks,
        CFile::Releasable,
        CFile::ReleaseAgent,
        CFile::SaneBehavior,
        CFile::DebugTaskcount,
        CFile::DebugRefcount,
        CFile::DebugReleasable,
        CFile::DebugHold,
        CFile::Events,
        CFile::ReleaseAgentStats,
        CFile::MembershipStats,
        CFile::MembershipLookup,
        CFile::Kill,
        CFile::ReleaseStream,
    ];

    /// The position in [`CFile::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The subsystem the file belongs to (0 for the base files).
    fn subsys(self) -> u32 {
        match self {
            CFile::DebugTaskcount
            | CFile::DebugRefcount
            | CFile::DebugReleasable
            | CFile::DebugHold => SUBSYS_DEBUG,
            _ => 0,
        }
    }

    /// The name without a subsystem prefix.
    fn base_name(self) -> &'static [u8] {
        match self {
            CFile::Procs => b"cgroup.procs",
            CFile::CloneChildren => b"cgroup.clone_children",
            CFile::NotifyOnRelease => b"notify_on_release",
            CFile::Tasks => b"tasks",
            CFile::Releasable => b"releasable",
            CFile::ReleaseAgent => b"release_agent",
            CFile::SaneBehavior => b"cgroup.sane_behavior",
            CFile::DebugTaskcount => b"taskcount",
            CFile::DebugRefcount => b"refcount",
            CFile::DebugReleasable => b"releasable",
            CFile::DebugHold => b"hold",
            CFile::Events => b"cgroup.events",
            CFile::ReleaseAgentStats => b"release_agent.stats",
            CFile::MembershipStats => b"membership.stats",
            CFile::MembershipLookup => b"membership.lookup",
            CFile::Kill => b"cgroup.kill",
            CFile::ReleaseStream => b"release.stream",
        }
    }

    /// Whether the file's name is `name` in `hier`.
    pub(crate) fn is_named(self, hier: &Hierarchy, name: &[u8]) -> bool {
        let base = self.base_name();
        if self.subsys() == 0 || hier.noprefix {
            return name == base;
        }
        name.strip_prefix(b"debug.".as_slice()) == Some(base)
    }

    /// The name of the file in `hier`.
    pub(crate) fn name(self, hier: &Hierarchy) -> Result<KVec<u8>> {
        let mut v = KVec::new();
        if self.subsys() != 0 && !hier.noprefix {
            v.extend_from_slice(b"debug.", GFP_KERNEL)?;
        }
        v.extend_from_slice(self.base_name(), GFP_KERNEL)?;
        Ok(v)
    }

    /// The permission bits: writable files are `0644`, the others `0444`; `membership.lookup`
    /// is `0666`, since anyone may look up a task they can see, as anyone may read
    /// `/proc/PID/cgroup` (a write there changes nothing but the open file's own state), and
    /// `cgroup.kill` is write-only, `0200`, as in v2; `release.stream` is the owner's only,
    /// `0600`, since every group's path passes there (as `release_agent`'s argument), and its
    /// open also needs `CAP_SYS_ADMIN` in the initial user namespace.
    pub(crate) fn mode(self) -> u16 {
        if self == CFile::MembershipLookup {
            0o666
        } else if self == CFile::Kill {
            0o200
        } else if self == CFile::ReleaseStream {
            0o600
        } else if self.writable() {
            0o644
        } else {
            0o444
        }
    }

    /// Whether the file takes writes.
    fn writable(self) -> bool {
        matches!(
            self,
            CFile::Procs
                | CFile::CloneChildren
                | CFile::NotifyOnRelease
                | CFile::Tasks
                | CFile::ReleaseAgent
                | CFile::MembershipLookup
                | CFile::Kill
                | CFile::ReleaseStream
        )
    }

    /// Whether `group` of `hier` has this file.
    ///
    /// Under `noprefix`, `debug.releasable` would be a second `releasable`; the base file,
    /// which shows the same flag, stands for both.
    pub(crate) fn exists_in(self, hier: &Hierarchy, group: &Group) -> bool {
        let root_only = matches!(
            self,
            CFile::ReleaseAgent
                | CFile::SaneBehavior
                | CFile::ReleaseAgentStats
                | CFile::MembershipStats
                | CFile::MembershipLookup
                | CFile::ReleaseStream
        );
        let shadowed = self == CFile::DebugReleasable && hier.noprefix;
        // As v2's `CFTYPE_NOT_ON_ROOT`: the root group holds every task not in a child group.
        let not_root = self == CFile::Kill;
        (!root_only || group.is_root())
            && (!not_root || !group.is_root())
            && (self.subsys() & !hier.subsys) == 0
            && !shadowed
    }
}

/// What a control file inode refers to.
pub(crate) struct Node {
    pub(crate) hier: Arc<Hierarchy>,
    pub(crate) group: Arc<Group>,
    pub(crate) file: CFile,
}

/// A subsystem-state reference on a group, held by an open `debug.hold`.
///
/// # Invariants
///
/// The value accounts for one in `group.refs`.
pub(crate) struct HoldRef {
    group: Arc<Group>,
}

impl Drop for HoldRef {
    fn drop(&mut self) {
        // By the type invariant this value owns one count.
        if self.group.refs.fetch_sub(1, Relaxed) == 1 {
            // The last reference went: the group had one and lost it.
            self.group.releasable.store(true, Relaxed);
            crate::release::check_locked(&self.group);
        }
    }
}

/// The per-open state of a control file.
pub(crate) enum Open {
    /// Nothing beyond the file.
    Plain,
    /// An open `cgroup.events`: the change count it last read (or saw at open).
    Events {
        /// The `events_seq` of the group when last read.
        seen: Atomic<u64>,
    },
    /// An open `debug.hold`, whose reference goes when the file is closed.
    Hold {
        /// The reference.
        _held: HoldRef,
    },
    /// An open `membership.lookup`.
    Lookup {
        /// The thread whose groups a read shows: the one last written, by its `struct pid`
        /// (so that a read never shows another task that reuses its number); `None` for the
        /// reader. Under the spinlock, taken alone.
        target: Pin<KBox<SpinLock<Option<PidRef>>>>,
    },
    /// An open `release.stream`: a reader of the hierarchy's stream until the file is closed.
    Stream(Subscription<Group>),
}

/// Opens `node`; `write` tells whether for writing, `cred` holds the opener's credentials.
///
/// As in v1, where every file has a write handler, a file without writes may be opened for
/// writing by whoever the mode bits let through; writes then fail with `EINVAL`.
pub(crate) fn open(node: &Node, _write: bool, cred: &FileCred<'_>) -> Result<Open> {
    if node.file == CFile::ReleaseStream {
        // Every group's path passes there, as `release_agent`'s argument: the opener must be
        // the initial namespace's administrator, as for writing `release_agent`.
        if !cred.initial_ns_admin() {
            return Err(EPERM);
        }
        return Ok(Open::Stream(Subscription::new(&node.group.stream)?));
    }
    if node.file == CFile::MembershipLookup {
        return Ok(Open::Lookup {
            target: KBox::pin_init(new_spinlock!(None, "tcgroup::Open::Lookup"), GFP_KERNEL)?,
        });
    }
    if node.file == CFile::Events {
        // As kernfs: changes before the open are not reported.
        return Ok(Open::Events {
            seen: Atomic::new(node.group.events_seq.load(Relaxed)),
        });
    }
    if node.file != CFile::DebugHold {
        return Ok(Open::Plain);
    }
    // Taken under the tree lock so that `rmdir` sees every reference or none.
    let guard = TCGROUP_MUTEX.lock();
    if node.group.tree.as_ref(&guard).removed {
        return Err(ENODEV);
    }
    node.group.refs.add(1, Relaxed);
    node.group.busied();
    // INVARIANT: The count was just taken.
    Ok(Open::Hold {
        _held: HoldRef {
            group: node.group.clone(),
        },
    })
}

/// Appends `0\n` or `1\n`.
fn show_bool(out: &mut KVec<u8>, v: bool) -> Result {
    out.extend_from_slice(if v { b"1\n" } else { b"0\n" }, GFP_KERNEL)?;
    Ok(())
}

/// Appends `n` in decimal and a newline.
fn show_usize(out: &mut KVec<u8>, n: usize) -> Result {
    let s = CString::try_from_fmt(fmt!("{n}\n"))?;
    out.extend_from_slice(s.to_bytes(), GFP_KERNEL)?;
    Ok(())
}

/// Appends the line of `/proc/PID/cgroup` for a group at `path` (empty for the root) of the
/// hierarchy `id` with the subsystems `subsys` and the name `name`, as v1's
/// `proc_cgroup_show()` writes it: `ID:SUBSYSTEMS,name=NAME:/PATH`.
fn show_cgroup_line(
    out: &mut KVec<u8>,
    id: u64,
    subsys: u32,
    name: Option<&[u8]>,
    path: &[u8],
) -> Result {
    let head = CString::try_from_fmt(fmt!("{id}:"))?;
    out.extend_from_slice(head.to_bytes(), GFP_KERNEL)?;
    let debug = subsys & SUBSYS_DEBUG != 0;
    if debug {
        out.extend_from_slice(b"debug", GFP_KERNEL)?;
    }
    if let Some(name) = name {
        if debug {
            out.push(b',', GFP_KERNEL)?;
        }
        out.extend_from_slice(b"name=", GFP_KERNEL)?;
        out.extend_from_slice(name, GFP_KERNEL)?;
    }
    out.push(b':', GFP_KERNEL)?;
    out.extend_from_slice(if path.is_empty() { b"/" } else { path }, GFP_KERNEL)?;
    out.push(b'\n', GFP_KERNEL)?;
    Ok(())
}

/// Appends `task`'s group in every hierarchy, one line each in increasing hierarchy id, as
/// `/proc/PID/cgroup` shows v1's. O(hierarchies x depth): the task's css_set is found in the
/// task map, each group's path by walking its ancestors.
fn show_lookup(task: &Task, out: &mut KVec<u8>) -> Result {
    // No move changes the task's groups under the tree lock, which the names of the groups
    // are under too; an exit may, and shows as the root groups.
    let guard = TCGROUP_MUTEX.lock();
    // An exiting task is shown in the root groups, as v1's `proc_cgroup_show()` shows it on
    // traditional hierarchies: its exit probe has taken its entry, or is about to.
    let groups = if task::is_exiting(task) {
        KVec::new()
    } else {
        membership::groups_of(task)?
    };
    for hier in HIERARCHIES.as_ref(&guard).iter() {
        let path = match groups.iter().find(|g| g.hier == hier.id) {
            Some(g) => release::path(&guard, g)?,
            None => CString::try_from_fmt(fmt!(""))?,
        };
        let name = hier.name.as_ref().map(|n| n.to_bytes());
        show_cgroup_line(out, hier.id, hier.subsys, name, path.to_bytes())?;
    }
    Ok(())
}

/// The task a read of an open `membership.lookup` shows: the one last written to it, or the
/// reader. `ESRCH` if the task written has been reaped since, or has no id in the reader's pid
/// namespace (the file was passed on).
fn lookup_target(open: &Open) -> Result<ARef<Task>> {
    let written = match open {
        Open::Lookup { target } => match target.lock().as_ref() {
            Some(pid) => Some(pid.task().ok_or(ESRCH)?),
            None => None,
        },
        _ => None,
    };
    let task = written.unwrap_or_else(|| ARef::from(crate::compat::current_task!()));
    if task::vpid(&task) == 0 {
        return Err(ESRCH);
    }
    Ok(task)
}

/// Generates the contents of `node` for reading.
///
/// The files of a removed group stay open but, as kernfs's deactivated nodes, give `ENODEV`.
pub(crate) fn show(node: &Node, open: &Open, out: &mut KVec<u8>) -> Result {
    let group = &node.group;
    if group.removed.load(Relaxed) {
        return Err(ENODEV);
    }
    match node.file {
        CFile::Events => {
            // Read first: a change while this read runs is reported to the next poll.
            if let Open::Events { seen } = open {
                seen.store(group.events_seq.load(Relaxed), Relaxed);
            }
            let populated = group.is_root() || group.has_tasks();
            out.extend_from_slice(b"populated ", GFP_KERNEL)?;
            show_bool(out, populated)
        }
        CFile::ReleaseAgentStats => {
            let stats = &node.hier.stats;
            let text = CString::try_from_fmt(fmt!(
                "launched {}\nfailed {}\nlast_error {}\n",
                stats.launched.load(Relaxed),
                stats.failed.load(Relaxed),
                stats.last_error.load(Relaxed)
            ))?;
            out.extend_from_slice(text.to_bytes(), GFP_KERNEL)?;
            Ok(())
        }
        CFile::MembershipStats => {
            // Module-wide: the same in every hierarchy's root.
            let (allocated, failed, reserved) = membership::fork_stats();
            let (entries, parked) = membership::entry_stats();
            let text = CString::try_from_fmt(fmt!(
                "fork_reserve {}\nfork_allocated {}\nfork_failed {}\ncss_sets {}\n\
                 task_entries {}\ntask_entries_parked {}\n",
                reserved,
                allocated,
                failed,
                membership::css_sets(),
                entries,
                parked
            ))?;
            out.extend_from_slice(text.to_bytes(), GFP_KERNEL)?;
            Ok(())
        }
        CFile::Procs | CFile::Tasks => {
            for id in membership::task_ids(node.hier.id, group, node.file == CFile::Procs)?.iter() {
                let line = CString::try_from_fmt(fmt!("{id}\n"))?;
                out.extend_from_slice(line.to_bytes(), GFP_KERNEL)?;
            }
            Ok(())
        }
        CFile::MembershipLookup => show_lookup(&*lookup_target(open)?, out),
        // Write-only: opened for reading only by whom the mode does not stop.
        CFile::Kill => Err(EINVAL),
        // Read as a stream, never through a snapshot.
        CFile::ReleaseStream => Err(EINVAL),
        CFile::DebugHold => Ok(()),
        CFile::CloneChildren => show_bool(out, group.clone_children.load(Relaxed)),
        CFile::NotifyOnRelease => show_bool(out, group.notify_on_release.load(Relaxed)),
        CFile::Releasable | CFile::DebugReleasable => {
            show_bool(out, group.releasable.load(Relaxed))
        }
        CFile::SaneBehavior => show_bool(out, false),
        CFile::DebugTaskcount => show_usize(out, membership::count(node.hier.id, group)?),
        CFile::DebugRefcount => show_usize(out, group.refs.load(Relaxed)),
        CFile::ReleaseAgent => {
            let agent = node.hier.release_agent()?;
            out.extend_from_slice(&agent, GFP_KERNEL)?;
            out.push(b'\n', GFP_KERNEL)?;
            Ok(())
        }
    }
}

/// Whether `c` is white space for the kernel's `isspace()` (`lib/ctype.c`), which `strstrip()`
/// removes: the ASCII ones, vertical tab included, and Latin-1's no-break space.
fn is_kernel_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

/// `strstrip()`: `s` without leading and trailing white space.
pub(crate) fn strip(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|&c| !is_kernel_space(c))
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&c| !is_kernel_space(c))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

/// Parses a pid written to `tasks` or `cgroup.procs` as v1's `cgroup_procs_write_start()`
/// does: `kstrtoint(strstrip(buf), 0)`, and any failure (not a number, an overflow) or a
/// negative value is `EINVAL` (only the copy's `ENOMEM` passes). `-0` is `0`, the writer.
fn parse_pid(buf: &[u8]) -> Result<i32> {
    match vfs::parse_i32(strip(buf)) {
        Ok(pid) if pid >= 0 => Ok(pid),
        Err(e) if e == ENOMEM => Err(e),
        Ok(_) | Err(_) => Err(EINVAL),
    }
}

/// The longest write `node` takes: `release_agent` is one path (`E2BIG` beyond it, as v1's
/// `max_write_len`); other writes are cut to a page.
pub(crate) fn max_write(node: &Node) -> Option<usize> {
    (node.file == CFile::ReleaseAgent).then_some(RELEASE_AGENT_MAX)
}

/// Whether `open` of `node` has a change to report to `poll()`: a removed group's
/// `cgroup.events` always has (the next read fails with `ENODEV`).
pub(crate) fn poll_pending(node: &Node, open: &Open) -> bool {
    match open {
        Open::Events { .. } if node.group.removed.load(Relaxed) => true,
        Open::Events { seen } => seen.load(Relaxed) != node.group.events_seq.load(Relaxed),
        _ => false,
    }
}

/// Handles a write to `node`, open as `open`.
///
/// Writes to the files of a removed group give `ENODEV`, as in v1.
pub(crate) fn write(node: &Node, open: &Open, buf: &[u8], cred: &FileCred<'_>) -> Result {
    let group = &node.group;
    if group.removed.load(Relaxed) {
        return Err(ENODEV);
    }
    match node.file {
        CFile::NotifyOnRelease => {
            // As v1's `write_u64`: `kstrtoull(buf, 0)`, no stripping beyond one newline.
            let v = vfs::parse_u64(buf)? != 0;
            // As the 2007 commit: writing the flag clears `releasable`.
            group.releasable.store(false, Relaxed);
            group.notify_on_release.store(v, Relaxed);
            Ok(())
        }
        CFile::CloneChildren => {
            let v = vfs::parse_u64(buf)? != 0;
            group.clone_children.store(v, Relaxed);
            Ok(())
        }
        CFile::ReleaseAgent => {
            // The agent runs with full privileges (CVE-2022-0492): the opener must be the
            // initial namespace's administrator, as for `release_agent=`.
            if !cred.initial_ns_admin() {
                return Err(EPERM);
            }
            node.hier.set_release_agent(strip(buf))
        }
        CFile::Tasks => membership::attach(node.hier.id, group, parse_pid(buf)?, false, cred),
        CFile::Procs => membership::attach(node.hier.id, group, parse_pid(buf)?, true, cred),
        CFile::Kill => {
            // As v2's `cgroup_kill_write()`: `kstrtoint(strstrip(buf), 0)`, whose errors pass
            // (`EINVAL`, `ERANGE`), and any number but 1 is `ERANGE`.
            if vfs::parse_i32(strip(buf))? != 1 {
                return Err(ERANGE);
            }
            kill::kill(node.hier.id, group)
        }
        CFile::ReleaseStream => {
            // The queue size of this open file, `kstrtoull(strstrip(buf), 0)`.
            let size = usize::try_from(vfs::parse_u64(strip(buf))?).map_err(|_| EINVAL)?;
            match open {
                Open::Stream(sub) => sub.resize(size),
                _ => Err(EINVAL),
            }
        }
        CFile::MembershipLookup => {
            // The thread of that id in the writer's pid namespace, as `tasks` reads it; `0`:
            // the reader again.
            let pid = parse_pid(buf)?;
            let new = match pid {
                0 => None,
                _ => Some(PidRef::find_vpid(pid).ok_or(ESRCH)?),
            };
            if let Open::Lookup { target } = open {
                // The old reference goes after the lock.
                let _old = core::mem::replace(&mut *target.lock(), new);
            }
            Ok(())
        }
        _ => Err(EINVAL),
    }
}

/// Creates the node of `file` in `group` of `hier`.
pub(crate) fn node(hier: &Arc<Hierarchy>, group: &Arc<Group>, file: CFile) -> Result<Arc<Node>> {
    Ok(Arc::new(
        Node {
            hier: hier.clone(),
            group: group.clone(),
            file,
        },
        GFP_KERNEL,
    )?)
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_files)]
mod tests {
    use super::*;

    #[test]
    fn strip_empty_and_blank() {
        assert_eq!(strip(b""), b"");
        assert_eq!(strip(b" "), b"");
        assert_eq!(strip(b" \t\n\x0b\x0c\r"), b"");
    }

    #[test]
    fn strip_both_ends_keeps_inner_space() {
        assert_eq!(strip(b"  /sbin/agent\n"), b"/sbin/agent");
        assert_eq!(strip(b"\t/a b/c \r\n"), b"/a b/c");
        assert_eq!(strip(b"x"), b"x");
        assert_eq!(strip(b"\nx\n"), b"x");
    }

    #[test]
    fn strip_kernel_isspace_set() {
        // `isspace()` of `lib/ctype.c` counts Latin-1's no-break space, not other high bytes,
        // and not NUL.
        assert_eq!(strip(b"\xa0/a\xa0"), b"/a");
        assert_eq!(strip(b"\xa1/a\xff"), b"\xa1/a\xff");
        assert_eq!(strip(b"\0/a\0"), b"\0/a\0");
        assert!(is_kernel_space(0x0b) && is_kernel_space(0x0c) && !is_kernel_space(0x85));
    }

    #[test]
    fn cfile_all_in_index_order() {
        assert_eq!(CFile::ALL.len(), CFile::COUNT);
        for (i, f) in CFile::ALL.iter().enumerate() {
            assert_eq!(f.index(), i);
        }
    }

    #[test]
    fn cfile_names_and_modes_as_documented() {
        // Documentation/tcgroup.rst, "Control files": name without prefix, mode, subsystem.
        let table: [(CFile, &[u8], u16, u32); CFile::COUNT] = [
            (CFile::Procs, b"cgroup.procs", 0o644, 0),
            (CFile::CloneChildren, b"cgroup.clone_children", 0o644, 0),
            (CFile::NotifyOnRelease, b"notify_on_release", 0o644, 0),
            (CFile::Tasks, b"tasks", 0o644, 0),
            (CFile::Releasable, b"releasable", 0o444, 0),
            (CFile::ReleaseAgent, b"release_agent", 0o644, 0),
            (CFile::SaneBehavior, b"cgroup.sane_behavior", 0o444, 0),
            (CFile::DebugTaskcount, b"taskcount", 0o444, SUBSYS_DEBUG),
            (CFile::DebugRefcount, b"refcount", 0o444, SUBSYS_DEBUG),
            (CFile::DebugReleasable, b"releasable", 0o444, SUBSYS_DEBUG),
            (CFile::DebugHold, b"hold", 0o444, SUBSYS_DEBUG),
            (CFile::Events, b"cgroup.events", 0o444, 0),
            (CFile::ReleaseAgentStats, b"release_agent.stats", 0o444, 0),
            (CFile::MembershipStats, b"membership.stats", 0o444, 0),
            (CFile::MembershipLookup, b"membership.lookup", 0o666, 0),
            (CFile::Kill, b"cgroup.kill", 0o200, 0),
            (CFile::ReleaseStream, b"release.stream", 0o600, 0),
        ];
        for (f, name, mode, subsys) in table {
            assert_eq!(f.base_name(), name);
            assert_eq!(f.mode(), mode);
            assert_eq!(f.subsys(), subsys);
        }
    }

    /// A hierarchy's id, subsystems and name, and a group's path, as [`show_cgroup_line`]
    /// takes them.
    type Line<'a> = (u64, u32, Option<&'a [u8]>, &'a [u8]);

    /// The lines of [`show_cgroup_line`] for `lines`.
    fn cgroup_lines(lines: &[Line<'_>]) -> Result<KVec<u8>> {
        let mut out = KVec::new();
        for (id, subsys, name, path) in lines {
            show_cgroup_line(&mut out, *id, *subsys, *name, path)?;
        }
        Ok(out)
    }

    #[test]
    fn cgroup_line_as_v1_formats_it() -> Result {
        // `proc_cgroup_show()`: the subsystems, then `name=`, comma-separated; the root is `/`.
        assert_eq!(
            &cgroup_lines(&[
                (1, 0, Some(b"sys"), b"/jobs/a"),
                (2, SUBSYS_DEBUG, Some(b"dbg"), b""),
                (3, SUBSYS_DEBUG, None, b"/x"),
                (12, 0, Some(b"a b"), b"/\xc3\xa9"),
            ])?[..],
            b"1:name=sys:/jobs/a\n2:debug,name=dbg:/\n3:debug:/x\n12:name=a b:/\xc3\xa9\n"
        );
        Ok(())
    }

    #[test]
    fn parse_pid_zero_is_the_writer() {
        assert_eq!(parse_pid(b"0"), Ok(0));
        assert_eq!(parse_pid(b"0\n"), Ok(0));
        // `kstrtoint` takes a sign: `-0` is `0`, not a negative id.
        assert_eq!(parse_pid(b"-0"), Ok(0));
        assert_eq!(parse_pid(b"+0"), Ok(0));
    }

    #[test]
    fn parse_pid_strips_white_space() {
        assert_eq!(parse_pid(b"42"), Ok(42));
        assert_eq!(parse_pid(b"  42 \n"), Ok(42));
        assert_eq!(parse_pid(b"\t+5\r\n"), Ok(5));
        assert_eq!(parse_pid(b"42\n\n"), Ok(42));
    }

    #[test]
    fn parse_pid_bases() {
        assert_eq!(parse_pid(b"0x10"), Ok(16));
        assert_eq!(parse_pid(b"010"), Ok(8));
    }

    #[test]
    fn parse_pid_negative_is_einval() {
        assert_eq!(parse_pid(b"-1"), Err(EINVAL));
        assert_eq!(parse_pid(b"-2147483648"), Err(EINVAL));
    }

    #[test]
    fn parse_pid_overflow_is_einval_not_erange() {
        assert_eq!(parse_pid(b"2147483647"), Ok(i32::MAX));
        assert_eq!(parse_pid(b"2147483648"), Err(EINVAL));
        assert_eq!(parse_pid(b"4294967296"), Err(EINVAL));
    }

    #[test]
    fn parse_pid_junk_is_einval() {
        assert_eq!(parse_pid(b""), Err(EINVAL));
        assert_eq!(parse_pid(b"\n"), Err(EINVAL));
        assert_eq!(parse_pid(b" "), Err(EINVAL));
        assert_eq!(parse_pid(b"1 2"), Err(EINVAL));
        assert_eq!(parse_pid(b"12abc"), Err(EINVAL));
        assert_eq!(parse_pid(b"pid"), Err(EINVAL));
        assert_eq!(parse_pid(b"08"), Err(EINVAL));
    }
}
