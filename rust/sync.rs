// SPDX-License-Identifier: GPL-2.0

//! The module's global locks: `TCGROUP_MUTEX`, `CSS_SET_LOCK` and `RELEASE_LIST`.
//!
//! `TCGROUP_MUTEX` is tcgroup's `cgroup_mutex`: it protects the list of hierarchies and the shape
//! of every group tree (children, removal), and serialises moves of tasks. It is a sleeping
//! lock, taken only in process context. `CSS_SET_LOCK` is tcgroup's `css_set_lock`: a spinlock,
//! since the fork and exit probes take it in atomic context, protecting the css_sets, the task
//! table and the groups' task counts. `RELEASE_LIST` is a spinlock taken under both, protecting
//! the release machinery (the release workqueue and the retry list) and the release streams'
//! counters. See `Documentation/design.rst` for the lock
//! order.
//!
//! The locks hold nothing themselves: what each protects is declared next to the code that owns
//! it, as a [`GlobalLockedBy`] of the lock (the hierarchy list in `crate::hierarchy`, the css_set
//! table in `crate::membership`, the retry list in `crate::release`, a group's fields in
//! `crate::group`). So this module names no type of the model, and sits below it.
//!
//! Like [`crate::vfs`], this is an abstraction file: declaring a lock that is initialised at
//! run time is `unsafe`, and [`init()`] is where that happens.
//!
//! [`GlobalLockedBy`]: crate::compat::lock::GlobalLockedBy

use crate::compat::{
    atomic::{
        Atomic,
        Full, //
    },
    prelude::*,
};

crate::compat::lock::global_lock! {
    // SAFETY: `init` calls `TCGROUP_MUTEX.init()` before anything can use the lock, and makes
    // sure it is called only once.
    pub(crate) unsafe(uninit) static TCGROUP_MUTEX: Mutex<()> = ();
}

crate::compat::lock::global_lock! {
    // SAFETY: `init` calls `CSS_SET_LOCK.init()` before anything can use the lock, and makes
    // sure it is called only once.
    pub(crate) unsafe(uninit) static CSS_SET_LOCK: SpinLock<()> = ();
}

crate::compat::lock::global_lock! {
    // SAFETY: `init` calls `RELEASE_LIST.init()` before anything can use the lock, and makes
    // sure it is called only once.
    pub(crate) unsafe(uninit) static RELEASE_LIST: SpinLock<()> = ();
}

/// Whether [`init()`] has run.
static INITIALISED: Atomic<bool> = Atomic::new(false);

/// Initialises the locks; called once, first thing in the module's `init`, before anything
/// that takes them (the filesystem type, the probes, the release machinery) is set up. Later
/// calls fail with `EBUSY`.
pub(crate) fn init() -> Result {
    if INITIALISED.xchg(true, Full) {
        return Err(EBUSY);
    }
    // SAFETY: The exchange above lets exactly one call get here, and nothing uses the lock
    // before the filesystem type is registered, after this call.
    unsafe { TCGROUP_MUTEX.init() };
    // SAFETY: The exchange above lets exactly one call get here, and nothing takes the lock
    // before the filesystem type is registered or the probes are, after this call.
    unsafe { CSS_SET_LOCK.init() };
    // SAFETY: The exchange above lets exactly one call get here, and nothing takes the lock
    // before the release machinery is set up, after this call.
    unsafe { RELEASE_LIST.init() };
    Ok(())
}
