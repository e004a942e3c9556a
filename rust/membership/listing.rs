// SPDX-License-Identifier: GPL-2.0

//! Listing the tasks of a group, and counting them.

use crate::membership::{
    is_member,
    LIST_RETRIES,
    MEMBERSHIP,
    TASKS, //
};
use crate::{
    compat::{
        prelude::*,
        rcu, //
    },
    group::Group,
    sync::CSS_SET_LOCK,
    task, //
};
use kernel::sync::Arc;

/// The ids of the tasks in `group` of `hier`, as seen from the reader's pid namespace: thread
/// ids, or with `tgid` the (unique) thread-group ids. Sorted ascending.
///
/// A group other than a root visits its css_sets and their tasks only (O(its tasks)); a root
/// group, which lists the tasks without an entry in the task map, walks every thread.
pub(crate) fn task_ids(hier: u64, group: &Arc<Group>, tgid: bool) -> Result<KVec<i32>> {
    let mut ids = if group.is_root() {
        list_root(hier, group, tgid)?
    } else {
        list_members(group, tgid)?
    };
    ids.sort_unstable();
    if tgid {
        // Unique ids: keep the first of each run.
        let mut w = 0;
        for r in 0..ids.len() {
            if w == 0 || ids[r] != ids[w - 1] {
                ids[w] = ids[r];
                w += 1;
            }
        }
        ids.truncate(w);
    }
    Ok(ids)
}

/// The ids of the tasks of `group`, not a root, in no order: the tasks of each css_set on the
/// group's list ([`Group::csets`]), v1's walk of `cgrp->cset_links` and each
/// `css_set->tasks`. One snapshot under [`static@CSS_SET_LOCK`], which every change of a task's
/// css_set holds; a task whose entry is on a list has not passed its exit probe, which takes
/// the entry off under the same lock, so it is alive. The buffer is sized before the lock by
/// the group's task count, which the lock keeps equal to the entries on the lists.
pub(super) fn list_members(group: &Arc<Group>, tgid: bool) -> Result<KVec<i32>> {
    for _ in 0..LIST_RETRIES {
        let n = *group.nr_tasks.as_ref(&CSS_SET_LOCK.lock());
        let mut ids = KVec::with_capacity(n, GFP_KERNEL)?;
        let guard = CSS_SET_LOCK.lock();
        if *group.nr_tasks.as_ref(&guard) > ids.capacity() {
            // Tasks joined meanwhile: size again.
            continue;
        }
        let m = MEMBERSHIP.as_ref(&guard);
        let Some(w) = m.tasks.as_ref() else {
            return Ok(ids);
        };
        let mut overflow = false;
        for &slot in group.csets.as_ref(&guard).iter() {
            let Some(cset) = m.csets.get(slot).and_then(Option::as_ref) else {
                continue;
            };
            TASKS.for_each_member(w, cset, |t| {
                let id = if tgid { task::vtgid(t) } else { task::vpid(t) };
                // Within the capacity checked above: no allocation.
                if id != 0 && ids.push(id, GFP_NOWAIT).is_err() {
                    overflow = true;
                }
            });
        }
        drop(guard);
        if overflow {
            continue;
        }
        return Ok(ids);
    }
    Err(EAGAIN)
}

/// The ids of the tasks in the root group `group` of `hier`, in no order: every thread is
/// walked, since a task in the root groups only has no entry in the task map, or a parked one,
/// on no css_set's list.
pub(super) fn list_root(hier: u64, group: &Arc<Group>, tgid: bool) -> Result<KVec<i32>> {
    for _ in 0..LIST_RETRIES {
        let mut n = 0usize;
        task::for_each_thread(|_| n += 1);
        let mut ids = KVec::with_capacity(n + 64, GFP_KERNEL)?;
        let mut overflow = false;
        {
            // Lockless: the css_sets are read under RCU while every thread is walked.
            let rcu = rcu::read_lock();
            task::for_each_thread(|t| {
                if !is_member(&rcu, t.key(), hier, group) {
                    return;
                }
                // An exiting task has no entry once its exit probe has run, but stays on the
                // thread list (a zombie, or a leader that exited before its threads): it has left
                // its groups, so the root, which lists tasks without an entry, leaves it out, as
                // v1's root stops listing it at `cgroup_exit()`.
                if group.is_root() && t.is_exiting() {
                    return;
                }
                let id = if tgid { task::vtgid(t) } else { task::vpid(t) };
                if id != 0 && ids.push(id, GFP_NOWAIT).is_err() {
                    overflow = true;
                }
            });
        }
        if overflow {
            continue;
        }
        return Ok(ids);
    }
    Err(EAGAIN)
}

/// The number of tasks in `group` of `hier`.
pub(crate) fn count(hier: u64, group: &Arc<Group>) -> Result<usize> {
    if group.is_root() {
        return Ok(task_ids(hier, group, false)?.len());
    }
    Ok(*group.nr_tasks.as_ref(&CSS_SET_LOCK.lock()))
}
