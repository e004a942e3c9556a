// SPDX-License-Identifier: GPL-2.0

//! `cgroup.kill`: `SIGKILL` to every process of a group and of its descendants, as cgroup v2's
//! `cgroup_kill()` sends it.
//!
//! The kill holds [`static@TCGROUP_MUTEX`] throughout, as v2 holds `cgroup_mutex`: no task moves in
//! or out meanwhile. It walks every thread once and signals each process with a thread in the
//! subtree; the signal is for the whole thread group, so a thread group is signalled once and
//! the others of its threads are skipped as dying.
//!
//! What a fork does meanwhile is what makes this complete without v2's `kill_seq`. A process
//! of the subtree that forks inserts its child on the task list (at the tail, under its own
//! `siglock`) only after checking, under that lock, that no fatal signal is pending for it
//! (`copy_process()`). So either the walk's `SIGKILL` to it came first, and the fork fails, or
//! the insertion came first: the walk's signal takes the same `siglock` after it, and then
//! finds the child ahead, at the tail of the list it walks. A child met before its fork probe
//! has placed it (not started, no task-map entry) is waited for after the walk and signalled
//! if its probe put it in the subtree. Such a late one was not signalled when the walk passed
//! the tail, and may have forked in between: its child is then behind the walk. So the walk
//! is made again until a walk signals nobody late (each time fewer are left unsignalled to
//! fork: a fork bomb in the subtree ends in a few walks). Threads need nothing of their own:
//! `SIGKILL` to a process reaches every thread on its list, a new one included, and a thread
//! of a process with a fatal signal pending cannot create another.

use crate::{
    compat::{
        prelude::*,
        ARef, //
    },
    group::Group,
    membership::{
        self,
        Place, //
    },
    sync::TCGROUP_MUTEX,
    task,
};
use kernel::{
    sync::Arc,
    task::Task, //
};

/// How many walks a kill makes at most: again when new tasks outgrow the buffer of those not
/// started, or when a task signalled after a walk may have forked behind it. `EAGAIN` beyond.
const WALK_RETRIES: usize = 64;

/// Whether `group` is `top` or one of its descendants: a walk of its ancestors.
fn in_subtree(group: &Group, top: &Group) -> bool {
    let mut cur = Some(group);
    while let Some(g) = cur {
        if core::ptr::eq(g, top) {
            return true;
        }
        cur = g.parent.as_deref();
    }
    false
}

/// Whether `task` is in `top` of `hier` or a descendant, as the task map says now.
fn is_in(task: &Task, hier: u64, top: &Group) -> bool {
    let rcu = crate::compat::rcu::read_lock();
    let place = membership::place_in(&rcu, task::key(task), hier);
    matches!(place, Place::Group(g) if in_subtree(g, top))
}

/// Sends `SIGKILL` to every process with a thread in `top` of the hierarchy `hier` or in one of
/// its descendants, the processes created meanwhile included; returns once each has been
/// signalled. `ENODEV` if `top` has been removed.
pub(crate) fn kill(hier: u64, top: &Arc<Group>) -> Result {
    let tree = TCGROUP_MUTEX.lock();
    if top.tree.as_ref(&tree).removed {
        return Err(ENODEV);
    }
    for _ in 0..WALK_RETRIES {
        // Tasks met before their fork probe placed them: their groups are known once they
        // have started. Rare: the buffer grows without sleeping, and the walk starts over
        // (signalling nobody twice) if it cannot.
        let mut unstarted = KVec::<ARef<Task>>::new();
        let mut overflow = false;
        task::for_each_thread(|th| {
            let rcu = crate::compat::rcu::read_lock();
            match membership::place_in(&rcu, th.key(), hier) {
                Place::Group(g) if in_subtree(g, top) => task::kill_process(th),
                Place::NoEntry if !th.is_started() => {
                    if unstarted.push(ARef::from(&**th), GFP_NOWAIT).is_err() {
                        overflow = true;
                    }
                }
                _ => {}
            }
        });
        if overflow {
            continue;
        }
        // Signalled after the walk: it may have forked behind it, so walk again.
        let mut late = false;
        for th in unstarted.into_iter() {
            task::wait_started(&th)?;
            if is_in(&th, hier, top) {
                task::kill_process(&th);
                late = true;
            }
        }
        if !late {
            return Ok(());
        }
    }
    Err(EAGAIN)
}
