// SPDX-License-Identifier: GPL-2.0

//! Release notification: marking groups releasable, queueing them, running the release agent.
//!
//! The state machine of a group, after the 2007 commit and modern cgroup v1:
//!
//! - It becomes *releasable* when it had something and lost it: a task moved out or exited, a
//!   child group was removed, the last `debug.hold` reference was dropped. Writing
//!   `notify_on_release` clears it.
//! - At each of those events, [`check`] queues it if it is releasable, has `notify_on_release`,
//!   no task, no child, no reference and is not removed, unless it is queued already. The
//!   events happen in atomic context too (the exit probe), so queueing only sets the group's
//!   `release_queued` flag and schedules the release work; it never allocates or sleeps
//!   beyond a `GFP_ATOMIC` work allocation.
//! - The release work, on the module's own workqueue, builds every queued group's path under
//!   [`TCGROUP_MUTEX`], copies the agent, takes the group off (clearing the flag; a group whose
//!   job could not be allocated stays queued for the next run), drops the locks and runs
//!   the agent with `UMH_WAIT_EXEC`, each call in a work item of its own so that one agent's
//!   exec does not wait for another's (v1 has a work item per group). A group repopulated
//!   after being queued still gets its call (as in v1; the agent's `rmdir` then fails with
//!   `EBUSY`); a group removed meanwhile does not.

use crate::{
    compat::{
        atomic::{
            Atomic,
            Full,
            Relaxed,
            Release, //
        },
        lock::GlobalGuard,
        prelude::*,
        CString, //
    },
    group::{
        cstring,
        Group, //
    },
    hierarchy::Hierarchy,
    sync::{
        CSS_SET_LOCK,
        TCGROUP_MUTEX, //
    },
    task::{
        self,
        OwnedQueue, //
    },
};
use kernel::sync::Arc;

/// Whether the release work is queued and has not started its scan yet.
static SCHEDULED: Atomic<bool> = Atomic::new(false);

/// Queues `g` for release if it qualifies; see the module documentation. Any context.
pub(crate) fn check(guard: &mut GlobalGuard<CSS_SET_LOCK>, g: &Group) {
    if g.is_root()
        || !g.releasable.load(Relaxed)
        || !g.notify_on_release.load(Relaxed)
        || *g.nr_tasks.as_ref(guard) != 0
        || g.nr_children.load(Relaxed) != 0
        || g.refs.load(Relaxed) != 0
        || g.dead.load(Relaxed)
    {
        return;
    }
    if g.release_queued.xchg(true, Full) {
        return;
    }
    schedule(guard);
}

/// Schedules the release work unless it is scheduled already.
fn schedule(guard: &mut GlobalGuard<CSS_SET_LOCK>) {
    if SCHEDULED.xchg(true, Full) {
        return;
    }
    let Some(q) = guard.queue.as_ref() else {
        // The module is going away: no hierarchy, so nothing to release.
        SCHEDULED.store(false, Relaxed);
        return;
    };
    if q.queue().try_spawn(GFP_ATOMIC, run).is_err() {
        // The queued flags stay set: the next event schedules the work again.
        SCHEDULED.store(false, Relaxed);
        crate::compat::pr_warn_once!(
            "cannot allocate the release work; retrying at the next release\n"
        );
    }
}

/// One agent call to make.
struct Job {
    hier: Arc<Hierarchy>,
    agent: CString,
    path: CString,
}

/// The path of `g` relative to its hierarchy's root, as v1 passes it: `/a/b`.
fn path(guard: &GlobalGuard<TCGROUP_MUTEX>, g: &Arc<Group>) -> Result<CString> {
    let mut parts = KVec::new();
    let mut cur = g.clone();
    while let Some(parent) = cur.parent.clone() {
        parts.push(cur, GFP_KERNEL)?;
        cur = parent;
    }
    let mut v = KVec::new();
    for p in parts.iter().rev() {
        v.push(b'/', GFP_KERNEL)?;
        v.extend_from_slice(p.tree.as_ref(guard).name.as_bytes(), GFP_KERNEL)?;
    }
    cstring(&v)
}

/// Collects the queued groups of `h` into `jobs`.
fn collect(
    guard: &GlobalGuard<TCGROUP_MUTEX>,
    h: &Arc<Hierarchy>,
    jobs: &mut KVec<Arc<Job>>,
) -> Result {
    let mut stack = KVec::new();
    stack.push(h.root().clone(), GFP_KERNEL)?;
    while let Some(g) = stack.pop() {
        for c in g.tree.as_ref(guard).children.values() {
            stack.push(c.clone(), GFP_KERNEL)?;
        }
        if !g.release_queued.load(Relaxed) {
            continue;
        }
        if g.dead.load(Relaxed) {
            g.release_queued.store(false, Relaxed);
            continue;
        }
        // Only the work clears the flag, under this mutex: it cannot be cleared meanwhile.
        // It is cleared once the job is ready, so an allocation failure leaves the group
        // queued for the next run instead of losing its call.
        let agent = h.release_agent()?;
        if !agent.is_empty() {
            let job = Arc::new(
                Job {
                    hier: h.clone(),
                    agent: cstring(&agent)?,
                    path: path(guard, &g)?,
                },
                GFP_KERNEL,
            )?;
            jobs.push(job, GFP_KERNEL)?;
        }
        // A release event from now on queues the group again. Pairs with the exchange in
        // `check_locked()`.
        g.release_queued.store(false, Release);
    }
    Ok(())
}

/// The release work: runs the agent for every queued group.
fn run() {
    // Events from now on schedule another run, which finds what this one misses.
    SCHEDULED.xchg(false, Full);
    let mut jobs = KVec::new();
    {
        let list = TCGROUP_MUTEX.lock();
        for h in list.iter() {
            if collect(&list, h, &mut jobs).is_err() {
                // What was not collected stays queued: retried by the next run, which the
                // next release event anywhere schedules. Logged once: only fault injection
                // makes these small GFP_KERNEL allocations fail.
                crate::compat::pr_warn_once!(
                    "out of memory collecting groups to release; retrying at the next release\n"
                );
            }
        }
    }
    // Each call in a work item of its own, as v1 has one per group: an agent's exec does not
    // wait for the previous one's. If the item cannot be allocated, the call is made here.
    for job in jobs {
        // Counted when dispatched: once a later release's call has run, every earlier one
        // is counted, wherever its exec stands.
        job.hier.stats.launched.fetch_add(1, Relaxed);
        let spawned = {
            let guard = CSS_SET_LOCK.lock();
            match guard.queue.as_ref() {
                Some(q) => {
                    let j = job.clone();
                    q.queue().try_spawn(GFP_ATOMIC, move || j.run()).is_ok()
                }
                None => false,
            }
        };
        if !spawned {
            job.run();
        }
    }
}

impl Job {
    /// Runs the agent and counts the outcome.
    fn run(&self) {
        if let Err(e) = task::run_usermode_helper(&self.agent, &self.path) {
            let failed = self.hier.stats.failed.fetch_add(1, Relaxed) + 1;
            self.hier.stats.last_error.store(e.to_errno(), Relaxed);
            // Rate-limited by count: a broken agent fails at every release, and the stats
            // file has the totals.
            if failed <= 10 || failed % 1000 == 0 {
                pr_warn!(
                    "release agent {} for {} failed: {:?} (failure {})\n",
                    self.agent.to_str().unwrap_or("?"),
                    self.path.to_str().unwrap_or("?"),
                    e,
                    failed
                );
            }
        }
    }
}

/// Agent calls of a hierarchy, shown in its root's `release_agent.stats`.
pub(crate) struct Stats {
    /// Calls dispatched to their work items.
    pub(crate) launched: Atomic<u64>,
    /// Calls whose exec failed.
    pub(crate) failed: Atomic<u64>,
    /// The errno of the last failure (negative), 0 if none.
    pub(crate) last_error: Atomic<i32>,
}

impl Stats {
    /// No calls yet.
    pub(crate) const fn new() -> Self {
        Self {
            launched: Atomic::new(0),
            failed: Atomic::new(0),
            last_error: Atomic::new(0),
        }
    }
}

/// The release machinery of the module: its workqueue, reachable from atomic context through
/// [`CSS_SET_LOCK`]. Dropping it drains and destroys the workqueue.
pub(crate) struct Releaser(());

impl Releaser {
    /// Creates the workqueue.
    pub(crate) fn new() -> Result<Self> {
        // Calls run concurrently, up to the default number of active items.
        let q = OwnedQueue::new(c"tcgroup_release", 0)?;
        CSS_SET_LOCK.lock().queue = Some(q);
        Ok(Self(()))
    }
}

impl Drop for Releaser {
    fn drop(&mut self) {
        let q = CSS_SET_LOCK.lock().queue.take();
        // Destroyed outside the spinlock: it waits for the work to finish.
        drop(q);
    }
}

/// Runs [`check`] with the lock taken.
pub(crate) fn check_locked(g: &Group) {
    check(&mut CSS_SET_LOCK.lock(), g);
}
