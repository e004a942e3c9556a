// SPDX-License-Identifier: GPL-2.0

//! Task membership: css_sets, the task table, attaching, listing, fork and exit.
//!
//! Every task is in one group of each hierarchy. A [`CssSet`] is the tuple of a task's
//! non-root groups, one per hierarchy at most; tasks with the same tuple share one. A task in
//! root groups only has no entry and costs no memory. Everything here is protected by
//! [`CSS_SET_LOCK`], a spinlock, because the fork and exit probes run in atomic context;
//! attaching also holds [`TCGROUP_MUTEX`] (taken first), which serialises every change of a
//! task's css_set other than exit.

use crate::{
    group::Group,
    hierarchy::Hierarchy,
    sync::{
        CSS_SET_LOCK,
        TCGROUP_MUTEX, //
    },
    task::{
        self,
        ForkExit,
        TaskKey, //
    },
};
use kernel::{
    prelude::*,
    rbtree::{
        RBTree,
        RBTreeNodeReservation, //
    },
    sync::aref::ARef,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        lock::{
            GlobalGuard,
            GlobalLockedBy, //
        },
        Arc,
    },
    task::Task,
};

/// How often a listing is retried when tasks appear faster than its buffer grows.
const LIST_RETRIES: usize = 8;

/// How often moving a thread group re-checks for threads created during the move.
const PROCS_RETRIES: usize = 16;

/// Forks whose child could not be given its parent's groups (allocation failure); the child
/// stays in the root groups.
static FORK_FAILURES: Atomic<usize> = Atomic::new(0);

/// A set of groups shared by the tasks that are in exactly these (non-root) groups.
pub(crate) struct CssSet {
    /// The groups, in increasing hierarchy id; never empty.
    groups: KVec<Arc<Group>>,
    /// The tasks using it.
    users: GlobalLockedBy<usize, CSS_SET_LOCK>,
}

impl CssSet {
    /// The group of hierarchy `hier` in this set, if not the root.
    fn group_of(&self, hier: u64) -> Option<&Arc<Group>> {
        self.groups.iter().find(|g| g.hier == hier)
    }

    /// Whether the set holds exactly `groups`.
    fn is(&self, groups: &[Arc<Group>]) -> bool {
        self.groups.len() == groups.len()
            && self
                .groups
                .iter()
                .zip(groups)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

/// The membership state, protected by [`CSS_SET_LOCK`].
pub(crate) struct Membership {
    /// The css_set of every task that is in a non-root group, by task.
    tasks: Option<RBTree<TaskKey, Arc<CssSet>>>,
    /// Every css_set in use.
    csets: KVec<Arc<CssSet>>,
    /// The release workqueue, while the module is live (see [`crate::release::Releaser`]).
    pub(crate) queue: Option<crate::task::OwnedQueue>,
}

impl Membership {
    /// An empty state, for the static lock.
    pub(crate) const fn new() -> Self {
        Self {
            tasks: None,
            csets: KVec::new(),
            queue: None,
        }
    }

    fn tasks(&mut self) -> &mut RBTree<TaskKey, Arc<CssSet>> {
        self.tasks.get_or_insert_with(RBTree::new)
    }

    fn get(&self, key: TaskKey) -> Option<&Arc<CssSet>> {
        self.tasks.as_ref().and_then(|t| t.get(&key))
    }

    /// Takes a task's use of `cset` away: the task moved out of its groups or exited. Returns
    /// whether the css_set is no longer used.
    fn put(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &Arc<CssSet>) -> bool {
        for g in cset.groups.iter() {
            *g.nr_tasks.as_mut(guard) -= 1;
            // The group had a task and lost it.
            g.releasable.store(true, Relaxed);
            crate::release::check(guard, g);
        }
        let users = cset.users.as_mut(guard);
        *users -= 1;
        *users == 0
    }

    /// Adds a use of `cset` by a task.
    fn get_ref(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &Arc<CssSet>) {
        for g in cset.groups.iter() {
            *g.nr_tasks.as_mut(guard) += 1;
        }
        *cset.users.as_mut(guard) += 1;
    }

    /// Removes `cset` from the list of css_sets in use.
    fn unlink(&mut self, cset: &Arc<CssSet>) -> Option<Arc<CssSet>> {
        let i = self.csets.iter().position(|c| Arc::ptr_eq(c, cset))?;
        self.csets.remove(i).ok()
    }
}

/// The fork and exit probes' side of membership.
pub(crate) struct Tracker;

impl ForkExit for Tracker {
    fn fork(parent: &Task, child: &Task) {
        let mut guard = CSS_SET_LOCK.lock();
        let Some(cset) = guard.get(task::key(parent)).cloned() else {
            // The parent is in root groups only, and so is the child.
            return;
        };
        // An attach may have given the child (found by pid before this probe ran) its own
        // groups already; that move wins.
        if guard.get(task::key(child)).is_some() {
            return;
        }
        match guard
            .tasks()
            .try_create_and_insert(task::key(child), cset.clone(), GFP_ATOMIC)
        {
            Ok(_) => Membership::get_ref(&mut guard, &cset),
            Err(_) => {
                FORK_FAILURES.fetch_add(1, Relaxed);
            }
        }
    }

    fn exit(task: &Task) {
        let mut guard = CSS_SET_LOCK.lock();
        let Some(cset) = guard
            .tasks
            .as_mut()
            .and_then(|t| t.remove(&task::key(task)))
        else {
            return;
        };
        let unused = Membership::put(&mut guard, &cset);
        let unlinked = if unused { guard.unlink(&cset) } else { None };
        drop(guard);
        drop(unlinked);
        drop(cset);
    }
}

/// One planned move: a task, the css_set it has, and the one it gets.
struct Move {
    task: ARef<Task>,
    old: Option<Arc<CssSet>>,
    new: Option<Arc<CssSet>>,
    node: Option<RBTreeNodeReservation<TaskKey, Arc<CssSet>>>,
}

/// The groups of `old` with `hier`'s replaced by `group` (left out if it is the root).
fn replaced(old: Option<&Arc<CssSet>>, hier: u64, group: &Arc<Group>) -> Result<KVec<Arc<Group>>> {
    let mut v = KVec::new();
    if let Some(old) = old {
        for g in old.groups.iter().filter(|g| g.hier != hier) {
            v.push(g.clone(), GFP_KERNEL)?;
        }
    }
    if !group.is_root() {
        v.push(group.clone(), GFP_KERNEL)?;
    }
    v.sort_unstable_by_key(|g| g.hier);
    Ok(v)
}

/// Moves `tasks` into `group` of `hier`, all at once for readers.
///
/// The caller holds [`TCGROUP_MUTEX`], so no other move changes these tasks' css_sets.
fn move_tasks(hier: &Hierarchy, group: &Arc<Group>, tasks: KVec<ARef<Task>>) -> Result {
    let mut moves = KVec::with_capacity(tasks.len(), GFP_KERNEL)?;
    for t in tasks {
        let old = CSS_SET_LOCK.lock().get(task::key(&t)).cloned();
        let groups = replaced(old.as_ref(), hier.id, group)?;
        let new = if groups.is_empty() {
            None
        } else {
            Some(Arc::new(
                CssSet {
                    groups,
                    users: GlobalLockedBy::new(0),
                },
                GFP_KERNEL,
            )?)
        };
        let node = match (&old, &new) {
            (None, Some(_)) => Some(RBTreeNodeReservation::new(GFP_KERNEL)?),
            _ => None,
        };
        moves.push(
            Move {
                task: t,
                old,
                new,
                node,
            },
            GFP_KERNEL,
        )?;
    }

    let mut freed = KVec::new();
    freed.reserve(2 * moves.len(), GFP_KERNEL)?;
    let mut guard = CSS_SET_LOCK.lock();
    guard.csets.reserve(moves.len(), GFP_ATOMIC)?;
    // As v1: a task that is exiting cannot be moved. The exit probe takes this lock too, so a
    // task seen alive here is moved before its probe runs, and the probe undoes the move.
    if moves.iter().any(|m| task::is_exiting(&m.task)) {
        return Err(ESRCH);
    }
    for m in moves.iter_mut() {
        let key = task::key(&m.task);
        // Share an existing css_set with the same groups.
        if let Some(n) = &m.new {
            if let Some(c) = guard.csets.iter().find(|c| c.is(&n.groups)) {
                m.new = Some(c.clone());
            } else {
                guard.csets.push(n.clone(), GFP_ATOMIC)?;
            }
        }
        if let Some(n) = &m.new {
            Membership::get_ref(&mut guard, n);
            match m.node.take() {
                Some(node) => {
                    guard.tasks().insert(node.into_node(key, n.clone()));
                }
                None => {
                    if let Some(slot) = guard.tasks().get_mut(&key) {
                        *slot = n.clone();
                    }
                }
            }
        } else {
            let _ = guard.tasks().remove(&key);
        }
        if let Some(o) = &m.old {
            if Membership::put(&mut guard, o) {
                if let Some(c) = guard.unlink(o) {
                    let _ = freed.push(c, GFP_ATOMIC);
                }
            }
        }
    }
    drop(guard);
    drop(freed);
    Ok(())
}

/// Parses a pid written to `tasks` or `cgroup.procs`: as v1's `kstrtoint(strstrip(buf), 0)`.
fn parse_pid(buf: &[u8]) -> Result<i32> {
    let v = crate::vfs::parse_u64(crate::files::strip(buf))?;
    i32::try_from(v).map_err(|_| ERANGE)
}

/// The task a write of `pid` names: `0` is the writer.
fn target(pid: i32) -> Result<ARef<Task>> {
    let t = if pid == 0 {
        ARef::from(&**kernel::current!())
    } else {
        task::find_by_vpid(pid).ok_or(ESRCH)?
    };
    if task::is_kthread(&t) {
        return Err(EINVAL);
    }
    if !task::current_may_move(&t) {
        return Err(EACCES);
    }
    Ok(t)
}

/// `echo PID > tasks` (`threadgroup` false) or `> cgroup.procs` (true).
pub(crate) fn attach(
    hier: &Hierarchy,
    group: &Arc<Group>,
    buf: &[u8],
    threadgroup: bool,
) -> Result {
    let pid = parse_pid(buf)?;
    let t = target(pid)?;
    let tree = TCGROUP_MUTEX.lock();
    if group.tree.as_ref(&tree).removed {
        return Err(ENODEV);
    }
    if !threadgroup {
        let mut v = KVec::new();
        v.push(t, GFP_KERNEL)?;
        return move_tasks(hier, group, v);
    }
    let tgid = t.tgid();
    // Threads created while the group moves start in their creator's css_set of the moment:
    // repeat until every thread of the group is in `group`.
    for _ in 0..PROCS_RETRIES {
        let threads = thread_group(tgid)?;
        let mut pending = KVec::new();
        {
            let guard = CSS_SET_LOCK.lock();
            for th in threads {
                let in_group = match guard.get(task::key(&th)) {
                    Some(c) => c.group_of(hier.id).is_some_and(|g| Arc::ptr_eq(g, group)),
                    None => group.is_root(),
                };
                if !in_group && !task::is_exiting(&th) {
                    pending.push(th, GFP_ATOMIC)?;
                }
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        move_tasks(hier, group, pending)?;
    }
    Err(EAGAIN)
}

/// The threads of the thread group `tgid` (a global id).
fn thread_group(tgid: kernel::task::Pid) -> Result<KVec<ARef<Task>>> {
    for _ in 0..LIST_RETRIES {
        let mut n = 0usize;
        task::for_each_thread(|t| n += usize::from(t.tgid() == tgid));
        let mut v = KVec::with_capacity(n + 16, GFP_KERNEL)?;
        let mut overflow = false;
        task::for_each_thread(|t| {
            if t.tgid() == tgid && v.push(ARef::from(t), GFP_NOWAIT).is_err() {
                overflow = true;
            }
        });
        if !overflow {
            return Ok(v);
        }
    }
    Err(EAGAIN)
}

/// The ids of the tasks in `group` of `hier`, as seen from the reader's pid namespace: thread
/// ids, or with `tgid` the (unique) thread-group ids. Sorted ascending.
pub(crate) fn list(hier: &Hierarchy, group: &Arc<Group>, tgid: bool) -> Result<KVec<i32>> {
    for _ in 0..LIST_RETRIES {
        let mut n = 0usize;
        task::for_each_thread(|_| n += 1);
        let mut v = KVec::with_capacity(n + 64, GFP_KERNEL)?;
        let mut overflow = false;
        {
            let guard = CSS_SET_LOCK.lock();
            task::for_each_thread(|t| {
                let member = match guard.get(task::key(t)).and_then(|c| c.group_of(hier.id)) {
                    Some(g) => Arc::ptr_eq(g, group),
                    None => group.is_root(),
                };
                if !member {
                    return;
                }
                let id = if tgid { task::vtgid(t) } else { task::vpid(t) };
                if id != 0 && v.push(id, GFP_NOWAIT).is_err() {
                    overflow = true;
                }
            });
        }
        if overflow {
            continue;
        }
        v.sort_unstable();
        if tgid {
            // Unique ids: keep the first of each run.
            let mut w = 0;
            for r in 0..v.len() {
                if w == 0 || v[r] != v[w - 1] {
                    v[w] = v[r];
                    w += 1;
                }
            }
            v.truncate(w);
        }
        return Ok(v);
    }
    Err(EAGAIN)
}

/// The number of tasks in `group` of `hier`.
pub(crate) fn count(hier: &Hierarchy, group: &Arc<Group>) -> Result<usize> {
    if group.is_root() {
        return Ok(list(hier, group, false)?.len());
    }
    Ok(*group.nr_tasks.as_ref(&CSS_SET_LOCK.lock()))
}
