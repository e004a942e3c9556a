// SPDX-License-Identifier: GPL-2.0

//! Task membership: css_sets, the task map, attaching, listing, fork and exit.
//!
//! Every task is in one group of each hierarchy. A [`CssSet`] is the tuple of a task's
//! non-root groups, one per hierarchy at most; tasks with the same tuple share one. A task in
//! root groups only that never left them has no entry and costs no memory; one moved back to
//! them keeps its entry, parked (readers find nothing), until it exits or moves out again.
//!
//! Readers find a task's css_set in [`TASKS`] under RCU, without locks. Writers -- the fork
//! and exit probes, which run in atomic context, and moves -- hold [`static@CSS_SET_LOCK`], a
//! spinlock, which also protects the css_set list and every use count; moves also hold
//! [`static@TCGROUP_MUTEX`] (taken first), which serialises every change of a task's css_set other
//! than exit. A css_set that loses its last task is taken off the list and unpublished, and
//! freed only after a grace period ([`drop_after_gp`]), since readers may still hold it.
//!
//! This file holds the state and the look-ups of a task's groups; one file per job does the
//! rest:
//!
//! - [`css_set`]: css_sets, their table and their links to the groups;
//! - [`tracker`]: the fork and exit probes' side;
//! - [`migration`]: moving tasks (`tasks`, `cgroup.procs`);
//! - [`listing`]: the ids of a group's tasks.
//!
//! [`drop_after_gp`]: crate::rcu_free::drop_after_gp
//! [`static@TCGROUP_MUTEX`]: static@crate::sync::TCGROUP_MUTEX

use crate::{
    compat::{
        lock::GlobalLockedBy,
        prelude::*,
        rcu, //
    },
    group::Group,
    sync::CSS_SET_LOCK,
    task::{
        self,
        TaskKey, //
    },
    task_map::TaskMap, //
};
use kernel::{
    sync::Arc,
    task::Task, //
};

mod css_set;
mod listing;
mod migration;
mod tracker;

pub(crate) use css_set::{
    css_sets,
    forget,
    init,
    CssSet,
    Leftovers,
    Membership,
    Refiller, //
};
pub(crate) use listing::{
    count,
    task_ids, //
};
pub(crate) use migration::attach;
pub(crate) use tracker::{
    entry_stats,
    fork_stats,
    Tracker, //
};

/// The css_set table and the task map's writer, under [`static@CSS_SET_LOCK`].
///
/// Set up by `crate::globals` at module init (the writer and the refill work) and emptied by it
/// at module exit ([`Membership::take`]).
pub(crate) static MEMBERSHIP: GlobalLockedBy<Membership, CSS_SET_LOCK> =
    GlobalLockedBy::new(Membership::new());

/// Every task's css_set, by task, for readers under RCU; initialised and destroyed by
/// `crate::globals`.
pub(crate) static TASKS: TaskMap<CssSet> = TaskMap::uninit();

/// How often a listing is retried when tasks appear faster than its buffer grows.
const LIST_RETRIES: usize = 8;

/// Whether the task of `key` is in `group` of `hier`, as its css_set (found under `rcu`) says.
fn is_member(rcu: &rcu::Guard, key: TaskKey, hier: u64, group: &Arc<Group>) -> bool {
    match TASKS.load(rcu, key).and_then(|c| c.group_of(hier)) {
        Some(g) => Arc::ptr_eq(g, group),
        None => group.is_root(),
    }
}

/// The css_set `task` uses, with a reference.
fn current_cset(task: &Task) -> Option<Arc<CssSet>> {
    let guard = CSS_SET_LOCK.lock();
    let rcu = rcu::read_lock();
    TASKS
        .load(&rcu, task::key(task))
        .and_then(|c| Membership::find(&guard, c).cloned())
}

/// Where a task is in one hierarchy, as the task map says ([`place_in`]).
pub(crate) enum Place<'a> {
    /// No task-map entry, or a parked one: the root group of every hierarchy, or, for a task
    /// that has not started ([`task::is_started`]), not placed by its fork probe yet.
    NoEntry,
    /// The root group of this hierarchy; a group of another one.
    Root,
    /// This group.
    Group(&'a Arc<Group>),
}

/// Where the task of `key` is in the hierarchy `hier`, as its css_set (found under `rcu`) says.
pub(crate) fn place_in<'a>(rcu: &'a rcu::Guard, key: TaskKey, hier: u64) -> Place<'a> {
    match TASKS.load(rcu, key) {
        None => Place::NoEntry,
        Some(c) => c.group_of(hier).map_or(Place::Root, Place::Group),
    }
}

/// The non-root groups `task` is in, at most one per hierarchy, in increasing hierarchy id;
/// none for a task in the root groups only, or one whose exit probe has run. O(hierarchies),
/// whatever the tasks and groups: the task map finds its css_set.
pub(crate) fn groups_of(task: &Task) -> Result<KVec<Arc<Group>>> {
    let Some(cset) = current_cset(task) else {
        return Ok(KVec::new());
    };
    let mut groups = KVec::with_capacity(cset.groups.len(), GFP_KERNEL)?;
    for g in cset.groups.iter() {
        groups.push(g.clone(), GFP_KERNEL)?;
    }
    Ok(groups)
}
