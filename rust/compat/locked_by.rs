// SPDX-License-Identifier: GPL-2.0

//! Data protected by a global lock although it lives elsewhere, on every line.

use super::lock;

/// Data protected by the global lock `B` although it lives elsewhere: a field of an object, or
/// a static of its own.
///
/// The kernel crate's `GlobalLockedBy` (on the lines that have one) cannot be built in a
/// `const` context, so state that a global lock protects could only live inside the lock's
/// static; this one can, which lets a lock be declared below the code that owns the state it
/// protects.
pub(crate) struct GlobalLockedBy<T: ?Sized, B: lock::GlobalLockBackend> {
    _backend: core::marker::PhantomData<B>,
    value: core::cell::UnsafeCell<T>,
}

// SAFETY: The value is only reached through `as_ref` and `as_mut`, by the one thread that holds
// the lock `B`, so it may be moved to another thread when `T` may.
unsafe impl<T: ?Sized + Send, B: lock::GlobalLockBackend> Send for GlobalLockedBy<T, B> {}

// SAFETY: `as_ref` and `as_mut` need the guard of the lock `B`, which one thread at a time holds
// and cannot send: as for a mutex, sharing the value between threads only hands it from one
// lock holder to the next, which `T: Send` allows.
unsafe impl<T: ?Sized + Send, B: lock::GlobalLockBackend> Sync for GlobalLockedBy<T, B> {}

impl<T, B: lock::GlobalLockBackend> GlobalLockedBy<T, B> {
    /// Wraps `val`; usable in a `static`.
    pub(crate) const fn new(val: T) -> Self {
        Self {
            _backend: core::marker::PhantomData,
            value: core::cell::UnsafeCell::new(val),
        }
    }
}

impl<T: ?Sized, B: lock::GlobalLockBackend> GlobalLockedBy<T, B> {
    /// The value, while the lock is held.
    pub(crate) fn as_ref<'a>(&'a self, _guard: &'a lock::GlobalGuard<B>) -> &'a T {
        // SAFETY: The guard proves that the lock `B` is held, by this thread: no other thread
        // reaches the value, and a `&mut` from `as_mut` would borrow that guard mutably, which
        // `_guard` borrows shared for as long as the returned reference.
        unsafe { &*self.value.get() }
    }

    /// The value, mutably, while the lock is held.
    pub(crate) fn as_mut<'a>(&'a self, _guard: &'a mut lock::GlobalGuard<B>) -> &'a mut T {
        // SAFETY: The guard proves that the lock `B` is held, by this thread, and is borrowed
        // mutably for as long as the returned reference: no other reference to the value can
        // exist meanwhile.
        unsafe { &mut *self.value.get() }
    }
}
