// SPDX-License-Identifier: GPL-2.0

//! The fork and exit probes' side of membership: a child gets its parent's css_set, an exiting
//! task leaves its own.

use crate::membership::{
    Membership,
    MEMBERSHIP,
    TASKS, //
};
use crate::{
    compat::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        rcu, //
    },
    sync::CSS_SET_LOCK,
    task,
    task_map::Source,
    tracepoint::ForkExit, //
};
use kernel::task::Task;

/// Forks whose child found the task map's reserve empty and got its entry from a `GFP_ATOMIC`
/// allocation.
pub(super) static FORK_ALLOCATED: Atomic<u64> = Atomic::new(0);

/// Forks whose child could not be given its parent's groups: the reserve was empty and the
/// `GFP_ATOMIC` allocation failed. The child stays in the root groups.
pub(super) static FORK_FAILED: Atomic<u64> = Atomic::new(0);

/// The fork probe's counts, for the root's `membership.stats`: forks whose child's entry came
/// from an atomic allocation, forks whose child was left in the root groups, and the task
/// map's reserve.
pub(crate) fn fork_stats() -> (u64, u64, usize) {
    (
        FORK_ALLOCATED.load(Relaxed),
        FORK_FAILED.load(Relaxed),
        TASKS.reserved(),
    )
}

/// The task map's entries, for the root's `membership.stats`: all of them (one per task that
/// is in a group, or was and has not exited), and those parked (of tasks moved back to the root
/// groups).
pub(crate) fn entry_stats() -> (usize, usize) {
    TASKS.entries()
}

/// The fork and exit probes' side of membership.
pub(crate) struct Tracker;

impl ForkExit for Tracker {
    fn fork(parent: &Task, child: &Task) {
        // Most tasks are in root groups only: find that out without the global lock. A move
        // that gives the parent its first entry meanwhile either is seen here, or sees the
        // child on the thread list, which `copy_process()` put it on before this probe: the
        // barrier pairs with the move's after it publishes the entry (`task::fork_barrier`).
        task::fork_barrier();
        let rcu = rcu::read_lock();
        let parent_key = task::key(parent);
        if TASKS.load(&rcu, parent_key).is_none() {
            return;
        }
        let mut guard = CSS_SET_LOCK.lock();
        let Some(cset) = TASKS.load(&rcu, parent_key) else {
            // The parent is in root groups only, and so is the child.
            return;
        };
        let child_key = task::key(child);
        // No move gives an entry to a task that has not started and has none (it waits for
        // it, see `attach`): the child has none. Were it otherwise, the entry would be kept.
        if TASKS.load(&rcu, child_key).is_some() {
            return;
        }
        let Some(w) = MEMBERSHIP.as_mut(&mut guard).tasks.as_mut() else {
            return;
        };
        // The entry comes from the reserve, which process context refills: no allocation
        // unless the reserve ran dry.
        match TASKS.store(w, child_key, child, cset, None) {
            Ok(Source::Allocated) => {
                FORK_ALLOCATED.fetch_add(1, Relaxed);
            }
            Ok(_) => {}
            Err(_) => {
                FORK_FAILED.fetch_add(1, Relaxed);
                MEMBERSHIP.as_ref(&guard).refill_if_low();
                crate::compat::pr_warn_once!(
                    "fork: task map reserve empty and allocation failed; child left in the root groups (counted in membership.stats)\n"
                );
                return;
            }
        }
        // A published css_set is listed while it has users (the parent is one), so the
        // reference is the list's.
        Membership::get_ref(&mut guard, cset, 1);
        MEMBERSHIP.as_ref(&guard).refill_if_low();
    }

    fn exit(task: &Task) {
        // Most tasks are in root groups only: they have no entry, and their exit takes no
        // global lock. A move that gives a task its first entry tests `PF_EXITING` after
        // publishing it (`task::is_exiting_after_store`), and this probe runs after the flag
        // is set and issues the pairing barrier before its look-up: either the move sees the
        // flag and takes the entry back, or this sees the entry and waits for the move's lock.
        // An entry that changes css_set stays in place, parked when its task goes back to the
        // root groups (a task with a parked entry is in the root groups, but its entry is
        // freed here), and a task's last entry is removed only here or by a move: the look-up
        // below then finds what the lock protects.
        task::exit_barrier();
        let rcu = rcu::read_lock();
        let key = task::key(task);
        if !TASKS.holds(&rcu, key) {
            return;
        }
        let mut guard = CSS_SET_LOCK.lock();
        let Some(w) = MEMBERSHIP.as_mut(&mut guard).tasks.as_mut() else {
            return;
        };
        // One walk of the entry's chain finds and unpublishes it; the entry goes back to the
        // reserve with a batch of others (one `call_rcu()` per batch, not per exit). A parked
        // entry goes too, with no css_set to put.
        let Some(cset) = TASKS.remove(w, &rcu, key) else {
            MEMBERSHIP.as_ref(&guard).refill_if_low();
            return;
        };
        Membership::put(&mut guard, cset, 1);
        MEMBERSHIP.as_ref(&guard).refill_if_low();
    }
}
