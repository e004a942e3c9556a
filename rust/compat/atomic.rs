// SPDX-License-Identifier: GPL-2.0

//! Atomic values with explicit orderings, in the shape of newer kernel crates'
//! `kernel::sync::atomic`, for lines without it.

use core::sync::atomic::{
    AtomicBool,
    AtomicI32,
    AtomicU64,
    AtomicUsize,
    Ordering as CoreOrdering, //
};

/// An ordering of an atomic operation.
pub(crate) trait Ordering {
    /// The `core` ordering it maps to.
    const CORE: CoreOrdering;
}

/// No ordering beyond the operation's own atomicity.
#[derive(Clone, Copy)]
pub(crate) struct Relaxed;

/// Fully ordered, as if surrounded by full barriers.
#[derive(Clone, Copy)]
pub(crate) struct Full;

impl Ordering for Relaxed {
    const CORE: CoreOrdering = CoreOrdering::Relaxed;
}

impl Ordering for Full {
    const CORE: CoreOrdering = CoreOrdering::SeqCst;
}

/// A type with an atomic counterpart in `core`.
///
/// # Safety
///
/// `Repr` has the same size and bit validity as `Self`.
pub(crate) unsafe trait AtomicType: Copy {
    /// The `core` atomic.
    type Repr;
}

/// An atomic `T`.
#[repr(transparent)]
pub(crate) struct Atomic<T: AtomicType>(T::Repr);

/// A value seen as its atomic counterpart, for [`Atomic::new`].
union Convert<T: AtomicType> {
    value: core::mem::ManuallyDrop<T>,
    atomic: core::mem::ManuallyDrop<T::Repr>,
}

impl<T: AtomicType> Atomic<T> {
    /// A new atomic holding `v`.
    pub(crate) const fn new(v: T) -> Self {
        let c = Convert {
            value: core::mem::ManuallyDrop::new(v),
        };
        // SAFETY: By the `AtomicType` contract `T::Repr` has the size and bit validity of
        // `T` (`core` documents the same representation for each atomic and its integer).
        Self(core::mem::ManuallyDrop::into_inner(unsafe { c.atomic }))
    }
}

macro_rules! atomic_common {
    ($t:ty, $repr:ty) => {
        // SAFETY: `core` documents that each atomic has the same in-memory representation
        // as its underlying type.
        unsafe impl AtomicType for $t {
            type Repr = $repr;
        }

        // Not every line of the crate uses every operation of every type, so the lint fires
        // for some of the types this macro is expanded for and not for others: `expect` would
        // be unfulfilled there.
        #[allow(dead_code)]
        impl Atomic<$t> {
            /// The current value.
            pub(crate) fn load<O: Ordering>(&self, _: O) -> $t {
                self.0.load(O::CORE)
            }

            /// Sets the value.
            pub(crate) fn store<O: Ordering>(&self, v: $t, _: O) {
                self.0.store(v, O::CORE)
            }

            /// Sets the value, returning the previous one.
            pub(crate) fn xchg<O: Ordering>(&self, v: $t, _: O) -> $t {
                self.0.swap(v, O::CORE)
            }
        }
    };
}

macro_rules! atomic_int {
    ($t:ty, $repr:ty) => {
        atomic_common!($t, $repr);

        // Not every line of the crate uses every operation of every type, so the lint fires
        // for some of the types this macro is expanded for and not for others: `expect` would
        // be unfulfilled there.
        #[allow(dead_code)]
        impl Atomic<$t> {
            /// Adds `v` (wrapping), returning the previous value.
            pub(crate) fn fetch_add<O: Ordering>(&self, v: $t, _: O) -> $t {
                self.0.fetch_add(v, O::CORE)
            }

            /// Subtracts `v` (wrapping), returning the previous value.
            pub(crate) fn fetch_sub<O: Ordering>(&self, v: $t, _: O) -> $t {
                self.0.fetch_sub(v, O::CORE)
            }

            /// Adds `v` (wrapping).
            pub(crate) fn add<O: Ordering>(&self, v: $t, _: O) {
                self.0.fetch_add(v, O::CORE);
            }

            /// Subtracts `v` (wrapping).
            pub(crate) fn sub<O: Ordering>(&self, v: $t, _: O) {
                self.0.fetch_sub(v, O::CORE);
            }
        }
    };
}

atomic_common!(bool, AtomicBool);
atomic_int!(i32, AtomicI32);
atomic_int!(u64, AtomicU64);
atomic_int!(usize, AtomicUsize);
