// SPDX-License-Identifier: GPL-2.0

//! RCU read-side critical sections (`kernel::sync::rcu`), over `helpers.c`, for lines without
//! them.

use crate::ffi;

/// Holds the RCU read lock while it exists.
///
/// # Invariants
///
/// The RCU read lock is held, by this value, on this CPU's current task.
pub(crate) struct Guard {
    _not_send: core::marker::PhantomData<*mut ()>,
}

impl Guard {
    /// Takes the RCU read lock.
    pub(crate) fn new() -> Self {
        // SAFETY: `rcu_read_lock` may be called in any context; `drop` releases it.
        unsafe { ffi::tcgroup_rcu_read_lock() };
        // INVARIANT: The lock was just taken; the guard is not `Send`, so it is released
        // by the same task.
        Self {
            _not_send: core::marker::PhantomData,
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this task holds the lock, taken by this guard.
        unsafe { ffi::tcgroup_rcu_read_unlock() };
    }
}

/// Takes the RCU read lock until the guard is dropped.
pub(crate) fn read_lock() -> Guard {
    Guard::new()
}
