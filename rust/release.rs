// SPDX-License-Identifier: GPL-2.0

//! Release notification: marking groups releasable, queueing and running the release agent
//! calls.
//!
//! The state machine of a group, after the 2007 commit and modern cgroup v1:
//!
//! - It becomes *releasable* when it had something and lost it: a task moved out or exited, a
//!   child group was removed, the last `debug.hold` reference was dropped. Writing
//!   `notify_on_release` clears it.
//! - At each of those events, [`check`] queues the group's own work item
//!   (`Group::release_work`, v1's `release_agent_work`) on the module's release workqueue if
//!   the group is releasable, has `notify_on_release`, no task, no child, no reference and is
//!   not removed, as v1's `cgroup1_check_for_release()` does with `schedule_work()`, but only
//!   if the hierarchy has a release agent when the release happens (the stream's flag, read
//!   under [`static@RELEASE_LIST`]): v1 queues the item anyway and reads the agent when it
//!   runs, so a release made with no agent, followed at once by setting one, gets a call in v1
//!   and none here; with an emptied agent and a stream reader, a release costs no work item,
//!   mutex or copy of the agent. The events
//!   happen in atomic context too (the exit probe): the item is embedded in the group and takes
//!   a reference to it (an atomic increment), so queueing allocates nothing, visits no other
//!   group, cannot fail and waits for no other group's event.
//! - The work item, as v1's `cgroup1_release_agent()`, builds the call under
//!   [`static@TCGROUP_MUTEX`] -- the hierarchy's agent, copied, and the group's path, walking
//!   its ancestors only -- drops the mutex and runs the agent with `UMH_WAIT_EXEC`, so that one
//!   agent's exec does not wait for another's: the items of many groups run at once, each
//!   holding the mutex only to build its call. If memory runs out while the call is built, the
//!   item queues itself again after a delay of its own that doubles from [`RETRY_MIN_MS`] up to
//!   [`RETRY_MAX_MS`]: a release is delayed, never lost. While it waits the group is on the
//!   *retry list*, so that module exit can run the waiting items at once and wait for them (a
//!   pending timer holds its group and must not outlive the workqueue).
//! - A group repopulated after its release still gets its call (as in v1; the agent's `rmdir`
//!   then fails with `EBUSY`). A removed group gets no call: its item finds it removed under
//!   [`static@TCGROUP_MUTEX`], which `rmdir` holds while it marks it. A group released again
//!   while its item is still pending gets that one call, with the path it has when the item
//!   runs (as v1's `schedule_work()` on a pending `release_agent_work`); released again once
//!   the item has started, it gets a second call.

use crate::{
    agent::AgentCall,
    compat::{
        atomic::Relaxed,
        impl_list_item,
        lock::{
            GlobalGuard,
            GlobalLockedBy, //
        },
        prelude::*,
        CString, //
    },
    group::{
        cstring,
        Group, //
    },
    list::SoleList,
    sync::{
        CSS_SET_LOCK,
        RELEASE_LIST,
        TCGROUP_MUTEX, //
    },
    workqueue::{
        impl_has_delayed_work,
        ArcDelayedWork,
        DelayedWorkItem,
        OwnedQueue, //
    },
};
use kernel::{
    bindings,
    list::{
        AtomicTracker,
        ListArc,
        TryNewListArc, //
    },
    sync::Arc,
};

/// The first delay before a group's work item retries after running out of memory.
const RETRY_MIN_MS: u64 = 10;

/// The longest delay between two retries of a group's work item.
const RETRY_MAX_MS: u64 = 1000;

// A group is on the retry list at most once: the `ListArc` of a group exists only while it is
// listed, which `release_tracker` tracks.
kernel::list::impl_list_arc_safe! {
    impl ListArcSafe<0> for Group { tracked_by release_tracker: AtomicTracker; }
}

impl_list_item! {
    impl ListItem<0> for Group { using ListLinks { self.release_links }; }
}

impl_has_delayed_work! {
    impl HasDelayedWork for Group { self.release_work }
}

/// The retry list and the release workqueue, under [`static@RELEASE_LIST`]: a spinlock taken
/// after [`static@CSS_SET_LOCK`] (and [`static@TCGROUP_MUTEX`]), with nothing taken under it
/// but a stream reader's ring.
static RELEASES: GlobalLockedBy<Releases, RELEASE_LIST> = GlobalLockedBy::new(Releases {
    retry: crate::list::sole_list!(Group),
    queue: None,
});

/// The state protected by [`static@RELEASE_LIST`], in [`RELEASES`].
pub(crate) struct Releases {
    /// The groups whose work item waits out a retry delay (its timer holds a reference of its
    /// own); each is referenced by its entry too, until the item runs or module exit takes it.
    pub(crate) retry: SoleList<Group>,
    /// The release workqueue, from module init until module exit begins: reachable from any
    /// context, and queued to only while it is here.
    pub(crate) queue: Option<OwnedQueue>,
}

/// Queues the agent call of `group` if it qualifies, and records its release in the stream;
/// see the module documentation. Any context.
pub(crate) fn check(guard: &mut GlobalGuard<CSS_SET_LOCK>, group: &Arc<Group>) {
    if group.is_root()
        || !group.releasable.load(Relaxed)
        || !group.notify_on_release.load(Relaxed)
        || *group.nr_tasks.as_ref(guard) != 0
        || group.nr_children.load(Relaxed) != 0
        || group.refs.load(Relaxed) != 0
    {
        return;
    }
    let mut guard = RELEASE_LIST.lock();
    // A removed group is neither queued nor recorded (its item would find it removed anyway).
    if group.removed.load(Relaxed) {
        return;
    }
    // A new release unless the group gained nothing since the last one recorded: `events_seq`
    // changes under `CSS_SET_LOCK`, which the caller holds, `busy_seq` before the child or
    // reference that the event then lost.
    let key = (group.events_seq.load(Relaxed), group.busy_seq.load(Relaxed));
    let new = group.stream_key.as_mut(&mut guard).replace(key) != Some(key);
    // No item for a hierarchy without an agent: it would only find the agent empty (unlike
    // v1, where the item is queued anyway and reads the agent when it runs).
    if group.stream.has_agent(&guard) {
        if let Some(queue) = &RELEASES.as_ref(&guard).queue {
            // Pending already: one agent call for both releases (as v1), but a record each.
            // The reference that comes back is not the last one: the caller holds `group`.
            let _ = ArcDelayedWork::queue(group.clone(), queue, 0);
        }
    }
    if new {
        group.stream.record(&mut guard, group);
        drop(guard);
        group.stream.wake();
    }
}

/// Runs [`check`] with the lock taken.
pub(crate) fn check_locked(group: &Arc<Group>) {
    check(&mut CSS_SET_LOCK.lock(), group);
}

impl DelayedWorkItem for Group {
    /// Builds the agent call of the group and runs it, or retries later if memory ran out.
    fn run(group: Arc<Group>) {
        if group.release_retry_ms.load(Relaxed) != 0 {
            // Off the retry list, unless module exit took it off. Dropped after the spinlock;
            // not the last reference, `group` is one.
            let entry = RELEASES
                .as_mut(&mut RELEASE_LIST.lock())
                .retry
                .remove(&group);
            drop(entry);
        }
        match prepare(&group) {
            Ok(call) => {
                group.release_retry_ms.store(0, Relaxed);
                if let Some(call) = call {
                    call.run();
                }
            }
            Err(e) => retry(group, e),
        }
    }
}

/// Queues the work item of `group`, whose call could not be built (`err`), again after its
/// next retry delay, and lists the group for retry.
fn retry(group: Arc<Group>, err: Error) {
    // Only the group's item touches its delay, and an item never runs twice at once.
    let delay = match group.release_retry_ms.load(Relaxed) {
        0 => RETRY_MIN_MS,
        d => d.saturating_mul(2).min(RETRY_MAX_MS),
    };
    group.release_retry_ms.store(delay, Relaxed);
    let (listed, unqueued) = {
        let mut guard = RELEASE_LIST.lock();
        let rel = RELEASES.as_mut(&mut guard);
        match &rel.queue {
            Some(queue) => {
                let listed = ListArc::try_from_arc(group.clone()).map(|e| rel.retry.push_back(e));
                // Pending already if released again since the item started: it then runs at
                // once, with its own reference, and this one comes back.
                (
                    listed.err(),
                    ArcDelayedWork::queue(group, queue, u32::try_from(delay).unwrap_or(u32::MAX))
                        .err(),
                )
            }
            // Module exit: no hierarchy is left, so the group is removed and gets no call.
            None => (None, Some(group)),
        }
    };
    // Freed after the spinlock (`listed` is the reference of a group listed already).
    drop((listed, unqueued));
    crate::compat::pr_warn_once!(
        "cannot prepare a release agent call ({:?}); retrying, every {} ms at most\n",
        err,
        RETRY_MAX_MS
    );
}

/// Builds the agent call of `group`, released: `None` if it gets none (removed meanwhile, no
/// agent, a path too long). Fails only when memory runs out.
fn prepare(group: &Group) -> Result<Option<AgentCall>> {
    let tree = TCGROUP_MUTEX.lock();
    // `rmdir` marks a group removed under this mutex: a group removed before its call is built
    // gets none.
    if group.tree.as_ref(&tree).removed {
        return Ok(None);
    }
    let Some(hier) = crate::hierarchy::find(&tree, group.hier) else {
        // A hierarchy lives while it has groups; a group of no hierarchy is removed.
        return Ok(None);
    };
    let agent = hier.release_agent()?;
    if agent.is_empty() {
        return Ok(None);
    }
    let path = match path(&tree, group) {
        Err(e) if e == ENAMETOOLONG => {
            // As v1, which does not call the agent with a path of `PATH_MAX` or more; unlike
            // v1, counted and logged. The release is over: a retry would fail the same way.
            hier.stats.launched.fetch_add(1, Relaxed);
            hier.stats.failed(e, &agent, b"(path too long)");
            return Ok(None);
        }
        res => res?,
    };
    let call = AgentCall {
        stats: hier.stats.clone(),
        agent: cstring(&agent)?,
        path,
    };
    // Counted once built, before the exec: once a later release's call has run, every earlier
    // one is counted, wherever its exec stands.
    hier.stats.launched.fetch_add(1, Relaxed);
    Ok(Some(call))
}

/// The path of `group` relative to its hierarchy's root, as v1 passes it: `/a/b`. A path of
/// `PATH_MAX` bytes or more is `ENAMETOOLONG`, as v1's `cgroup_path_ns()` makes it.
pub(crate) fn path(guard: &GlobalGuard<TCGROUP_MUTEX>, group: &Group) -> Result<CString> {
    // The length first (`Group::write_path`), so that the buffer is allocated once and a path
    // that is too long is not built at all.
    let mut buf = KVec::new();
    group.write_path(
        guard,
        &mut buf,
        bindings::PATH_MAX as usize,
        <[u8]>::len,
        <[u8]>::copy_from_slice,
    )?;
    cstring(&buf)
}

/// The release machinery of the module: the release workqueue, reachable from atomic context
/// through [`static@RELEASE_LIST`]. Dropping it runs the items waiting out a retry delay at once
/// and destroys the workqueue, which waits for every queued item and the agent calls.
pub(crate) struct Releaser(());

impl Releaser {
    /// Creates the release workqueue.
    pub(crate) fn new() -> Result<Self> {
        // Per CPU, as v1's `system_wq`: an item runs on the CPU whose release queued it, and
        // another starts when one sleeps (in `TCGROUP_MUTEX` or the exec).
        let queue = OwnedQueue::new_per_cpu(c"tcgroup_release")?;
        RELEASES.as_mut(&mut RELEASE_LIST.lock()).queue = Some(queue);
        Ok(Self(()))
    }
}

impl Drop for Releaser {
    fn drop(&mut self) {
        // Nothing queues an item or lists a group once this is taken: releases and retries see
        // no queue.
        let queue = RELEASES.as_mut(&mut RELEASE_LIST.lock()).queue.take();
        if let Some(queue) = queue {
            // A waiting item's timer would outlive the workqueue: run each at once and wait
            // for it (no hierarchy is left, so its group is removed and gets no call).
            loop {
                let entry = RELEASES.as_mut(&mut RELEASE_LIST.lock()).retry.pop_front();
                let Some(entry) = entry else {
                    break;
                };
                let group = entry.into_arc();
                ArcDelayedWork::flush(&*group);
            }
            // Destroyed outside the spinlock: it waits for the queued items and their calls.
            drop(queue);
        }
    }
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_release)]
mod tests {
    use super::*;
    use crate::group::{
        test_group as group,
        Name, //
    };

    #[test]
    fn path_of_a_child_of_the_root() -> Result {
        let root = group(None, b"")?;
        let a = group(Some(&root), b"a")?;
        let guard = TCGROUP_MUTEX.lock();
        assert_eq!(path(&guard, &a)?.to_bytes(), b"/a");
        Ok(())
    }

    #[test]
    fn path_of_a_nested_group() -> Result {
        let root = group(None, b"")?;
        let jobs = group(Some(&root), b"jobs")?;
        let batch = group(Some(&jobs), b"batch")?;
        let g = group(Some(&batch), b"42")?;
        let guard = TCGROUP_MUTEX.lock();
        assert_eq!(path(&guard, &g)?.to_bytes(), b"/jobs/batch/42");
        assert_eq!(path(&guard, &jobs)?.to_bytes(), b"/jobs");
        Ok(())
    }

    #[test]
    fn path_keeps_names_as_they_are() -> Result {
        // Any byte but `/`, NUL and (refused by `mkdir`) newline may be in a name; the agent
        // gets it unescaped, as from v1.
        let root = group(None, b"")?;
        let a = group(Some(&root), b"a b")?;
        let g = group(Some(&a), b".x-\xc3\xa9")?;
        let guard = TCGROUP_MUTEX.lock();
        assert_eq!(path(&guard, &g)?.to_bytes(), b"/a b/.x-\xc3\xa9");
        Ok(())
    }

    #[test]
    fn path_up_to_path_max_minus_one() -> Result {
        // 15 levels of 255-byte names and a last one: `/name` is 256 bytes a level.
        let long = [b'n'; 255];
        let mut g = group(None, b"")?;
        for _ in 0..15 {
            g = group(Some(&g), &long)?;
        }
        let fits = group(Some(&g), &long[..254])?;
        let too_long = group(Some(&g), &long)?;
        let guard = TCGROUP_MUTEX.lock();
        assert_eq!(path(&guard, &fits)?.to_bytes().len(), 4095);
        assert!(path(&guard, &too_long).err() == Some(ENAMETOOLONG));
        Ok(())
    }

    #[test]
    fn path_follows_a_rename() -> Result {
        let root = group(None, b"")?;
        let a = group(Some(&root), b"old")?;
        let g = group(Some(&a), b"leaf")?;
        let new = Name::new(b"new")?;
        let mut guard = TCGROUP_MUTEX.lock();
        a.tree.as_mut(&mut guard).name = new;
        assert_eq!(path(&guard, &g)?.to_bytes(), b"/new/leaf");
        Ok(())
    }
}
