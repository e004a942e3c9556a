// SPDX-License-Identifier: GPL-2.0

//! The one-pass move of a task or a thread group, per source css_set, as v1's
//! `cgroup_migrate()`.

use crate::membership::{
    css_set::{
        reserve_links,
        CssSetTable, //
        Destination,
    },
    migration::{
        replaced,
        MOVE_RETRIES, //
    },
    CssSet,
    Membership,
    MEMBERSHIP,
    TASKS, //
};
use crate::{
    compat::{
        lock::GlobalGuard,
        prelude::*,
        rcu, //
    },
    group::Group,
    sync::CSS_SET_LOCK,
    task::{
        self,
        TaskKey, //
    },
    task_map::{
        Spare,
        RESERVE, //
    },
};
use kernel::{
    sync::Arc,
    task::Task, //
};

/// How many css_sets the threads of a process may have for [`move_shared`] to move them: the
/// written task's and this many minus one others.
pub(super) const SOURCES: usize = 4;

/// The threads [`move_shared`] moves from one css_set: `from` (`None`: the root groups only)
/// to `to`.
pub(super) struct Migration<'a> {
    from: Option<&'a CssSet>,
    to: Option<Arc<CssSet>>,
    moved: usize,
}

/// What [`move_shared`] left to do.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shared {
    /// Nothing: every thread it was asked to move is in the group.
    Done,
    /// Threads for [`move_tasks`]: some had a css_set beyond the [`SOURCES`] the pass moves
    /// from, or one whose destination is not in use, or the entries ran out; or a thread had
    /// not started and had no entry (its fork probe may not have run: its groups are not
    /// known yet).
    ///
    /// [`move_tasks`]: super::move_tasks
    Partly,
}

/// The common case of a move, in one pass under [`static@CSS_SET_LOCK`]: `task`, or with
/// `threadgroup` every thread of its group, goes to the css_set of its groups with `hier`'s
/// replaced by `group`, per source css_set as v1's `cgroup_migrate()` moves a thread group:
/// the written task's, and up to [`SOURCES`] `- 1` others whose destination is in use. The
/// destination is found by the hash of its groups (the written task's is allocated if it is
/// not in use); each thread costs one look-up in the task map (two for the other sources),
/// with no allocation (its entry is reused, or taken from entries allocated before the
/// lock), and the use counts change once per source css_set.
///
/// The caller holds [`static@TCGROUP_MUTEX`]. `ESRCH` if `task` alone is moved and is exiting.
///
/// [`static@TCGROUP_MUTEX`]: static@crate::sync::TCGROUP_MUTEX
pub(super) fn move_shared(
    hier: u64,
    group: &Arc<Group>,
    task: &Task,
    threadgroup: bool,
) -> Result<Shared> {
    // The task-map entries the last attempt could not take from the reserve.
    let mut short = 0;
    for _ in 0..MOVE_RETRIES {
        if let Some(r) = try_move_shared(hier, group, task, threadgroup, &mut short)? {
            if short == 0 {
                return Ok(r);
            }
            // Threads left in the root groups for want of an entry: the next attempt brings
            // them, allocated before the lock; the threads moved already stay.
        }
    }
    // The task's css_set kept changing under fork probes: the general path copes with that.
    Ok(Shared::Partly)
}

/// One attempt of [`move_shared`]: `Ok(None)` if `task`'s css_set changed since it was read.
/// `short` brings the number of task-map entries to allocate before the lock (those the last
/// attempt found short of) and takes back those this one found short of.
pub(super) fn try_move_shared(
    hier: u64,
    group: &Arc<Group>,
    task: &Task,
    threadgroup: bool,
    short: &mut usize,
) -> Result<Option<Shared>> {
    let key = task::key(task);
    let (rooted, entry_less) = {
        let rcu = rcu::read_lock();
        let slot = TASKS.slot(&rcu, key);
        (slot.flatten().is_none(), slot.is_none())
    };
    let first = entries_ahead(group, task, threadgroup, entry_less, short);
    let mut spare = TASKS.spare_within(first)?;
    // A css_set allocated for the move, with the css_set it was planned from.
    let mut fresh: Option<(Arc<CssSet>, Option<Arc<CssSet>>)> = None;
    'again: loop {
        // Under the lock the fork and exit probes take, which alone change a css_set of a
        // task behind the caller's `TCGROUP_MUTEX`.
        let mut guard = CSS_SET_LOCK.lock();
        let rcu = rcu::read_lock();
        // Listed while the task uses it: valid while the lock is held.
        let old = TASKS.load(&rcu, key);
        if old.is_none() != rooted {
            return Ok(None);
        }
        if let Some((_, from)) = &fresh {
            if old.map(core::ptr::from_ref) != from.as_deref().map(core::ptr::from_ref) {
                return Ok(None);
            }
        }
        if !threadgroup {
            if task::is_exiting(task) {
                // As v1: an exiting task cannot be moved. The exit probe takes this lock too,
                // so a task seen alive here is moved before its probe runs, which undoes it.
                return Err(ESRCH);
            }
            // In `group` already: nothing to do, as v1 skips a migration to the same css_set.
            if old
                .and_then(|o| o.group_of(hier))
                .map_or(group.is_root(), |g| Arc::ptr_eq(g, group))
            {
                return Ok(Some(Shared::Done));
            }
        }
        // The css_set of the groups wanted: found in use by their hash (no allocation), or the
        // one allocated on a previous turn, or allocated now, outside the lock.
        let found = CssSetTable::of(MEMBERSHIP.as_ref(&guard)).destination(old, hier, group);
        // `new` was listed by this attempt: unlisted again below if it gets no user.
        let mut listed = false;
        let new = match found {
            Destination::Root => None,
            Destination::InUse(c) => Some(c.clone()),
            Destination::Unused => match fresh.take() {
                Some((f, _)) => {
                    // Room was reserved when it was allocated, and only moves list css_sets:
                    // this does not fail.
                    Membership::list(&mut guard, f.clone())?;
                    listed = true;
                    Some(f)
                }
                None => {
                    let from = old.and_then(|o| Membership::find(&guard, o).cloned());
                    drop(rcu);
                    drop(guard);
                    let f = CssSet::new(replaced(from.as_ref(), hier, group)?)?;
                    Membership::reserve(1)?;
                    reserve_links(f.groups.iter())?;
                    fresh = Some((f, from));
                    continue 'again;
                }
            },
        };
        let Walk {
            moves,
            nr_moves,
            left,
            exited,
            unstarted,
        } = walk(
            &mut guard,
            &rcu,
            Request {
                task,
                key,
                threadgroup,
                hier,
                group,
            },
            old,
            &new,
            &mut spare,
        )?;
        count_uses(&mut guard, &moves[..nr_moves]);
        if let Some(n) = new.as_deref().filter(|_| listed) {
            // Listed above for the written task's css_set, whose threads all turned out to be
            // exiting, not started or short of an entry (the other sources' destinations
            // were in use): unused, and nothing else would unlist it.
            Membership::drop_if_unused(&mut guard, n);
        }
        MEMBERSHIP.as_ref(&guard).refill_if_low();
        drop(moves);
        drop(rcu);
        drop(guard);
        *short = spare.short();
        // Unused entries go to the task map's reserve (or are freed), outside the lock.
        drop(spare);
        if exited {
            return Err(ESRCH);
        }
        // A thread that left the root groups and created one meanwhile: the child's fork
        // probe either saw the creator's new entry (and waited for the lock), or the walk saw
        // the child, which `copy_process()` had put on the thread list before the probe ran
        // (`task::fork_barrier`): no walk again for it.
        return Ok(Some(if left || unstarted {
            Shared::Partly
        } else {
            Shared::Done
        }));
    }
}

/// How many task-map entries [`try_move_shared`] allocates before its lock: those the last
/// attempt found short of (`short`, which it takes), one for the written task or the threads
/// of a process leaving the root groups with no entry (`entry_less`) as counted ahead.
fn entries_ahead(
    group: &Arc<Group>,
    task: &Task,
    threadgroup: bool,
    entry_less: bool,
    short: &mut usize,
) -> usize {
    // Threads in the root groups only that were never out of them have no entry in the task map:
    // each one moved out of them needs one. A thread that was in a group before kept its entry,
    // parked, when it came back (`MapEntry::set`): it changes in place, as in a move between
    // groups, and the written task's entry says whether its process is such. Threads without one
    // are not counted ahead (that was a walk of the thread group, as long as the move's own): the
    // entries come from the reserve until it is low, and the threads that find none are counted
    // and left for the next attempt, which allocates that many here, before the lock. The written
    // task, if it has no entry, is known to need one: allocated at once if the reserve is
    // low, rather than found short of by a first attempt, which would make a process that moves
    // itself out of the root walk its threads twice (the reserve stays low until the refill work
    // has run). Nothing is allocated under the lock.
    let own = entry_less && !group.is_root() && TASKS.reserve_low();
    // A process moved out of the root groups (a supervisor placing the process it has just
    // started, or a process placing itself) mostly has every thread there: its thread count,
    // read in O(1), sizes the entries, allocated in bulk, so that the first attempt does not
    // walk the thread group only to find how many it is short of. If some of its threads are
    // in groups already (the writer's own process, `echo $$`, may have threads elsewhere),
    // the entries they do not use go back to the reserve or the cache, in bulk.
    let ahead = if entry_less && threadgroup && !group.is_root() {
        let pooled = TASKS.reserved().saturating_sub(RESERVE / 2);
        task::nr_threads(task).saturating_sub(pooled)
    } else {
        0
    };
    core::mem::take(short).max(usize::from(own)).max(ahead)
}

/// What [`try_move_shared`] was asked to do: move `task` (its key `key`), with `threadgroup`
/// its whole thread group, into `group` of the hierarchy `hier`.
struct Request<'a> {
    task: &'a Task,
    key: TaskKey,
    threadgroup: bool,
    hier: u64,
    group: &'a Arc<Group>,
}

/// What the walk of [`try_move_shared`] did: the threads it moved per source css_set (the
/// first `nr_moves` of `moves`), and what it left.
struct Walk<'a> {
    moves: [Migration<'a>; SOURCES],
    nr_moves: usize,
    /// A thread was left to the general path: another source css_set, a destination not in
    /// use, or no entry to be had.
    left: bool,
    /// The lone task started exiting while it was moved, and stays where it was.
    exited: bool,
    /// A thread without an entry had not started: the caller waits for it.
    unstarted: bool,
}

/// The walk of [`try_move_shared`], under [`static@CSS_SET_LOCK`] (`guard`) and `rcu`: moves
/// the threads of `req`'s task (or the task alone) from their css_sets to `new` (`old`'s
/// destination) or to the in-use destinations of up to [`SOURCES`] `- 1` other source
/// css_sets, taking entries from `spare`.
fn walk<'r>(
    guard: &mut GlobalGuard<CSS_SET_LOCK>,
    rcu: &'r rcu::Guard,
    req: Request<'_>,
    old: Option<&'r CssSet>,
    new: &Option<Arc<CssSet>>,
    spare: &mut Spare<CssSet>,
) -> Result<Walk<'r>> {
    let Request {
        task,
        key,
        threadgroup,
        hier,
        group,
    } = req;
    // The threads go per css_set they have (v1's migration per source css_set): the
    // written task's first, then up to `SOURCES - 1` others met on the walk whose css_set of
    // destination is in use (found without allocating). A thread with yet another, or
    // whose destination is not in use, is left to the general path.
    let mut moves: [Migration<'_>; SOURCES] = [const {
        Migration {
            from: None,
            to: None,
            moved: 0,
        }
    }; SOURCES];
    moves[0].from = old;
    moves[0].to = new.clone();
    let mut nr_moves = 1;
    let mut left = false;
    // A thread other than the writer that left the root groups: it may have forked during
    // the move (see below). The writer cannot fork while it writes.
    // The lone task started exiting while it was moved, and stays where it was.
    let mut exited = false;
    // A thread without an entry had not started: the caller waits for it.
    let mut unstarted = false;
    {
        let m = MEMBERSHIP.as_mut(guard);
        let Some(w) = m.tasks.as_mut() else {
            return Err(ENODEV);
        };
        // Not `CssSetTable::of(m)`: `w` borrows another field of `m`.
        let table = CssSetTable {
            csets: &m.csets,
            next: &m.next,
            buckets: &m.buckets,
        };
        // A thread, its key, and whether the walk saw it exiting and started.
        let mut one = |th: &Task, key: TaskKey, exiting: bool, started: bool| {
            // An exiting thread stays where it is, as v1's `cgroup_migrate_add_task()`
            // leaves it (a lone task was checked above).
            if threadgroup && exiting {
                return;
            }
            // One look-up of the thread's entry reads its css_set and changes it.
            let entry = TASKS.entry(w, rcu, key);
            let now = entry.get();
            let same =
                |c: Option<&CssSet>| c.map(core::ptr::from_ref) == now.map(core::ptr::from_ref);
            if same(new.as_deref()) {
                return;
            }
            // A thread that has not started and has no entry may be waiting for its fork
            // probe, which takes this lock and will give it its creator's css_set of
            // then: moved already if the creator is in this thread group. Taken as being
            // in the root groups, it would lose its creator's other groups. The caller
            // waits for it to start and looks again (`pending_threads`).
            if now.is_none() && !started {
                unstarted = true;
                return;
            }
            // The written task's css_set, one of the others met already, or a new source.
            let i = match moves[..nr_moves].iter().position(|mv| same(mv.from)) {
                Some(i) => i,
                None if nr_moves == SOURCES => {
                    left = true;
                    return;
                }
                None => {
                    let to = match table.destination(now, hier, group) {
                        Destination::Root => None,
                        Destination::InUse(c) => Some(c.clone()),
                        Destination::Unused => {
                            left = true;
                            return;
                        }
                    };
                    moves[nr_moves] = Migration {
                        from: now,
                        to,
                        moved: 0,
                    };
                    nr_moves += 1;
                    nr_moves - 1
                }
            };
            match entry.set(moves[i].to.as_deref(), th, Some(&mut *spare)) {
                // A first entry, for a thread that started exiting after the test above:
                // its exit probe may have looked without the lock and found none (see
                // `Tracker::exit`). Take it back: the thread stays in the root groups, as
                // if the test had seen the flag.
                Ok(true) if now.is_none() && task::is_exiting_after_store(th) => {
                    TASKS.erase(w, key);
                    exited |= !threadgroup;
                }
                Ok(true) => {
                    moves[i].moved += 1;
                }
                Ok(false) => {}
                // No entry to be had.
                Err(_) => left = true,
            }
        };
        if threadgroup {
            task::for_each_thread_of(task, |th| {
                one(th, th.key(), th.is_exiting(), th.is_started())
            });
        } else {
            one(task, key, false, task::is_started(task));
        }
        // The entries of the threads moved to the root groups, after one grace period.
        TASKS.flush(w);
    }
    Ok(Walk {
        moves,
        nr_moves,
        left,
        exited,
        unstarted,
    })
}

/// The use counts of a walk's `moves`, once per source css_set, whatever its threads. The
/// caller holds [`static@CSS_SET_LOCK`] (`guard`).
fn count_uses(guard: &mut GlobalGuard<CSS_SET_LOCK>, moves: &[Migration<'_>]) {
    for mv in moves.iter() {
        if let Some(t) = &mv.to {
            Membership::get_ref(guard, t, mv.moved);
        }
        if let Some(f) = mv.from {
            Membership::put(guard, f, mv.moved);
        }
    }
}
