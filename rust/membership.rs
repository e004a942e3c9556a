// SPDX-License-Identifier: GPL-2.0

//! Task membership: css_sets, the task map, attaching, listing, fork and exit.
//!
//! Every task is in one group of each hierarchy. A [`CssSet`] is the tuple of a task's
//! non-root groups, one per hierarchy at most; tasks with the same tuple share one. A task in
//! root groups only has no entry and costs no memory.
//!
//! Readers find a task's css_set in [`TASKS`] under RCU, without locks. Writers -- the fork
//! and exit probes, which run in atomic context, and moves -- hold [`CSS_SET_LOCK`], a
//! spinlock, which also protects the css_set list and every use count; moves also hold
//! [`TCGROUP_MUTEX`] (taken first), which serialises every change of a task's css_set other
//! than exit. A css_set that loses its last task is taken off the list and unpublished, and
//! freed only after a grace period ([`drop_after_gp`]), since readers may still hold it.

use crate::{
    compat::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        lock::{
            GlobalGuard,
            GlobalLockedBy, //
        },
        prelude::*,
        rcu,
        ARef, //
    },
    group::Group,
    hierarchy::Hierarchy,
    rcu::{
        drop_after_gp,
        HasRcuHead,
        RcuHead, //
    },
    sync::{
        CSS_SET_LOCK,
        TASKS,
        TCGROUP_MUTEX, //
    },
    task::{
        self,
        ForkExit, //
    },
    vfs::FileCred,
};
use kernel::{
    sync::Arc,
    task::Task, //
};

/// How often a listing is retried when tasks appear faster than its buffer grows.
const LIST_RETRIES: usize = 8;

/// How often moving a thread group re-checks for threads created during the move.
const PROCS_RETRIES: usize = 16;

/// Forks whose child could not be given its parent's groups (allocation failure); the child
/// stays in the root groups.
static FORK_FAILURES: Atomic<usize> = Atomic::new(0);

/// A set of groups shared by the tasks that are in exactly these (non-root) groups.
///
/// Immutable once published, except the use count.
pub(crate) struct CssSet {
    /// The groups, in increasing hierarchy id; never empty.
    groups: KVec<Arc<Group>>,
    /// The tasks using it.
    users: GlobalLockedBy<usize, CSS_SET_LOCK>,
    /// Its index in [`Membership::csets`] while listed, so that finding and unlisting it take
    /// O(1); meaningless while it is not listed (checked by [`Membership::find`]).
    slot: GlobalLockedBy<usize, CSS_SET_LOCK>,
    /// For the free after a grace period.
    rcu: RcuHead,
}

// SAFETY: `rcu` is a field of `CssSet`.
unsafe impl HasRcuHead for CssSet {
    const OFFSET: usize = core::mem::offset_of!(CssSet, rcu);
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

/// Whether `task` is in `group` of `hier`, as its css_set (found under `rcu`) says.
fn is_member(rcu: &rcu::Guard, task: &Task, hier: u64, group: &Arc<Group>) -> bool {
    match TASKS
        .load(rcu, task::key(task))
        .and_then(|c| c.group_of(hier))
    {
        Some(g) => Arc::ptr_eq(g, group),
        None => group.is_root(),
    }
}

/// The state protected by [`CSS_SET_LOCK`].
pub(crate) struct Membership {
    /// Every css_set in use: the references that keep published css_sets alive. In no
    /// order: each knows its index ([`CssSet::slot`]), and unlisting moves the last one there.
    csets: KVec<Arc<CssSet>>,
}

impl Membership {
    /// An empty state, for the static lock.
    pub(crate) const fn new() -> Self {
        Self { csets: KVec::new() }
    }

    /// Empties the state for module exit, returning what the caller frees after the lock: the
    /// list (empty by then, since no non-root group is left) and its buffer.
    pub(crate) fn take(&mut self) -> KVec<Arc<CssSet>> {
        core::mem::take(&mut self.csets)
    }

    /// The index of `cset` in the list, if it is listed.
    fn index(guard: &GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) -> Option<usize> {
        let i = *cset.slot.as_ref(guard);
        guard
            .csets
            .get(i)
            .is_some_and(|c| core::ptr::eq(&**c, cset))
            .then_some(i)
    }

    /// The list's reference on `cset`, if it is listed.
    fn find<'a>(guard: &'a GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) -> Option<&'a Arc<CssSet>> {
        Self::index(guard, cset).map(|i| &guard.csets[i])
    }

    /// Lists `cset`, which is not listed yet. Does not allocate if the caller reserved room.
    fn list(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: Arc<CssSet>) -> Result {
        let i = guard.csets.len();
        *cset.slot.as_mut(guard) = i;
        guard.csets.push(cset, GFP_ATOMIC)?;
        Ok(())
    }

    /// Takes `cset` off the list, returning the list's reference; `None` if it is not listed.
    /// The last css_set takes its place.
    fn unlist(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) -> Option<Arc<CssSet>> {
        let i = Self::index(guard, cset)?;
        let last = guard.csets.len() - 1;
        guard.csets.swap(i, last);
        let removed = guard.csets.pop();
        if let Some(moved) = guard.csets.get(i).cloned() {
            *moved.slot.as_mut(guard) = i;
        }
        removed
    }

    /// Takes a task's use of `cset` away: the task moved out of its groups or exited. When it
    /// was the last, the css_set leaves the list and is freed after a grace period (the caller
    /// has unpublished it).
    fn put(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) {
        for g in cset.groups.iter() {
            let n = g.nr_tasks.as_mut(guard);
            *n -= 1;
            if *n == 0 {
                g.populated_changed();
            }
            // The group had a task and lost it.
            g.releasable.store(true, Relaxed);
            crate::release::check(guard, g);
        }
        let users = cset.users.as_mut(guard);
        *users -= 1;
        if *users == 0 {
            if let Some(c) = Self::unlist(guard, cset) {
                drop_after_gp(c);
            }
        }
    }

    /// Adds a use of `cset` by a task.
    fn get_ref(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) {
        for g in cset.groups.iter() {
            let n = g.nr_tasks.as_mut(guard);
            *n += 1;
            if *n == 1 {
                g.populated_changed();
            }
        }
        *cset.users.as_mut(guard) += 1;
    }
}

/// The fork and exit probes' side of membership.
pub(crate) struct Tracker;

impl ForkExit for Tracker {
    fn fork(parent: &Task, child: &Task) {
        // Most tasks are in root groups only: find that out without the global lock. A move
        // of the parent racing with this lands the child in the parent's old groups.
        if TASKS.load(&rcu::read_lock(), task::key(parent)).is_none() {
            return;
        }
        let mut guard = CSS_SET_LOCK.lock();
        let rcu = rcu::read_lock();
        let Some(cset) = TASKS.load(&rcu, task::key(parent)) else {
            // The parent is in root groups only, and so is the child.
            return;
        };
        // An attach may have given the child (found by pid before this probe ran) its own
        // groups already; that move wins.
        if TASKS.load(&rcu, task::key(child)).is_some() {
            return;
        }
        let Some(cset) = Membership::find(&guard, cset).cloned() else {
            return;
        };
        if TASKS.store(task::key(child), &cset).is_err() {
            FORK_FAILURES.fetch_add(1, Relaxed);
            return;
        }
        Membership::get_ref(&mut guard, &cset);
    }

    fn exit(task: &Task) {
        let mut guard = CSS_SET_LOCK.lock();
        let rcu = rcu::read_lock();
        let Some(cset) = TASKS.load(&rcu, task::key(task)) else {
            return;
        };
        TASKS.erase(task::key(task));
        Membership::put(&mut guard, cset);
    }
}

/// The css_set a move gives the tasks that have `old` (`None`: the root groups only).
struct Plan {
    old: Option<Arc<CssSet>>,
    new: Option<Arc<CssSet>>,
    /// Some task of the plan is moved (not all found exiting).
    live: bool,
    /// `new` was listed by this move (it had no equal in use).
    listed: bool,
}

impl Plan {
    /// The address of `old`, as [`TASKS`] holds it.
    fn old_ptr(&self) -> Option<*const CssSet> {
        self.old.as_deref().map(core::ptr::from_ref)
    }
}

/// One planned move: a task and its [`Plan`], an index into the move's plans.
struct Move {
    task: ARef<Task>,
    plan: usize,
    /// Found exiting under the lock, in a move that leaves exiting tasks where they are.
    skip: bool,
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

/// The css_set `task` uses, with a reference.
fn current_cset(task: &Task) -> Option<Arc<CssSet>> {
    let guard = CSS_SET_LOCK.lock();
    let rcu = rcu::read_lock();
    TASKS
        .load(&rcu, task::key(task))
        .and_then(|c| Membership::find(&guard, c).cloned())
}

/// Which tasks of a move may be exiting.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Exiting {
    /// None: an exiting task fails the move with `ESRCH` (`tasks`).
    Fail,
    /// Any: those stay where they are, as v1's `cgroup_migrate_add_task()` leaves them
    /// (`cgroup.procs`, where a thread may exit while its group moves).
    Skip,
}

/// How often [`move_tasks`] plans again when fork probes keep changing its tasks.
const MOVE_RETRIES: usize = 16;

/// Moves `tasks` into `group` of `hier`, all at once for readers.
///
/// The caller holds [`TCGROUP_MUTEX`], so no other move changes these tasks' css_sets. The fork
/// probe may, though: a new thread found by pid before its probe ran gets its creator's css_set
/// between the planning (without the spinlock, as it allocates) and the publication. The plan
/// is then stale, and made again.
fn move_tasks(
    hier: &Hierarchy,
    group: &Arc<Group>,
    tasks: KVec<ARef<Task>>,
    exiting: Exiting,
) -> Result {
    for _ in 0..MOVE_RETRIES {
        if try_move_tasks(hier, group, &tasks, exiting)? {
            return Ok(());
        }
    }
    Err(EAGAIN)
}

/// One attempt of [`move_tasks`]: `Ok(false)` if a task's css_set changed since it was read.
fn try_move_tasks(
    hier: &Hierarchy,
    group: &Arc<Group>,
    tasks: &[ARef<Task>],
    exiting: Exiting,
) -> Result<bool> {
    // Plan once per css_set the tasks have, not per task: the threads of a process moved by
    // `cgroup.procs` mostly share one. A task's css_set is read under RCU alone; the plan is
    // checked against it under the lock below, so a race only costs a retry. Comparing with
    // the address of a plan's `old` is sound: the plan holds a reference on it.
    let mut moves = KVec::with_capacity(tasks.len(), GFP_KERNEL)?;
    let mut plans: KVec<Plan> = KVec::new();
    for t in tasks.iter().cloned() {
        let now = {
            let rcu = rcu::read_lock();
            TASKS.load(&rcu, task::key(&t)).map(core::ptr::from_ref)
        };
        let plan = match plans.iter().rposition(|p| p.old_ptr() == now) {
            Some(i) => i,
            None => {
                let old = current_cset(&t);
                let groups = replaced(old.as_ref(), hier.id, group)?;
                let new = if groups.is_empty() {
                    None
                } else {
                    Some(Arc::new(
                        CssSet {
                            groups,
                            users: GlobalLockedBy::new(0),
                            slot: GlobalLockedBy::new(0),
                            rcu: RcuHead::new(),
                        },
                        GFP_KERNEL,
                    )?)
                };
                plans.push(
                    Plan {
                        old,
                        new,
                        live: false,
                        listed: false,
                    },
                    GFP_KERNEL,
                )?;
                plans.len() - 1
            }
        };
        moves.push(
            Move {
                task: t,
                plan,
                skip: false,
            },
            GFP_KERNEL,
        )?;
    }

    let mut guard = CSS_SET_LOCK.lock();
    guard.csets.reserve(plans.len(), GFP_ATOMIC)?;
    // Under the lock the fork and exit probes take: each task still has the css_set planned
    // from, or the plan (its `new` groups, the reference it puts) is wrong.
    {
        let rcu = rcu::read_lock();
        let stale = moves.iter().any(|m| {
            let now = TASKS
                .load(&rcu, task::key(&m.task))
                .map(core::ptr::from_ref);
            now != plans[m.plan].old_ptr()
        });
        if stale {
            return Ok(false);
        }
    }
    // As v1: a task that is exiting cannot be moved. The exit probe takes this lock too, so a
    // task seen alive here is moved before its probe runs, and the probe undoes the move.
    for m in moves.iter_mut() {
        if task::is_exiting(&m.task) {
            if exiting == Exiting::Fail {
                return Err(ESRCH);
            }
            m.skip = true;
        } else {
            plans[m.plan].live = true;
        }
    }
    // Share existing css_sets with the same groups; list the new ones (unused for now). A plan
    // whose tasks all exit lists nothing.
    for p in plans.iter_mut().filter(|p| p.live) {
        if let Some(n) = &p.new {
            if let Some(c) = guard.csets.iter().find(|c| c.is(&n.groups)).cloned() {
                p.new = Some(c);
            } else {
                // Room was reserved above: this does not fail.
                Membership::list(&mut guard, n.clone())?;
                p.listed = true;
            }
        }
    }
    // Publish; on an allocation failure put back what was published.
    let mut done = 0;
    let mut failed = None;
    for m in moves.iter().filter(|m| !m.skip) {
        let key = task::key(&m.task);
        let res = match &plans[m.plan].new {
            Some(n) => TASKS.store(key, n),
            None => {
                TASKS.erase(key);
                Ok(())
            }
        };
        if let Err(e) = res {
            failed = Some(e);
            break;
        }
        done += 1;
    }
    if let Some(e) = failed {
        for m in moves.iter().filter(|m| !m.skip).take(done) {
            let key = task::key(&m.task);
            // Restoring an existing slot or erasing one does not allocate.
            match &plans[m.plan].old {
                Some(o) => {
                    let _ = TASKS.store(key, o);
                }
                None => TASKS.erase(key),
            }
        }
        // The css_sets this move listed have no user: unlist them. They were published for a
        // moment, and readers may hold them.
        for p in plans.iter().filter(|p| p.listed) {
            if let Some(c) = p
                .new
                .as_deref()
                .and_then(|n| Membership::unlist(&mut guard, n))
            {
                drop_after_gp(c);
            }
        }
        return Err(e);
    }
    for m in moves.iter().filter(|m| !m.skip) {
        let p = &plans[m.plan];
        if let Some(n) = &p.new {
            Membership::get_ref(&mut guard, n);
        }
        if let Some(o) = &p.old {
            Membership::put(&mut guard, o);
        }
    }
    drop(guard);
    Ok(true)
}

/// Parses a pid written to `tasks` or `cgroup.procs` as v1's `cgroup_procs_write_start()`
/// does: `kstrtoint(strstrip(buf), 0)`, and any failure (not a number, an overflow) or a
/// negative value is `EINVAL` (only the copy's `ENOMEM` passes). `-0` is `0`, the writer.
fn parse_pid(buf: &[u8]) -> Result<i32> {
    match crate::vfs::parse_i32(crate::files::strip(buf)) {
        Ok(pid) if pid >= 0 => Ok(pid),
        Err(e) if e == ENOMEM => Err(e),
        Ok(_) | Err(_) => Err(EINVAL),
    }
}

/// The task a write of `pid` to a file opened with `cred` names: `0` is the writer.
fn target(pid: i32, cred: &FileCred<'_>) -> Result<ARef<Task>> {
    let t = if pid == 0 {
        ARef::from(crate::compat::current_task!())
    } else {
        task::find_by_vpid(pid).ok_or(ESRCH)?
    };
    if task::is_kthread(&t) {
        return Err(EINVAL);
    }
    if !cred.may_move(&t) {
        return Err(EACCES);
    }
    Ok(t)
}

/// `echo PID > tasks` (`threadgroup` false) or `> cgroup.procs` (true), through a file opened
/// with `cred`.
pub(crate) fn attach(
    hier: &Hierarchy,
    group: &Arc<Group>,
    buf: &[u8],
    threadgroup: bool,
    cred: &FileCred<'_>,
) -> Result {
    let pid = parse_pid(buf)?;
    let t = target(pid, cred)?;
    let tree = TCGROUP_MUTEX.lock();
    if group.tree.as_ref(&tree).removed {
        return Err(ENODEV);
    }
    if !threadgroup {
        let mut v = KVec::new();
        v.push(t, GFP_KERNEL)?;
        return move_tasks(hier, group, v, Exiting::Fail);
    }
    let tgid = task::tgid(&t);
    // Threads created while the group moves start in their creator's css_set of the moment:
    // repeat until every thread of the group is in `group`.
    for _ in 0..PROCS_RETRIES {
        let threads = thread_group(tgid)?;
        let mut pending = KVec::new();
        for th in threads {
            let in_group = is_member(&rcu::read_lock(), &th, hier.id, group);
            if !in_group && !task::is_exiting(&th) {
                pending.push(th, GFP_KERNEL)?;
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        move_tasks(hier, group, pending, Exiting::Skip)?;
    }
    Err(EAGAIN)
}

/// The threads of the thread group `tgid` (a global id).
fn thread_group(tgid: i32) -> Result<KVec<ARef<Task>>> {
    for _ in 0..LIST_RETRIES {
        let mut n = 0usize;
        task::for_each_thread(|t| n += usize::from(task::tgid(t) == tgid));
        let mut v = KVec::with_capacity(n + 16, GFP_KERNEL)?;
        let mut overflow = false;
        task::for_each_thread(|t| {
            if task::tgid(t) == tgid && v.push(ARef::from(t), GFP_NOWAIT).is_err() {
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
            // Lockless: the css_sets are read under RCU while every thread is walked.
            let rcu = rcu::read_lock();
            task::for_each_thread(|t| {
                if !is_member(&rcu, t, hier.id, group) {
                    return;
                }
                // An exiting task has no entry once its exit probe has run, but stays on the
                // thread list (a zombie, or a leader that exited before its threads): it has left
                // its groups, so the root, which lists tasks without an entry, leaves it out, as
                // v1's root stops listing it at `cgroup_exit()`.
                if group.is_root() && task::is_exiting(t) {
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
