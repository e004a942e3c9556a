// SPDX-License-Identifier: GPL-2.0

//! The crate's global state: `TCGROUP_MUTEX` and the module handle.
//!
//! `TCGROUP_MUTEX` is tcgroup's `cgroup_mutex`: it protects the list of hierarchies and the shape
//! of every group tree (children, removal). It is a sleeping lock, taken only in process
//! context; see `Documentation/design.rst` for the lock order.

use crate::hierarchy::Hierarchy;
use kernel::{
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Full, //
        },
        Arc,
        SetOnce, //
    },
    ThisModule, //
};

kernel::sync::global_lock! {
    // SAFETY: `init` calls `TCGROUP_MUTEX.init()` before anything can use the lock, and makes
    // sure it is called only once.
    pub(crate) unsafe(uninit) static TCGROUP_MUTEX: Mutex<KVec<Arc<Hierarchy>>> = KVec::new();
}

/// The running module, for the references that hierarchies hold on it.
static MODULE: SetOnce<&'static ThisModule> = SetOnce::new();

/// Whether [`init`] has run.
static INITIALISED: Atomic<bool> = Atomic::new(false);

/// Sets up the global state; called once from the module's `init`, before the filesystem type
/// is registered. Later calls fail with `EBUSY`.
pub(crate) fn init(module: &'static ThisModule) -> Result {
    if INITIALISED.xchg(true, Full) {
        return Err(EBUSY);
    }
    // SAFETY: The exchange above lets exactly one call get here, and nothing uses the lock
    // before the filesystem type is registered, after this call.
    unsafe { TCGROUP_MUTEX.init() };
    MODULE.populate(module);
    Ok(())
}

/// The running module.
pub(crate) fn this_module() -> Result<&'static ThisModule> {
    MODULE.copy().ok_or(EINVAL)
}
