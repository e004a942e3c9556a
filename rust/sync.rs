// SPDX-License-Identifier: GPL-2.0

//! The crate's global state: `TCGROUP_MUTEX`, `CSS_SET_LOCK`, `RELEASE_LIST` and the module
//! handle.
//!
//! `TCGROUP_MUTEX` is tcgroup's `cgroup_mutex`: it protects the list of hierarchies and the shape
//! of every group tree (children, removal), and serialises moves of tasks. It is a sleeping
//! lock, taken only in process context. `CSS_SET_LOCK` is tcgroup's `css_set_lock`: a spinlock,
//! since the fork and exit probes take it in atomic context, protecting the css_sets, the task
//! table and the groups' task counts. `RELEASE_LIST` is a spinlock taken under both, protecting
//! the release list and the release machinery (see `crate::release`). See
//! `Documentation/design.rst` for the lock order.

use crate::{
    compat::{
        atomic::{
            Atomic,
            Full, //
        },
        prelude::*,
        SetOnce, //
    },
    hierarchy::Hierarchy,
    list::SoleList,
    membership::{
        CssSet,
        Membership, //
    },
    rcu::TaskMap,
    release::Releases,
};
use kernel::{
    sync::Arc,
    ThisModule, //
};

crate::compat::lock::global_lock! {
    // SAFETY: `Globals::new` calls `TCGROUP_MUTEX.init()` before anything can use the lock, and
    // makes sure it is called only once.
    pub(crate) unsafe(uninit) static TCGROUP_MUTEX: Mutex<KVec<Arc<Hierarchy>>> = KVec::new();
}

crate::compat::lock::global_lock! {
    // SAFETY: `Globals::new` calls `CSS_SET_LOCK.init()` before anything can use the lock, and
    // only once.
    pub(crate) unsafe(uninit) static CSS_SET_LOCK: SpinLock<Membership> = Membership::new();
}

crate::compat::lock::global_lock! {
    // SAFETY: `Globals::new` calls `RELEASE_LIST.init()` before anything can use the lock, and
    // only once.
    pub(crate) unsafe(uninit) static RELEASE_LIST: SpinLock<Releases> = no_releases();
}

/// The initial state of [`RELEASE_LIST`]: no group listed, no machinery yet.
///
/// Only the initialiser of [`RELEASE_LIST`] calls it, once.
const fn no_releases() -> Releases {
    Releases {
        // SAFETY: Called once, for `RELEASE_LIST`, whose list is then the module's only list of
        // groups: nothing else creates a `List<Group>`.
        list: unsafe { SoleList::new() },
        machinery: None,
    }
}

/// Every task's css_set, by task, for readers under RCU (see [`crate::membership`]).
pub(crate) static TASKS: TaskMap<CssSet> = TaskMap::uninit();

/// The running module, for the references that hierarchies hold on it.
static MODULE: SetOnce<&'static ThisModule> = SetOnce::new();

/// Whether [`Globals::new`] has run.
static INITIALISED: Atomic<bool> = Atomic::new(false);

/// The global state, set up by [`Globals::new`] and torn down when the value is dropped.
///
/// The module holds it from before the filesystem type is registered until after it is
/// unregistered.
pub(crate) struct Globals(());

impl Globals {
    /// Sets up the global state; called once from the module's `init`, before the filesystem
    /// type is registered. Later calls fail with `EBUSY`.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        if INITIALISED.xchg(true, Full) {
            return Err(EBUSY);
        }
        // SAFETY: The exchange above lets exactly one call get here, and nothing uses the lock
        // before the filesystem type is registered, after this call.
        unsafe { TCGROUP_MUTEX.init() };
        // SAFETY: The exchange above lets exactly one call get here, and nothing takes the lock
        // before the filesystem type is registered, after this call.
        unsafe { CSS_SET_LOCK.init() };
        // SAFETY: The exchange above lets exactly one call get here, and nothing takes the lock
        // before the release machinery is set up, after this call.
        unsafe { RELEASE_LIST.init() };
        let refill = crate::membership::Refiller::new()?;
        // SAFETY: The exchange above lets exactly one call get here, nothing uses the map before
        // the probes are registered, after this call; `TASKS` is the one map of css_sets, and
        // `drop` destroys it, once.
        let writer = unsafe { TASKS.init() }?;
        crate::membership::init(writer, refill);
        MODULE.populate(module);
        Ok(Self(()))
    }
}

impl Drop for Globals {
    fn drop(&mut self) {
        // A static is never dropped: free the list's buffer, which would otherwise outlive the
        // module. The list is empty, since every hierarchy holds a module reference.
        let list = core::mem::take(&mut *TCGROUP_MUTEX.lock());
        drop(list);
        let (csets, next, buckets, writer, refill) = CSS_SET_LOCK.lock().take();
        // Destroying the refill workqueue waits for a refill that may be running (it takes
        // `CSS_SET_LOCK`, which is not held here).
        drop((csets, next, buckets, refill));
        // Every css_set was freed with its last task (no hierarchy, so no non-root group, is
        // left): wait for the frees still in flight, whose callbacks are module code, and for
        // the task map's entries going back to its pool.
        crate::rcu::barrier();
        if let Some(w) = writer {
            // SAFETY: `new` initialised the map (it made the writer); the probes and the
            // refill work (its workqueue destroyed above) are gone, so nothing uses it any
            // more, and the barrier above waited for its entries' callbacks.
            unsafe { TASKS.destroy(w) };
        }
    }
}

/// The running module.
pub(crate) fn this_module() -> Result<&'static ThisModule> {
    MODULE.copy().ok_or(EINVAL)
}
