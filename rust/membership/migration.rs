// SPDX-License-Identifier: GPL-2.0

//! Moving tasks between groups (`tasks`, `cgroup.procs`): the general path, which plans per
//! source css_set, and [`shared`], the common case in one pass.

use crate::membership::{
    css_set::{
        reserve_links,
        CssSetTable,
        Destination, //
    },
    is_member,
    CssSet,
    Membership,
    LIST_RETRIES,
    MEMBERSHIP,
    TASKS, //
};
use crate::{
    compat::{
        lock::GlobalGuard,
        prelude::*,
        rcu,
        ARef, //
    },
    group::Group,
    sync::{
        CSS_SET_LOCK,
        TCGROUP_MUTEX, //
    },
    task,
    task_map::{
        Spare,
        RESERVE, //
    },
    vfs::FileCred, //
};
use kernel::{
    sync::Arc,
    task::Task, //
};

mod shared;

use shared::{
    move_shared,
    Shared, //
};

/// How often moving a thread group re-checks for threads created during the move.
pub(super) const PROCS_RETRIES: usize = 16;

/// The css_set a move gives the tasks that have `old` (`None`: the root groups only).
pub(super) struct Plan {
    old: Option<Arc<CssSet>>,
    new: Option<Arc<CssSet>>,
    /// Some task of the plan is moved (not all found exiting).
    live: bool,
    /// `new` was allocated by this move, not found in use when planned.
    fresh: bool,
    /// `new` was listed by this move (it had no equal in use).
    listed: bool,
    /// The tasks of the plan that are moved.
    moved: usize,
}

impl Plan {
    /// The address of `old`, as [`TASKS`] holds it.
    fn old_ptr(&self) -> Option<*const CssSet> {
        self.old.as_deref().map(core::ptr::from_ref)
    }
}

/// One planned move: a task and its [`Plan`], an index into the move's plans.
pub(super) struct Move {
    task: ARef<Task>,
    plan: usize,
    /// The address of the css_set the task had when planned (0: none), which groups the moves
    /// by plan; only compared, never followed.
    from: usize,
    /// The task had an entry in the task map, parked or not, when planned.
    held: bool,
    /// Found exiting under the lock, in a move that leaves exiting tasks where they are.
    skip: bool,
}

/// The groups of `old` with `hier`'s replaced by `group` (left out if it is the root).
pub(super) fn replaced(
    old: Option<&Arc<CssSet>>,
    hier: u64,
    group: &Arc<Group>,
) -> Result<KVec<Arc<Group>>> {
    let mut v = KVec::with_capacity(old.map_or(0, |o| o.groups.len()) + 1, GFP_KERNEL)?;
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

/// Where the tasks of a plan go, as found under the lock: the root groups, a css_set in use, or
/// one to allocate.
enum Target {
    Root,
    InUse(Arc<CssSet>),
    Unused,
}

/// The plan for the tasks that now use `old`, whose destination was found to be `target`: the
/// css_set of `old`'s groups with `hier`'s replaced by `group`, allocated here (outside the
/// lock) if none was in use.
fn plan(old: Option<Arc<CssSet>>, target: Target, hier: u64, group: &Arc<Group>) -> Result<Plan> {
    let (new, fresh) = match target {
        Target::Root => (None, false),
        Target::InUse(c) => (Some(c), false),
        Target::Unused => (
            Some(CssSet::new(replaced(old.as_ref(), hier, group)?)?),
            true,
        ),
    };
    Ok(Plan {
        old,
        new,
        live: false,
        fresh,
        listed: false,
        moved: 0,
    })
}

/// Which tasks of a move may be exiting.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Exiting {
    /// None: an exiting task fails the move with `ESRCH` (`tasks`).
    Fail,
    /// Any: those stay where they are, as v1's `cgroup_migrate_add_task()` leaves them
    /// (`cgroup.procs`, where a thread may exit while its group moves).
    Skip,
}

/// The most plans [`plan_moves`] makes per hold of [`static@CSS_SET_LOCK`].
const PLAN_BATCH: usize = 64;

/// How often [`move_tasks`] plans again when fork probes keep changing its tasks.
pub(super) const MOVE_RETRIES: usize = 16;

/// Moves `tasks` into `group` of `hier`, all at once for readers.
///
/// The caller holds [`static@TCGROUP_MUTEX`], so no other move changes these tasks' css_sets. The
/// fork probe may, though: a new thread found by pid before its probe ran gets its creator's
/// css_set between the planning (without the spinlock, as it allocates) and the publication. The
/// plan is then stale, and made again.
pub(super) fn move_tasks(
    hier: u64,
    group: &Arc<Group>,
    tasks: KVec<ARef<Task>>,
    exiting: Exiting,
) -> Result {
    // A task that has not started may still be waiting for its fork probe to give it its
    // creator's groups: its groups are known once it has started, which is for good.
    for t in tasks.iter() {
        task::wait_started(t)?;
    }
    for _ in 0..MOVE_RETRIES {
        if try_move_tasks(hier, group, &tasks, exiting)? {
            return Ok(());
        }
    }
    Err(EAGAIN)
}

/// What [`try_move_tasks`] plans before its lock: each task's move, the plan per css_set the
/// tasks have, and how many tasks have no entry in the task map and get one.
struct Planned {
    moves: KVec<Move>,
    plans: KVec<Plan>,
    entries: usize,
}

/// One attempt of [`move_tasks`]: `Ok(false)` if a task's css_set changed since it was read.
pub(super) fn try_move_tasks(
    hier: u64,
    group: &Arc<Group>,
    tasks: &[ARef<Task>],
    exiting: Exiting,
) -> Result<bool> {
    let Planned {
        mut moves,
        mut plans,
        entries,
    } = plan_moves(hier, group, tasks)?;
    let mut spare = reserve_for(&plans, entries)?;

    let mut guard = CSS_SET_LOCK.lock();
    if is_stale(&moves, &plans) {
        return Ok(false);
    }
    mark_exiting(&mut moves, &mut plans, exiting)?;
    if !list_new(&mut guard, &mut plans)? {
        return Ok(false);
    }
    let exited = publish(&mut guard, &mut moves, &mut plans, &mut spare)?;
    drop(guard);
    // Unused entries go to the task map's reserve (or are freed), outside the lock.
    drop(spare);
    if exited && exiting == Exiting::Fail {
        // As the test above would have: an exiting task cannot be moved.
        return Err(ESRCH);
    }
    Ok(true)
}

/// The planning of [`try_move_tasks`]: the tasks' css_sets read under RCU, then each one's
/// destination found under the lock, a hold per [`PLAN_BATCH`] plans; what must be built is
/// allocated after it.
fn plan_moves(hier: u64, group: &Arc<Group>, tasks: &[ARef<Task>]) -> Result<Planned> {
    // Plan once per css_set the tasks have, not per task: the threads of a process moved by
    // `cgroup.procs` mostly share one, but a process whose threads are each in a group of its
    // own has as many css_sets as threads. A task's css_set is read under RCU alone; the plan
    // is checked against it under the lock below, so a race only costs a retry.
    let mut moves = KVec::with_capacity(tasks.len(), GFP_KERNEL)?;
    for t in tasks.iter().cloned() {
        let (from, held) = {
            let rcu = rcu::read_lock();
            let slot = TASKS.slot(&rcu, task::key(&t));
            (
                slot.flatten()
                    .map_or(0, |c| core::ptr::from_ref(c) as usize),
                slot.is_some(),
            )
        };
        moves.push(
            Move {
                task: t,
                plan: 0,
                from,
                held,
                skip: false,
            },
            GFP_KERNEL,
        )?;
    }
    // The tasks of one css_set next to each other, one plan per run: O(n log n) in the tasks,
    // not a search of the plans per task.
    moves.sort_unstable_by_key(|m| m.from);
    let runs = moves.windows(2).filter(|w| w[0].from != w[1].from).count() + 1;
    let mut found = KVec::with_capacity(runs, GFP_KERNEL)?;
    let mut next = 0;
    let mut last = None;
    while next < moves.len() {
        // A lock round trip per [`PLAN_BATCH`] plans, not per plan: the css_set of each run's
        // first task, with a reference (a task that moved since it was read fails `is_stale`
        // later), and its destination, found in use by the hash of its groups or known to be
        // the root groups, without building them. A process with a css_set per thread does
        // not keep the lock that every fork and exit probe takes for all of them at once.
        let guard = CSS_SET_LOCK.lock();
        let rcu = rcu::read_lock();
        let table = CssSetTable::of(MEMBERSHIP.as_ref(&guard));
        let batch_end = found.len() + PLAN_BATCH;
        for m in moves[next..].iter_mut() {
            if last != Some(m.from) {
                if found.len() == batch_end {
                    break;
                }
                last = Some(m.from);
                let old = TASKS
                    .load(&rcu, task::key(&m.task))
                    .and_then(|c| Membership::find(&guard, c).cloned());
                let target = match table.destination(old.as_deref(), hier, group) {
                    Destination::Root => Target::Root,
                    Destination::InUse(c) => Target::InUse(c.clone()),
                    Destination::Unused => Target::Unused,
                };
                // Within the capacity counted above: no allocation under the lock.
                found.push((old, target), GFP_ATOMIC)?;
            }
            m.plan = found.len() - 1;
            next += 1;
        }
    }
    // The css_sets not in use are allocated here, after the lock.
    let mut plans = KVec::with_capacity(found.len(), GFP_KERNEL)?;
    for (old, target) in found.into_iter() {
        plans.push(plan(old, target, hier, group)?, GFP_KERNEL)?;
    }
    // Tasks that have no entry in the task map (not even a parked one) and get one.
    let entries = moves
        .iter()
        .filter(|m| !m.held && plans[m.plan].new.is_some())
        .count();
    Ok(Planned {
        moves,
        plans,
        entries,
    })
}

/// Allocates, before the lock of [`try_move_tasks`], what its section may need for `plans`
/// and `entries` tasks without an entry: the css_set table's room, the groups' link room and
/// the task map's entries, which it returns.
fn reserve_for(plans: &[Plan], entries: usize) -> Result<Spare<CssSet>> {
    // Everything the lock's section may need is allocated here: the css_set table's room
    // and the task map's entries.
    Membership::reserve(plans.iter().filter(|p| p.fresh).count())?;
    reserve_links(
        plans
            .iter()
            .filter(|p| p.fresh)
            .filter_map(|p| p.new.as_deref())
            .flat_map(|c| c.groups.iter()),
    )?;
    // The reserve above half its size gives some; the stores fall back to it (and to an
    // atomic allocation) only if forks took it meanwhile.
    let pooled = TASKS.reserved().saturating_sub(RESERVE / 2).min(entries);
    TASKS.spare(entries - pooled)
}

/// Whether a task of `moves` no longer has the css_set its plan was made from. The caller
/// holds [`static@CSS_SET_LOCK`].
fn is_stale(moves: &[Move], plans: &[Plan]) -> bool {
    // Under the lock the fork and exit probes take: each task still has the css_set planned
    // from, or the plan (its `new` groups, the reference it puts) is wrong.
    let rcu = rcu::read_lock();
    moves.iter().any(|m| {
        let now = TASKS
            .load(&rcu, task::key(&m.task))
            .map(core::ptr::from_ref);
        now != plans[m.plan].old_ptr()
    })
}

/// Counts the tasks of each plan that are moved, skipping those found exiting (or failing
/// with `ESRCH`, as `exiting` says). The caller holds [`static@CSS_SET_LOCK`].
fn mark_exiting(moves: &mut [Move], plans: &mut [Plan], exiting: Exiting) -> Result {
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
            plans[m.plan].moved += 1;
        }
    }
    Ok(())
}

/// Finds or lists the css_sets the live plans move to: `Ok(false)` if the move must be
/// planned again.
fn list_new(guard: &mut GlobalGuard<CSS_SET_LOCK>, plans: &mut [Plan]) -> Result<bool> {
    // Share existing css_sets with the same groups; list the new ones (unused for now). A plan
    // whose tasks all exit lists nothing. A css_set found in use when planned may have lost
    // its last task since: then another with the same groups may be listed, or none, and the
    // move is planned again (an unlisted css_set is being freed and is never listed again).
    for p in plans.iter_mut().filter(|p| p.live) {
        let Some(n) = &p.new else {
            continue;
        };
        if Membership::find(guard, n).is_some() {
            continue;
        }
        if let Some(c) = Membership::find_groups(guard, n.hash, n.groups.iter()).cloned() {
            p.new = Some(c);
        } else if p.fresh {
            // Room was reserved above: this does not fail.
            Membership::list(guard, n.clone())?;
            p.listed = true;
        } else {
            // The plans listed so far have no user yet.
            unlist_unused(guard, plans);
            return Ok(false);
        }
    }
    Ok(true)
}

/// Publishes the moves, taking the task-map entries from `spare`, and changes the use counts:
/// `Ok(true)` if a task given its first entry was found exiting after it was published (and
/// left where it was).
fn publish(
    guard: &mut GlobalGuard<CSS_SET_LOCK>,
    moves: &mut [Move],
    plans: &mut [Plan],
    spare: &mut Spare<CssSet>,
) -> Result<bool> {
    // Publish: first the stores, which take entries and so could fail (not with the
    // entries reserved above, unless a task gained an entry since), putting back what was
    // stored if one does; then the erasures, which cannot fail.
    let mut failed = None;
    // A task given its first entry was found exiting after it was published.
    let mut exited = false;
    {
        let Some(w) = MEMBERSHIP.as_mut(guard).tasks.as_mut() else {
            unlist_unused(guard, plans);
            return Err(ENODEV);
        };
        let mut done = 0;
        for m in moves.iter().filter(|m| !m.skip) {
            let Some(n) = &plans[m.plan].new else {
                continue;
            };
            if let Err(e) = TASKS.store(w, task::key(&m.task), &m.task, n, Some(&mut *spare)) {
                failed = Some(e);
                break;
            }
            done += 1;
        }
        if failed.is_some() {
            let stored = moves
                .iter()
                .filter(|m| !m.skip && plans[m.plan].new.is_some());
            for m in stored.take(done) {
                let key = task::key(&m.task);
                match &plans[m.plan].old {
                    // The task kept its entry: restoring it does not allocate.
                    Some(o) => {
                        let _ = TASKS.store(w, key, &m.task, o, None);
                    }
                    None => TASKS.erase(w, key),
                }
            }
        } else {
            for m in moves.iter_mut().filter(|m| !m.skip) {
                let p = &mut plans[m.plan];
                if p.new.is_none() {
                    // Back to the root groups: the entry stays, parked, for the next move out.
                    let rcu = rcu::read_lock();
                    let _ = TASKS
                        .entry(w, &rcu, task::key(&m.task))
                        .set(None, &m.task, None);
                } else if p.old.is_none() && task::is_exiting_after_store(&m.task) {
                    // A first entry, for a task that started exiting after the test above: its
                    // exit probe may have looked without the lock and found none (see
                    // `Tracker::exit`). Take it back: the task stays in the root groups.
                    TASKS.erase(w, task::key(&m.task));
                    m.skip = true;
                    p.moved -= 1;
                    exited = true;
                }
            }
        }
    }
    if let Some(e) = failed {
        // The css_sets this move listed have no user: unlist them. They were published for a
        // moment, and readers may hold them.
        unlist_unused(guard, plans);
        return Err(e);
    }
    // The use counts, once per plan: O(groups) per source css_set, whatever the threads.
    for p in plans.iter().filter(|p| p.moved > 0) {
        if let Some(n) = &p.new {
            Membership::get_ref(guard, n, p.moved);
        }
        if let Some(o) = &p.old {
            Membership::put(guard, o, p.moved);
        }
    }
    if exited {
        // Listed by this move for tasks that all turned out to be exiting (no other plan
        // shares it, or it has users now): unused.
        unlist_unused(guard, plans);
    }
    MEMBERSHIP.as_ref(guard).refill_if_low();
    Ok(exited)
}

/// Takes the css_sets that a move listed for `plans` off the list again if no task uses them:
/// the move failed or was planned again after listing them, or their tasks turned out to be
/// exiting. Listed and neither used nor parked, nothing else would ever unlist them.
pub(super) fn unlist_unused(guard: &mut GlobalGuard<CSS_SET_LOCK>, plans: &[Plan]) {
    for p in plans.iter().filter(|p| p.listed) {
        if let Some(n) = p.new.as_deref() {
            Membership::drop_if_unused(guard, n);
        }
    }
}

/// The task a write of `pid` to a file opened with `cred` names (`0`: the writer); with
/// `threadgroup` (`cgroup.procs`), its thread-group leader, as v1's
/// `cgroup_procs_write_start()` takes: the leader's credentials decide whether its process may
/// be moved, whichever thread's id was written.
pub(super) fn target(pid: i32, threadgroup: bool, cred: &FileCred<'_>) -> Result<ARef<Task>> {
    let mut task = if pid == 0 {
        ARef::from(crate::compat::current_task!())
    } else {
        task::find_by_vpid(pid).ok_or(ESRCH)?
    };
    if threadgroup {
        task = task::group_leader(&task).ok_or(ESRCH)?;
    }
    if task::is_kthread(&task) {
        return Err(EINVAL);
    }
    if !cred.may_move(&task) {
        return Err(EACCES);
    }
    Ok(task)
}

/// `echo PID > tasks` (`threadgroup` false) or `> cgroup.procs` (true), through a file opened
/// with `cred`: moves the task `pid` (0: the writer), or its whole thread group, into `group`
/// of the hierarchy `hier`.
pub(crate) fn attach(
    hier: u64,
    group: &Arc<Group>,
    pid: i32,
    threadgroup: bool,
    cred: &FileCred<'_>,
) -> Result {
    let task = target(pid, threadgroup, cred)?;
    // A task found by pid may not have started, its fork probe still to give it its creator's
    // groups: a move now would start from the root groups and lose them.
    task::wait_started(&task)?;
    let tree = TCGROUP_MUTEX.lock();
    if group.tree.as_ref(&tree).removed {
        return Err(ENODEV);
    }
    if move_shared(hier, group, &task, threadgroup)? == Shared::Done {
        return Ok(());
    }
    if !threadgroup {
        let mut v = KVec::new();
        v.push(task, GFP_KERNEL)?;
        return move_tasks(hier, group, v, Exiting::Fail);
    }
    // Threads created while the group moves start in their creator's css_set of the moment:
    // repeat until every thread of the group is in `group`.
    for _ in 0..PROCS_RETRIES {
        let pending = pending_threads(&task, hier, group)?;
        if pending.is_empty() {
            return Ok(());
        }
        move_tasks(hier, group, pending, Exiting::Skip)?;
    }
    Err(EAGAIN)
}

/// The threads of `task`'s thread group that are not in `group` of `hier` and not exiting: one
/// walk of the thread group (not of every thread), under RCU.
///
/// A thread that has not started and has no entry may be waiting for its fork probe, which
/// gives it its creator's groups, mostly `group` already: it is waited for, after the walk,
/// and looked at again once its groups are known.
pub(super) fn pending_threads(
    task: &Task,
    hier: u64,
    group: &Arc<Group>,
) -> Result<KVec<ARef<Task>>> {
    for attempt in 0..LIST_RETRIES {
        // Mostly none is left behind: the first walk does not count the threads first, and
        // grows the buffer without sleeping if it has to.
        let mut n = 0usize;
        if attempt > 0 {
            task::for_each_thread_of(task, |_| n += 1);
        }
        let mut threads = KVec::with_capacity(n + 16, GFP_KERNEL)?;
        let mut unstarted = KVec::<ARef<Task>>::new();
        let mut overflow = false;
        {
            let rcu = rcu::read_lock();
            task::for_each_thread_of(task, |th| {
                if is_member(&rcu, th.key(), hier, group) || th.is_exiting() {
                    return;
                }
                let list = if th.is_started() {
                    &mut threads
                } else {
                    &mut unstarted
                };
                if list.push(ARef::from(&**th), GFP_NOWAIT).is_err() {
                    overflow = true;
                }
            });
        }
        if overflow {
            continue;
        }
        for th in unstarted.into_iter() {
            task::wait_started(&th)?;
            let pending = !is_member(&rcu::read_lock(), task::key(&th), hier, group);
            if pending && !task::is_exiting(&th) {
                threads.push(th, GFP_KERNEL)?;
            }
        }
        return Ok(threads);
    }
    Err(EAGAIN)
}
