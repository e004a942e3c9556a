// SPDX-License-Identifier: GPL-2.0

//! Release notification: marking groups releasable, the release list, running the release
//! agent.
//!
//! The state machine of a group, after the 2007 commit and modern cgroup v1:
//!
//! - It becomes *releasable* when it had something and lost it: a task moved out or exited, a
//!   child group was removed, the last `debug.hold` reference was dropped. Writing
//!   `notify_on_release` clears it.
//! - At each of those events, [`check`] puts it on the *release list* if it is releasable, has
//!   `notify_on_release`, no task, no child, no reference and is not removed, unless it is on
//!   the list already, and queues the drain work. The events happen in atomic context too (the
//!   exit probe): listing links the group through its own `ListLinks` and queueing the
//!   drain work, a static delayed work item, allocates nothing, so a release can neither fail
//!   nor wait for another group's event. This is the 2007 commit's `release_list`.
//! - The drain work, on the module's own workqueue, takes the listed groups off one at a time,
//!   under [`static@TCGROUP_MUTEX`] in batches of [`BATCH`], and for each builds its path (walking
//!   its ancestors only) and copies the agent: nothing on the release path visits a group other
//!   than the released one and its ancestors. The call goes to the group's own work item
//!   (allocated with the group, as v1's `release_agent_work`), which runs the agent with
//!   `UMH_WAIT_EXEC` after the locks are dropped, so that one agent's exec does not wait for
//!   another's. If memory runs out while the call is built, the group goes back to the head of
//!   the list and the drain work retries after a delay that doubles from [`RETRY_MIN_MS`] up
//!   to [`RETRY_MAX_MS`]: a release is delayed, never lost.
//! - A group repopulated after being listed still gets its call (as in v1; the agent's `rmdir`
//!   then fails with `EBUSY`). `rmdir` takes a listed group off the list, so a removed group
//!   gets no call. A group released again before its previous call has started gets that one
//!   call, with the newer path (as v1's `schedule_work()` on a pending `release_agent_work`).

use crate::{
    agent::AgentCall,
    compat::{
        atomic::{
            Atomic,
            Relaxed, //
        },
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
        DelayedWorkRef,
        OwnedQueue,
        StaticDelayedWork,
        WorkFn, //
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
    workqueue::WorkItem, //
};

/// How many groups the drain work takes off the list per hold of [`static@TCGROUP_MUTEX`]: `mkdir`,
/// `rmdir` and moves wait at most that long for a drain of many groups.
const BATCH: usize = 64;

/// The first delay before the drain work retries after running out of memory.
const RETRY_MIN_MS: u64 = 10;

/// The longest delay between retries of the drain work.
const RETRY_MAX_MS: u64 = 1000;

/// The delay before the next retry of the drain work; 0 when the last run completed.
static RETRY_MS: Atomic<u64> = Atomic::new(0);

/// The drain work: a static item, so that queueing it never allocates.
static DRAIN: StaticDelayedWork<Drain> = StaticDelayedWork::new();

// A group is on the release list at most once: the `ListArc` of a group exists only while it
// is listed, which `release_tracker` tracks.
kernel::list::impl_list_arc_safe! {
    impl ListArcSafe<0> for Group { tracked_by release_tracker: AtomicTracker; }
}

impl_list_item! {
    impl ListItem<0> for Group { using ListLinks { self.release_links }; }
}

kernel::impl_has_work! {
    impl HasWork<Self> for Group { self.release_work }
}

/// The release list and the release machinery, under [`static@RELEASE_LIST`]: a spinlock taken
/// after [`static@CSS_SET_LOCK`] (and [`static@TCGROUP_MUTEX`]), with nothing taken under it.
static RELEASES: GlobalLockedBy<Releases, RELEASE_LIST> = GlobalLockedBy::new(Releases {
    list: crate::list::sole_list!(Group),
    machinery: None,
});

/// The state protected by [`static@RELEASE_LIST`], in [`RELEASES`].
pub(crate) struct Releases {
    /// The groups waiting for the drain work, in the order they were released. Each listed
    /// group is referenced by its entry.
    pub(crate) list: SoleList<Group>,
    /// The workqueue and the drain work, from module init until module exit begins.
    pub(crate) machinery: Option<Machinery>,
}

/// The release workqueue and the drain work, reachable under [`static@RELEASE_LIST`] from any
/// context.
pub(crate) struct Machinery {
    queue: OwnedQueue,
    drain: DelayedWorkRef<Drain>,
}

impl Machinery {
    /// Queues the drain work after `delay_ms` milliseconds; a run already queued stays as it
    /// is (a pending retry then takes new releases with it).
    fn queue_drain(&self, delay_ms: u64) {
        self.drain
            .queue(&self.queue, u32::try_from(delay_ms).unwrap_or(u32::MAX));
    }
}

/// Lists `group` for release if it qualifies; see the module documentation. Any context.
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
    // Read under the lock `rmdir` unlinks under: a group removed meanwhile is never listed.
    if group.removed.load(Relaxed) {
        return;
    }
    // A new release unless the group gained nothing since the last one recorded: `events_seq`
    // changes under `CSS_SET_LOCK`, which the caller holds, `busy_seq` before the child or
    // reference that the event then lost.
    let key = (group.events_seq.load(Relaxed), group.busy_seq.load(Relaxed));
    let new = group.stream_key.as_mut(&mut guard).replace(key) != Some(key);
    if let Ok(entry) = ListArc::try_from_arc(group.clone()) {
        let rel = RELEASES.as_mut(&mut guard);
        rel.list.push_back(entry);
        if let Some(m) = &rel.machinery {
            m.queue_drain(0);
        }
    }
    // Else listed already: one agent call for both releases (as v1), but a record each.
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

/// Takes `group` off the release list, if it is listed: it is being removed. The caller holds
/// [`static@TCGROUP_MUTEX`] and has marked `group` removed.
pub(crate) fn unlist(group: &Group) {
    let entry = RELEASES.as_mut(&mut RELEASE_LIST.lock()).list.remove(group);
    // The list's reference is dropped after the spinlock.
    drop(entry);
}

/// The drain work.
pub(crate) struct Drain;

impl WorkFn for Drain {
    fn run() {
        drain();
    }
}

/// Takes every group off the release list and hands its agent call to its work item.
fn drain() {
    loop {
        let tree = TCGROUP_MUTEX.lock();
        for _ in 0..BATCH {
            // Popped under `TCGROUP_MUTEX`, which `rmdir` holds while it unlinks: no group on
            // the list is removed, and none is removed before its call is built.
            let Some(entry) = RELEASES.as_mut(&mut RELEASE_LIST.lock()).list.pop_front() else {
                RETRY_MS.store(0, Relaxed);
                return;
            };
            // Off the list: a release event from now on lists the group again.
            let group = entry.into_arc();
            if let Err(e) = prepare(&tree, &group) {
                retry(group, e);
                return;
            }
        }
        // Let `mkdir`, `rmdir` and moves in between batches.
        drop(tree);
    }
}

/// Puts `group`, whose call could not be built (`err`), back at the head of the list, and
/// queues the drain work after the next retry delay.
fn retry(group: Arc<Group>, err: Error) {
    let delay = match RETRY_MS.load(Relaxed) {
        0 => RETRY_MIN_MS,
        d => (d * 2).min(RETRY_MAX_MS),
    };
    RETRY_MS.store(delay, Relaxed);
    {
        let mut guard = RELEASE_LIST.lock();
        let rel = RELEASES.as_mut(&mut guard);
        // Unless an event listed it again meanwhile.
        if let Ok(entry) = ListArc::try_from_arc(group) {
            rel.list.push_front(entry);
        }
        if let Some(m) = &rel.machinery {
            m.queue_drain(delay);
        }
    }
    crate::compat::pr_warn_once!(
        "cannot prepare a release agent call ({:?}); retrying, every {} ms at most\n",
        err,
        RETRY_MAX_MS
    );
}

/// Builds the agent call of `group`, which the drain work took off the list, and hands it to
/// the group's work item. Fails only when memory runs out.
fn prepare(tree: &GlobalGuard<TCGROUP_MUTEX>, group: &Arc<Group>) -> Result {
    let Some(hier) = crate::hierarchy::find(tree, group.hier) else {
        // A listed group is never removed, and its hierarchy lives while it has groups.
        return Ok(());
    };
    let agent = hier.release_agent()?;
    if agent.is_empty() {
        return Ok(());
    }
    let path = match path(tree, group) {
        Err(e) if e == ENAMETOOLONG => {
            // As v1, which does not call the agent with a path of `PATH_MAX` or more; unlike
            // v1, counted and logged. The release is over: a retry would fail the same way.
            hier.stats.launched.fetch_add(1, Relaxed);
            hier.stats.failed(e, &agent, b"(path too long)");
            return Ok(());
        }
        res => res?,
    };
    let call = KBox::new(
        AgentCall {
            stats: hier.stats.clone(),
            agent: cstring(&agent)?,
            path,
        },
        GFP_KERNEL,
    )?;
    let old = {
        let mut rel = RELEASE_LIST.lock();
        let old = group.release_call.as_mut(&mut rel).replace(call);
        if old.is_none() {
            // Counted when queued: once a later release's call has run, every earlier one is
            // counted, wherever its exec stands.
            hier.stats.launched.fetch_add(1, Relaxed);
            if let Some(m) = &RELEASES.as_ref(&rel).machinery {
                // Not queued already: the item takes its call when it starts running, so an
                // empty slot means it is idle or running, and queueing succeeds. Were it
                // queued, it would take this call all the same.
                let _ = m.queue.queue().enqueue(group.clone());
            }
        }
        old
    };
    // A call that had not started yet is replaced by this one, freed after the spinlock.
    drop(old);
    Ok(())
}

/// The path of `group` relative to its hierarchy's root, as v1 passes it: `/a/b`. A path of
/// `PATH_MAX` bytes or more is `ENAMETOOLONG`, as v1's `cgroup_path_ns()` makes it.
pub(crate) fn path(guard: &GlobalGuard<TCGROUP_MUTEX>, group: &Group) -> Result<CString> {
    // The length first, so that the buffer is allocated once and a path that is too long is
    // not built at all; the walk stops at the ancestor that takes it to the bound, however
    // deep the tree goes above.
    let mut len = 0usize;
    let mut cur = group;
    while let Some(parent) = &cur.parent {
        len += 1 + cur.tree.as_ref(guard).name.as_bytes().len();
        if len >= bindings::PATH_MAX as usize {
            return Err(ENAMETOOLONG);
        }
        cur = parent;
    }
    let mut buf = KVec::with_capacity(len, GFP_KERNEL)?;
    for _ in 0..len {
        // Within the capacity: this does not allocate.
        buf.push(0u8, GFP_KERNEL)?;
    }
    // Filled from the end, the group's own name last.
    let mut end = len;
    let mut cur = group;
    while let Some(parent) = &cur.parent {
        let name = cur.tree.as_ref(guard).name.as_bytes();
        let start = end - name.len();
        buf[start..end].copy_from_slice(name);
        buf[start - 1] = b'/';
        end = start - 1;
        cur = parent;
    }
    cstring(&buf)
}

impl WorkItem for Group {
    type Pointer = Arc<Group>;

    /// Runs the group's agent call, if one is waiting.
    fn run(group: Arc<Group>) {
        let call = group.release_call.as_mut(&mut RELEASE_LIST.lock()).take();
        if let Some(call) = call {
            call.run();
        }
    }
}

/// The release machinery of the module: the workqueue and the drain work, reachable from
/// atomic context through [`static@RELEASE_LIST`]. Dropping it cancels a pending retry, waits for
/// the drain work and destroys the workqueue, which waits for the agent calls.
pub(crate) struct Releaser(());

impl Releaser {
    /// Creates the workqueue and initialises the drain work.
    pub(crate) fn new() -> Result<Self> {
        // Calls run concurrently, up to the default number of active items.
        let queue = OwnedQueue::new(c"tcgroup_release", 0)?;
        let drain = DRAIN.init()?;
        RELEASES.as_mut(&mut RELEASE_LIST.lock()).machinery = Some(Machinery { queue, drain });
        Ok(Self(()))
    }
}

impl Drop for Releaser {
    fn drop(&mut self) {
        // Nothing queues the drain work once this is taken: events see no machinery.
        let machinery = RELEASES.as_mut(&mut RELEASE_LIST.lock()).machinery.take();
        if let Some(m) = machinery {
            m.drain.cancel_sync();
            // Destroyed outside the spinlock: it waits for the agent calls.
            drop(m.queue);
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
