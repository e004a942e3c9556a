// SPDX-License-Identifier: GPL-2.0

//! Locks in static variables, in the shape of newer kernel crates' `global_lock!`, for lines
//! without it, built on the lock backends (`Backend`) of the kernel crate.

use core::{
    cell::UnsafeCell,
    marker::PhantomData, //
};
use kernel::{
    sync::lock::Backend,
    types::Opaque, //
};

/// The lock behind a [`GlobalLock`] static, and what it protects; implemented by the type
/// [`global_lock!`] declares.
pub(crate) trait GlobalLockBackend: 'static {
    /// The lock's name for lockdep.
    const NAME: &'static kernel::str::CStr;
    /// The protected data.
    type Item: 'static;
    /// The lock implementation.
    type Backend: Backend + 'static;
    /// The lock's lockdep class.
    fn lock_class() -> *mut kernel::bindings::lock_class_key;
}

/// A lock in a static, initialised once with [`GlobalLock::init`] before any use.
///
/// # Invariants
///
/// After `init`, `state` is an initialised lock of `B::Backend` that protects `data`.
pub(crate) struct GlobalLock<B: GlobalLockBackend> {
    state: Opaque<<B::Backend as Backend>::State>,
    data: UnsafeCell<B::Item>,
}

// SAFETY: The lock serialises access to `data`, so it may be shared when the data may be
// sent between threads (as for `Lock`).
unsafe impl<B: GlobalLockBackend> Sync for GlobalLock<B> where B::Item: Send {}

impl<B: GlobalLockBackend> GlobalLock<B> {
    /// A lock to be initialised with [`GlobalLock::init`].
    ///
    /// # Safety
    ///
    /// `init` must be called before any other method, and only one static may use `B`.
    pub(crate) const unsafe fn new(data: B::Item) -> Self {
        Self {
            state: Opaque::uninit(),
            data: UnsafeCell::new(data),
        }
    }

    /// Initialises the lock.
    ///
    /// # Safety
    ///
    /// Must be called once, before any other use of the lock.
    pub(crate) unsafe fn init(&'static self) {
        // SAFETY: `state` is static storage nothing uses yet (per the function's
        // contract); the name and the class live forever.
        // INVARIANT: `state` is initialised.
        unsafe {
            <B::Backend as Backend>::init(self.state.get(), B::NAME.as_char_ptr(), B::lock_class())
        }
    }

    /// Acquires the lock.
    pub(crate) fn lock(&'static self) -> GlobalGuard<B> {
        // SAFETY: By the type invariant (every user runs after `init`) the lock is
        // initialised.
        let state = unsafe { <B::Backend as Backend>::lock(self.state.get()) };
        // INVARIANT: The lock was just acquired.
        GlobalGuard {
            lock: self,
            state,
            _not_send: PhantomData,
        }
    }
}

/// Proof that a [`GlobalLock`] is held; releases it when dropped.
///
/// # Invariants
///
/// `lock` is held by this guard.
#[must_use = "the lock unlocks immediately when the guard is unused"]
pub(crate) struct GlobalGuard<B: GlobalLockBackend> {
    lock: &'static GlobalLock<B>,
    state: <B::Backend as Backend>::GuardState,
    _not_send: PhantomData<*mut ()>,
}

impl<B: GlobalLockBackend> core::ops::Deref for GlobalGuard<B> {
    type Target = B::Item;

    fn deref(&self) -> &B::Item {
        // SAFETY: By the type invariant the lock is held, which serialises access.
        unsafe { &*self.lock.data.get() }
    }
}

impl<B: GlobalLockBackend> core::ops::DerefMut for GlobalGuard<B>
where
    B::Item: Unpin,
{
    fn deref_mut(&mut self) -> &mut B::Item {
        // SAFETY: By the type invariant the lock is held, which serialises access.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<B: GlobalLockBackend> Drop for GlobalGuard<B> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the lock is held, by this guard.
        unsafe { <B::Backend as Backend>::unlock(self.lock.state.get(), &self.state) };
    }
}

pub(crate) use super::GlobalLockedBy;

/// Declares a static lock `$name`, and a type of the same name to name it in
/// [`GlobalGuard`] and [`GlobalLockedBy`].
macro_rules! global_lock {
    {
        $(#[$meta:meta])* $pub:vis
        unsafe(uninit) static $name:ident: $kind:ident<$valuety:ty> = $value:expr;
    } => {
        #[doc = ::core::concat!("The lock type of [`static@", ::core::stringify!($name), "`].")]
        // Named after the static, in upper case, as the kernel crate's own `global_lock!`
        // names it.
        #[expect(non_camel_case_types)]
        $pub enum $name {}

        impl $crate::compat::lock::GlobalLockBackend for $name {
            const NAME: &'static ::kernel::str::CStr =
                ::kernel::c_str!(::core::stringify!($name));
            type Item = $valuety;
            type Backend = $crate::compat::lock::global_lock!(@backend $kind);

            fn lock_class() -> *mut ::kernel::bindings::lock_class_key {
                $crate::compat::static_lock_class_ptr!()
            }
        }

        $(#[$meta])*
        $pub static $name: $crate::compat::lock::GlobalLock<$name> = {
            let init: $valuety = $value;
            // SAFETY: The user of this macro promises to call `init` first, and the type
            // is unique to this static.
            unsafe { $crate::compat::lock::GlobalLock::new(init) }
        };
    };
    (@backend Mutex) => { ::kernel::sync::lock::mutex::MutexBackend };
    (@backend SpinLock) => { ::kernel::sync::lock::spinlock::SpinLockBackend };
}
pub(crate) use global_lock;
