// SPDX-License-Identifier: GPL-2.0

//! The module's global state: its set-up at module init and its tear-down at module exit.
//!
//! Each static lives next to the code that owns it: the locks in [`crate::sync`], the hierarchy
//! list and the module handle in [`crate::hierarchy`], the css_set table and the task map in
//! [`crate::membership`], the release workqueue in [`crate::release`]. Some of them must be set up
//! at run time, once, before anything uses them, and freed at exit after the last use, which
//! only the module's `init` and `drop` can promise: that is done here, above the model, and is
//! the `unsafe` code of this file.

use crate::{
    compat::{
        atomic::{
            Atomic,
            Full, //
        },
        prelude::*,
    },
    hierarchy,
    membership::{
        self,
        Leftovers,
        Refiller,
        MEMBERSHIP,
        TASKS, //
    },
    sync::{
        CSS_SET_LOCK,
        TCGROUP_MUTEX, //
    },
};
use kernel::ThisModule;

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
        crate::sync::init()?;
        let refill = Refiller::new()?;
        // SAFETY: The exchange above lets exactly one call get here, nothing uses the map before
        // the probes are registered, after this call; `TASKS` is the one map of css_sets, and
        // `drop` destroys it, once. The exit probe unmaps a task's key in the task's own
        // `do_exit()`, and every move that maps a task holds a reference on it or runs under
        // the lock the probe takes: no key outlives its task.
        let writer = unsafe { TASKS.init(c"tcgroup_task_map") }?;
        membership::init(writer, refill);
        hierarchy::set_module(module);
        Ok(Self(()))
    }
}

impl Drop for Globals {
    fn drop(&mut self) {
        // A static is never dropped: free the list's buffer, which would otherwise outlive the
        // module. The list is empty, since every hierarchy holds a module reference.
        let list = hierarchy::take_all(&mut TCGROUP_MUTEX.lock());
        drop(list);
        let Leftovers {
            idle,
            csets,
            next,
            buckets,
            writer,
            refill,
        } = MEMBERSHIP.as_mut(&mut CSS_SET_LOCK.lock()).take();
        // Destroying the refill workqueue waits for a refill that may be running (it takes
        // `CSS_SET_LOCK`, which is not held here).
        drop((idle, csets, next, buckets, refill));
        // Every css_set was freed with its last task (no hierarchy, so no non-root group, is
        // left): wait for the frees still in flight, whose callbacks are module code, and for
        // the task map's entries going back to its pool.
        crate::rcu_free::barrier();
        if let Some(writer) = writer {
            // SAFETY: `new` initialised the map (it made the writer); the probes and the
            // refill work (its workqueue destroyed above) are gone, so nothing uses it any
            // more, and the barrier above waited for its entries' callbacks.
            unsafe { TASKS.destroy(writer) };
        }
    }
}
