// SPDX-License-Identifier: GPL-2.0

//! A value set at most once (`kernel::sync::SetOnce`), for lines without it.

/// A value that is set at most once and then only read (`kernel::sync::SetOnce`).
///
/// # Invariants
///
/// `value` is initialised when `state` is [`SetOnce::SET`], and never changes afterwards.
pub(crate) struct SetOnce<T> {
    state: core::sync::atomic::AtomicU8,
    value: core::cell::UnsafeCell<core::mem::MaybeUninit<T>>,
}

// SAFETY: The value is written once, before `state` publishes it with release ordering, and
// only read afterwards.
unsafe impl<T: Send + Sync> Sync for SetOnce<T> {}

impl<T> SetOnce<T> {
    const EMPTY: u8 = 0;
    const WRITING: u8 = 1;
    const SET: u8 = 2;

    /// An empty value.
    pub(crate) const fn new() -> Self {
        Self {
            state: core::sync::atomic::AtomicU8::new(Self::EMPTY),
            value: core::cell::UnsafeCell::new(core::mem::MaybeUninit::uninit()),
        }
    }

    /// The value, if set.
    pub(crate) fn as_ref(&self) -> Option<&T> {
        if self.state.load(core::sync::atomic::Ordering::Acquire) == Self::SET {
            // SAFETY: By the type invariant the value is initialised and never changes.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// Sets the value if it was never set; returns whether it did.
    pub(crate) fn populate(&self, value: T) -> bool {
        use core::sync::atomic::Ordering;
        if self
            .state
            .compare_exchange(
                Self::EMPTY,
                Self::WRITING,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_err()
        {
            return false;
        }
        // SAFETY: Only the one caller that moved `state` from `EMPTY` gets here, and nobody
        // reads the value before it is `SET`.
        unsafe { (*self.value.get()).write(value) };
        // INVARIANT: The value was just initialised.
        self.state.store(Self::SET, Ordering::Release);
        true
    }

    /// A copy of the value, if set.
    pub(crate) fn copy(&self) -> Option<T>
    where
        T: Copy,
    {
        self.as_ref().copied()
    }
}

impl<T> Drop for SetOnce<T> {
    fn drop(&mut self) {
        if *self.state.get_mut() == Self::SET {
            // SAFETY: By the type invariant the value is initialised; it is dropped once.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}
