// SPDX-License-Identifier: GPL-2.0

//! The kernel-API differences between the supported kernel lines, in one place.
//!
//! The crate is written against the kernel crate of the newest supported line (7.3). Where an
//! older line (6.12 LTS) lacks an item or gives it another shape, this module provides the newer
//! shape over what that line has: the rest of the crate imports such items from here (or gets
//! them from [`prelude`]) and never checks a kernel version. Each difference has its own cfg,
//! which `rust/Kbuild` sets when the kernel has the newer API (it probes the kernel tree):
//!
//! | cfg | newer API | older shim |
//! | --- | --- | --- |
//! | `tcgroup_prelude_ffi` | `c_int` &c. in the prelude | `kernel::ffi` |
//! | `tcgroup_prelude_fmt` | `fmt!` in the prelude | `kernel::fmt!` |
//! | `tcgroup_cstr_core` | `CStr` is `core::ffi::CStr`, `CStrExt` | [`CStrExt`], [`CString`] |
//! | `tcgroup_sync_atomic` | `sync::atomic::Atomic` | [`atomic`] over `core` atomics |
//! | `tcgroup_global_lock` | `global_lock!` | [`lock`] over the lock backends |
//! | `tcgroup_set_once` | `sync::SetOnce` | [`SetOnce`] |
//! | `tcgroup_sync_aref` | `sync::aref::ARef` | `types::ARef` |
//! | `tcgroup_sync_rcu` | `sync::rcu` | [`rcu`] over C helpers |
//! | `tcgroup_current_task` | `current!()` is a `&CurrentTask` | a `&Task` |
//! | `tcgroup_kvec_edit` | `Vec::{pop,remove,truncate}` | [`VecExt`] |
//! | `tcgroup_lock_class_ptr` | public `LockClassKey::as_ptr` | a cast |
//! | `tcgroup_in_place_module` | `InPlaceModule` | [`PinnedModule`] |
//! | `tcgroup_module_authors` | `module!`'s `authors` | `author` |
//! | `tcgroup_pr_warn_once` | `pr_warn_once!` | a flag and `pr_warn!` |
//! | `tcgroup_try_ffi_init` | `Opaque::try_ffi_init` | [`OpaqueExt`] |
//! | `tcgroup_foreign_mut` | `ForeignOwnable` with `*mut` | [`into_foreign`] |
//! | `tcgroup_task_as_ptr` | `Task::as_ptr` | [`TaskExt`] |
//! | `tcgroup_user_ptr_type` | `UserPtr` a type of its own | [`user_ptr`] |
//! | `tcgroup_enametoolong` | `ENAMETOOLONG` | [`ENAMETOOLONG`] |
//! | `tcgroup_inode_just_drop` | `inode_just_drop()` | `generic_delete_inode()` |
//! | `tcgroup_mkdir_dentry` | `mkdir` returns a dentry | [`MkdirReturn`] |
//! | `tcgroup_exit_group_dead` | `sched_process_exit`'s `group_dead` | [`exit_probe`] without |
//! | `tcgroup_list_item_field` | `impl_list_item!` names the links | [`impl_list_item!`] |
//! | `tcgroup_kunit_tests` | `#[kunit_tests]` | none: the KUnit suites are left out |
//!
//! The one difference without a shim is `tcgroup_kunit_tests`: an attribute macro cannot be
//! written outside the kernel crate's `macros`, so each file's `mod tests` carries
//! `#[cfg(tcgroup_kunit_tests)]` and older lines build the module without its KUnit suites.
//!
//! Like [`crate::vfs`], this is an abstraction file: the shims' `unsafe` code is here. C-level
//! differences that a wrapper hides on every line (static inline functions, macros) are C
//! helpers in `helpers.c` instead, used the same way everywhere.

use crate::ffi;

/// The kernel prelude, completed with what older lines lack; every file of the crate imports it
/// instead of `kernel::prelude`.
pub(crate) mod prelude {
    pub(crate) use kernel::prelude::*;

    #[cfg(not(tcgroup_prelude_ffi))]
    pub(crate) use kernel::ffi::{
        c_char,
        c_int,
        c_uint,
        c_ulong,
        c_void, //
    };

    #[cfg(not(tcgroup_prelude_fmt))]
    pub(crate) use kernel::fmt;

    #[cfg(not(tcgroup_cstr_core))]
    pub(crate) use core::ffi::CStr;

    #[cfg(not(tcgroup_cstr_core))]
    pub(crate) use super::CStrExt as _;

    #[cfg(not(tcgroup_try_ffi_init))]
    pub(crate) use super::OpaqueExt as _;

    #[cfg(not(tcgroup_task_as_ptr))]
    pub(crate) use super::TaskExt as _;

    #[cfg(not(tcgroup_kvec_edit))]
    pub(crate) use super::VecExt as _;

    #[cfg(not(tcgroup_enametoolong))]
    pub(crate) use super::ENAMETOOLONG;

    pub(crate) use super::module;
}

use prelude::*;

// --- Strings. ---

#[cfg(tcgroup_cstr_core)]
pub(crate) use kernel::str::CString;

/// The C-string methods of newer kernel crates, for `core::ffi::CStr`.
#[cfg(not(tcgroup_cstr_core))]
pub(crate) trait CStrExt {
    /// Wraps a raw C string pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be a valid NUL-terminated string, unchanged and alive for `'a`.
    unsafe fn from_char_ptr<'a>(ptr: *const c_char) -> &'a Self;

    /// The string as a raw C string pointer.
    fn as_char_ptr(&self) -> *const c_char;
}

#[cfg(not(tcgroup_cstr_core))]
impl CStrExt for CStr {
    unsafe fn from_char_ptr<'a>(ptr: *const c_char) -> &'a Self {
        // SAFETY: Per the function's contract; `c_char` is `u8` or `i8`, the same size.
        unsafe { CStr::from_ptr(ptr.cast()) }
    }

    fn as_char_ptr(&self) -> *const c_char {
        self.as_ptr().cast()
    }
}

/// An owned C string that dereferences to `core::ffi::CStr`, as newer kernel crates' does.
#[cfg(not(tcgroup_cstr_core))]
pub(crate) struct CString(kernel::str::CString);

#[cfg(not(tcgroup_cstr_core))]
impl CString {
    /// Formats `args` into a new string.
    pub(crate) fn try_from_fmt(args: core::fmt::Arguments<'_>) -> Result<Self> {
        Ok(Self(kernel::str::CString::try_from_fmt(args)?))
    }
}

#[cfg(not(tcgroup_cstr_core))]
impl core::ops::Deref for CString {
    type Target = CStr;

    fn deref(&self) -> &CStr {
        // SAFETY: A kernel `CString` holds exactly one NUL, at its end.
        unsafe { CStr::from_bytes_with_nul_unchecked(self.0.as_bytes_with_nul()) }
    }
}

#[cfg(not(tcgroup_cstr_core))]
impl TryFrom<&CStr> for CString {
    type Error = kernel::alloc::AllocError;

    fn try_from(s: &CStr) -> Result<Self, Self::Error> {
        // SAFETY: `s` has exactly one NUL, at its end.
        let k = unsafe { kernel::str::CStr::from_bytes_with_nul_unchecked(s.to_bytes_with_nul()) };
        Ok(Self(kernel::str::CString::try_from(k)?))
    }
}

// --- Atomics. ---

/// Atomic values with explicit orderings (`kernel::sync::atomic`).
#[cfg(tcgroup_sync_atomic)]
pub(crate) mod atomic {
    pub(crate) use kernel::sync::atomic::{
        Atomic,
        Full,
        Relaxed, //
    };
}

/// Atomic values with explicit orderings, in the shape of newer kernel crates'
/// `kernel::sync::atomic`, over `core`'s atomics: `Relaxed` is `Ordering::Relaxed` and `Full`
/// (a full barrier) `Ordering::SeqCst`.
#[cfg(not(tcgroup_sync_atomic))]
pub(crate) mod atomic {
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

            // Not every line of the crate uses every operation of every type.
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

            // Not every line of the crate uses every operation of every type.
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
}

// --- Locks. ---

/// Locks in static variables (`global_lock!`).
#[cfg(tcgroup_global_lock)]
pub(crate) mod lock {
    pub(crate) use super::GlobalLockedBy;
    pub(crate) use kernel::sync::{
        global_lock,
        lock::{
            GlobalGuard,
            GlobalLockBackend, //
        },
    };
}

/// Locks in static variables, in the shape of newer kernel crates' `global_lock!`, built on the
/// lock backends (`Backend`) of this kernel crate.
#[cfg(not(tcgroup_global_lock))]
pub(crate) mod lock {
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
                <B::Backend as Backend>::init(
                    self.state.get(),
                    B::NAME.as_char_ptr(),
                    B::lock_class(),
                )
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
            #[doc = ::core::concat!("The lock type of [`", ::core::stringify!($name), "`].")]
            #[allow(non_camel_case_types)]
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
}

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

/// The raw pointer of a new static lockdep class, `static_lock_class!().as_ptr()`.
#[cfg(tcgroup_lock_class_ptr)]
macro_rules! static_lock_class_ptr {
    () => {
        ::kernel::static_lock_class!().as_ptr()
    };
}

/// The raw pointer of a new static lockdep class, `static_lock_class!().as_ptr()`.
#[cfg(not(tcgroup_lock_class_ptr))]
macro_rules! static_lock_class_ptr {
    () => {
        $crate::compat::lock_class_ptr(::kernel::static_lock_class!())
    };
}
pub(crate) use static_lock_class_ptr;

/// The C lock class of `key`.
#[cfg(not(tcgroup_lock_class_ptr))]
pub(crate) fn lock_class_ptr(
    key: &'static kernel::sync::LockClassKey,
) -> *mut kernel::bindings::lock_class_key {
    // `LockClassKey` is a transparent wrapper of an opaque `lock_class_key`.
    core::ptr::from_ref(key).cast_mut().cast()
}

// --- Set-once values and references. ---

#[cfg(tcgroup_set_once)]
pub(crate) use kernel::sync::SetOnce;

/// A value that is set at most once and then only read (`kernel::sync::SetOnce`).
///
/// # Invariants
///
/// `value` is initialised when `state` is [`SetOnce::SET`], and never changes afterwards.
#[cfg(not(tcgroup_set_once))]
pub(crate) struct SetOnce<T> {
    state: core::sync::atomic::AtomicU8,
    value: core::cell::UnsafeCell<core::mem::MaybeUninit<T>>,
}

// SAFETY: The value is written once, before `state` publishes it with release ordering, and
// only read afterwards.
#[cfg(not(tcgroup_set_once))]
unsafe impl<T: Send + Sync> Sync for SetOnce<T> {}

#[cfg(not(tcgroup_set_once))]
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

#[cfg(not(tcgroup_set_once))]
impl<T> Drop for SetOnce<T> {
    fn drop(&mut self) {
        if *self.state.get_mut() == Self::SET {
            // SAFETY: By the type invariant the value is initialised; it is dropped once.
            unsafe { self.value.get_mut().assume_init_drop() };
        }
    }
}

#[cfg(tcgroup_sync_aref)]
pub(crate) use kernel::sync::aref::ARef;

#[cfg(not(tcgroup_sync_aref))]
pub(crate) use kernel::types::ARef;

/// The current task, as a `&Task` (`current!()`).
#[cfg(tcgroup_current_task)]
macro_rules! current_task {
    () => {
        &**::kernel::current!()
    };
}

/// The current task, as a `&Task` (`current!()`).
#[cfg(not(tcgroup_current_task))]
macro_rules! current_task {
    () => {
        ::kernel::current!()
    };
}
pub(crate) use current_task;

// --- Vectors. ---

/// The error of [`VecExt::remove`]: the index is out of bounds.
#[cfg(not(tcgroup_kvec_edit))]
#[derive(Debug)]
pub(crate) struct RemoveError;

/// `Vec::pop`, `Vec::remove` and `Vec::truncate` of newer kernel crates.
#[cfg(not(tcgroup_kvec_edit))]
pub(crate) trait VecExt<T> {
    /// Removes and returns the last element, if any.
    fn pop(&mut self) -> Option<T>;
    /// Removes and returns the element at `i`, shifting the later ones down.
    fn remove(&mut self, i: usize) -> Result<T, RemoveError>;
    /// Drops the elements from `len` on, if any.
    fn truncate(&mut self, len: usize);
}

#[cfg(not(tcgroup_kvec_edit))]
impl<T, A: kernel::alloc::Allocator> VecExt<T> for kernel::alloc::Vec<T, A> {
    fn pop(&mut self) -> Option<T> {
        let len = self.len().checked_sub(1)?;
        // SAFETY: The element at `len` is initialised; shrinking the length first hands its
        // ownership to the read, so it is dropped once.
        unsafe {
            self.set_len(len);
            Some(self.as_ptr().add(len).read())
        }
    }

    fn remove(&mut self, i: usize) -> Result<T, RemoveError> {
        let len = self.len();
        if i >= len {
            return Err(RemoveError);
        }
        // SAFETY: `i < len`: the element is initialised and read out once, the later ones are
        // moved down over it (an overlapping copy within the buffer), and the length shrinks
        // by the one element no longer owned.
        unsafe {
            let p = self.as_mut_ptr().add(i);
            let v = p.read();
            core::ptr::copy(p.add(1), p, len - i - 1);
            self.set_len(len - 1);
            Ok(v)
        }
    }

    fn truncate(&mut self, len: usize) {
        let old = self.len();
        if len >= old {
            return;
        }
        // SAFETY: The elements `len..old` are initialised; the length shrinks first, so each
        // is dropped exactly once, here.
        unsafe {
            self.set_len(len);
            core::ptr::drop_in_place(core::ptr::slice_from_raw_parts_mut(
                self.as_mut_ptr().add(len),
                old - len,
            ));
        }
    }
}

// --- RCU. ---

#[cfg(tcgroup_sync_rcu)]
pub(crate) use kernel::sync::rcu;

/// RCU read-side critical sections (`kernel::sync::rcu`), over `helpers.c`.
#[cfg(not(tcgroup_sync_rcu))]
pub(crate) mod rcu {
    use super::ffi;

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
}

// --- The module. ---

#[cfg(tcgroup_in_place_module)]
pub(crate) use kernel::InPlaceModule;

/// A module initialised in place (`kernel::InPlaceModule`).
#[cfg(not(tcgroup_in_place_module))]
pub(crate) trait InPlaceModule: Sync + Send {
    /// Creates the module's state in place.
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error>;
}

/// Static storage for the state of an [`InPlaceModule`], which [`module!`] declares.
///
/// The state must be in static memory, as newer kernel crates' `module!` puts it: lockdep only
/// accepts the lock class keys that live in it (those of a `file_system_type`, for one) if they
/// are static.
///
/// # Invariants
///
/// The storage holds an initialised `T` while a [`PinnedModule<T>`] exists.
#[cfg(not(tcgroup_in_place_module))]
pub(crate) struct ModuleStorage<T>(core::cell::UnsafeCell<core::mem::MaybeUninit<T>>);

// SAFETY: The value is written once by `PinnedModule::init`, before anything can share it, and
// dropped by `PinnedModule::drop`, after; in between it is only shared, and `T` is `Sync`.
#[cfg(not(tcgroup_in_place_module))]
unsafe impl<T: Sync> Sync for ModuleStorage<T> {}

#[cfg(not(tcgroup_in_place_module))]
impl<T> ModuleStorage<T> {
    /// Empty storage.
    pub(crate) const fn new() -> Self {
        Self(core::cell::UnsafeCell::new(core::mem::MaybeUninit::uninit()))
    }
}

/// An [`InPlaceModule`] with its [`ModuleStorage`]; implemented by [`module!`].
#[cfg(not(tcgroup_in_place_module))]
pub(crate) trait HasModuleStorage: InPlaceModule + Sized + 'static {
    /// The module's storage, used by [`PinnedModule`] only.
    fn storage() -> &'static ModuleStorage<Self>;
}

/// An [`InPlaceModule`] as this kernel crate's `Module`: the state is initialised in place in
/// its [`ModuleStorage`] and dropped there when the module is unloaded.
///
/// # Invariants
///
/// `T::storage()` holds an initialised `T`, owned by this value (the kernel crate's `module!`
/// makes one `PinnedModule` per module).
#[cfg(not(tcgroup_in_place_module))]
pub(crate) struct PinnedModule<T: HasModuleStorage> {
    _p: core::marker::PhantomData<T>,
}

#[cfg(not(tcgroup_in_place_module))]
impl<T: HasModuleStorage> kernel::Module for PinnedModule<T> {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let slot = T::storage().0.get().cast::<T>();
        // SAFETY: `slot` is static, so pinned, and empty: `module!` calls `init` once, before
        // any other use of the storage. On error `__pinned_init` leaves it uninitialised.
        unsafe { T::init(module).__pinned_init(slot)? };
        // INVARIANT: The storage was just initialised.
        Ok(Self {
            _p: core::marker::PhantomData,
        })
    }
}

#[cfg(not(tcgroup_in_place_module))]
impl<T: HasModuleStorage> Drop for PinnedModule<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the storage holds a `T` that this value owns; it is
        // dropped once, in place (it is pinned).
        unsafe { core::ptr::drop_in_place(T::storage().0.get().cast::<T>()) };
    }
}

/// Declares the module (`kernel::prelude::module!`), with one author and one alias, whose type
/// is an [`InPlaceModule`].
macro_rules! module {
    (
        type: $type:ident,
        name: $name:tt,
        authors: [$author:tt],
        description: $description:tt,
        license: $license:tt,
        alias: [$alias:tt],
    ) => {
        $crate::compat::module_type!($type);
        $crate::compat::module_decl!(ModuleType, $name, $author, $description, $license, $alias);
    };
}

/// Declares `ModuleType`, the type `module!` takes.
#[cfg(tcgroup_in_place_module)]
macro_rules! module_type {
    ($type:ident) => {
        /// The module type `module!` takes.
        type ModuleType = $type;
    };
}

/// Declares `ModuleType`, the type `module!` takes: the module, initialised in place in a
/// static [`ModuleStorage`].
#[cfg(not(tcgroup_in_place_module))]
macro_rules! module_type {
    ($type:ident) => {
        /// The module type `module!` takes: the module in its static storage.
        type ModuleType = $crate::compat::PinnedModule<$type>;

        impl $crate::compat::HasModuleStorage for $type {
            fn storage() -> &'static $crate::compat::ModuleStorage<Self> {
                static STORAGE: $crate::compat::ModuleStorage<$type> =
                    $crate::compat::ModuleStorage::new();
                &STORAGE
            }
        }
    };
}

/// `module!` with the list of authors.
#[cfg(tcgroup_module_authors)]
macro_rules! module_decl {
    ($type:ident, $name:tt, $author:tt, $description:tt, $license:tt, $alias:tt) => {
        ::kernel::prelude::module! {
            type: $type,
            name: $name,
            authors: [$author],
            description: $description,
            license: $license,
            alias: [$alias],
        }
    };
}

/// `module!` with one author.
#[cfg(not(tcgroup_module_authors))]
macro_rules! module_decl {
    ($type:ident, $name:tt, $author:tt, $description:tt, $license:tt, $alias:tt) => {
        ::kernel::prelude::module! {
            type: $type,
            name: $name,
            author: $author,
            description: $description,
            license: $license,
            alias: [$alias],
        }
    };
}
pub(crate) use module;
pub(crate) use module_decl;
pub(crate) use module_type;

#[cfg(tcgroup_pr_warn_once)]
pub(crate) use kernel::pr_warn_once;

/// Prints a warning the first time it is reached (`kernel::pr_warn_once!`).
#[cfg(not(tcgroup_pr_warn_once))]
macro_rules! pr_warn_once {
    ($($arg:tt)*) => {{
        use ::core::sync::atomic::{
            AtomicBool,
            Ordering, //
        };
        static ONCE: AtomicBool = AtomicBool::new(false);
        if !ONCE.swap(true, Ordering::Relaxed) {
            ::kernel::pr_warn!($($arg)*);
        }
    }};
}
#[cfg(not(tcgroup_pr_warn_once))]
pub(crate) use pr_warn_once;

// --- Types. ---

/// `Opaque::try_ffi_init` of newer kernel crates.
#[cfg(not(tcgroup_try_ffi_init))]
pub(crate) trait OpaqueExt: Sized {
    /// The wrapped C type.
    type Inner;

    /// Initialises the value in place with `init_func`, which may fail.
    fn try_ffi_init<E>(
        init_func: impl FnOnce(*mut Self::Inner) -> Result<(), E>,
    ) -> impl PinInit<Self, E>;
}

#[cfg(not(tcgroup_try_ffi_init))]
impl<T> OpaqueExt for kernel::types::Opaque<T> {
    type Inner = T;

    fn try_ffi_init<E>(init_func: impl FnOnce(*mut T) -> Result<(), E>) -> impl PinInit<Self, E> {
        // SAFETY: `init_func` initialises the C object or fails; an `Opaque` is valid whatever
        // its contents, so either outcome leaves the slot as `pin_init_from_closure` requires.
        unsafe {
            kernel::init::pin_init_from_closure(move |slot: *mut Self| {
                init_func(Self::raw_get(slot))
            })
        }
    }
}

/// Hands `obj` over to C as a `void *` (`ForeignOwnable::into_foreign`).
pub(crate) fn into_foreign<T: kernel::types::ForeignOwnable>(obj: T) -> *mut c_void {
    #[cfg(tcgroup_foreign_mut)]
    let p = obj.into_foreign();
    #[cfg(not(tcgroup_foreign_mut))]
    let p = obj.into_foreign().cast_mut();
    p
}

/// `Task::as_ptr` of newer kernel crates.
#[cfg(not(tcgroup_task_as_ptr))]
pub(crate) trait TaskExt {
    /// The C task.
    fn as_ptr(&self) -> *mut kernel::bindings::task_struct;
}

#[cfg(not(tcgroup_task_as_ptr))]
impl TaskExt for kernel::task::Task {
    fn as_ptr(&self) -> *mut kernel::bindings::task_struct {
        // `Task` is a transparent wrapper of an opaque `task_struct`.
        core::ptr::from_ref(self).cast_mut().cast()
    }
}

/// A user-space address, for `UserSlice::new`.
pub(crate) fn user_ptr(p: *mut c_void) -> kernel::uaccess::UserPtr {
    #[cfg(tcgroup_user_ptr_type)]
    let u = kernel::uaccess::UserPtr::from_ptr(p);
    #[cfg(not(tcgroup_user_ptr_type))]
    let u = p as kernel::uaccess::UserPtr;
    u
}

/// `ENAMETOOLONG`, which this kernel crate's error codes lack.
#[cfg(not(tcgroup_enametoolong))]
pub(crate) const ENAMETOOLONG: Error = {
    const ERRNO: core::num::NonZeroI32 =
        match core::num::NonZeroI32::new(-(kernel::bindings::ENAMETOOLONG as i32)) {
            Some(e) => e,
            None => panic!(),
        };
    // SAFETY: `Error` has one field, a `NonZeroI32`, and the transmute checks that the sizes
    // are equal, so the field spans the whole struct; `-ENAMETOOLONG` is a valid errno, which
    // is the type's invariant.
    unsafe { core::mem::transmute::<core::num::NonZeroI32, Error>(ERRNO) }
};

// --- The VFS. ---

/// `super_operations::drop_inode` that drops unused inodes at once.
#[cfg(tcgroup_inode_just_drop)]
pub(crate) use ffi::inode_just_drop;

/// `super_operations::drop_inode` that drops unused inodes at once.
#[cfg(not(tcgroup_inode_just_drop))]
pub(crate) use ffi::generic_delete_inode as inode_just_drop;

/// What `inode_operations::mkdir` returns: a dentry (null if the given one was used).
#[cfg(tcgroup_mkdir_dentry)]
pub(crate) type MkdirReturn = *mut ffi::dentry;

/// What `inode_operations::mkdir` returns: an errno.
#[cfg(not(tcgroup_mkdir_dentry))]
pub(crate) type MkdirReturn = c_int;

/// The `mkdir` return value for `res`, when the given dentry was instantiated on success.
pub(crate) fn mkdir_return(res: Result) -> MkdirReturn {
    #[cfg(tcgroup_mkdir_dentry)]
    let r = match res {
        Ok(()) => core::ptr::null_mut(),
        Err(e) => e.to_ptr(),
    };
    #[cfg(not(tcgroup_mkdir_dentry))]
    let r = match res {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    };
    r
}

// ---- Tracepoint probes -------------------------------------------------------------------------

/// What [`exit_probe`] calls.
pub(crate) trait ExitHook {
    /// `task` is exiting. Atomic context.
    fn exit(task: &kernel::task::Task);
}

/// The `sched_process_exit` probe: `(data, task, group_dead)` since the tracepoint gained
/// `group_dead`, which tcgroup does not need.
///
/// # Safety
///
/// Called by the `sched_process_exit` tracepoint.
#[cfg(tcgroup_exit_group_dead)]
pub(crate) unsafe extern "C" fn exit_probe<T: ExitHook>(
    _data: *mut c_void,
    task: *mut kernel::bindings::task_struct,
    _group_dead: bool,
) {
    // SAFETY: The tracepoint passes a valid task, alive for the call.
    T::exit(unsafe { &*task.cast::<kernel::task::Task>() });
}

/// The `sched_process_exit` probe: `(data, task)` before the tracepoint gained `group_dead`.
///
/// # Safety
///
/// Called by the `sched_process_exit` tracepoint.
#[cfg(not(tcgroup_exit_group_dead))]
pub(crate) unsafe extern "C" fn exit_probe<T: ExitHook>(
    _data: *mut c_void,
    task: *mut kernel::bindings::task_struct,
) {
    // SAFETY: The tracepoint passes a valid task, alive for the call.
    T::exit(unsafe { &*task.cast::<kernel::task::Task>() });
}

// ---- Intrusive lists ---------------------------------------------------------------------------

/// Implements `ListItem<ID>` for a type through its `ListLinks<ID>` field, in 7.3's
/// `impl_list_item!` form (which also implements `HasListLinks`).
#[cfg(tcgroup_list_item_field)]
macro_rules! impl_list_item {
    (impl ListItem<$num:tt> for $t:ident { using ListLinks { self.$field:ident }; }) => {
        ::kernel::list::impl_list_item! {
            impl ListItem<$num> for $t { using ListLinks { self.$field }; }
        }
    };
}

/// Implements `ListItem<ID>` for a type through its `ListLinks<ID>` field: `HasListLinks` and
/// `ListItem` separately, as 6.12's macros take them.
#[cfg(not(tcgroup_list_item_field))]
macro_rules! impl_list_item {
    (impl ListItem<$num:tt> for $t:ident { using ListLinks { self.$field:ident }; }) => {
        ::kernel::list::impl_has_list_links! {
            impl HasListLinks<$num> for $t { self.$field }
        }
        ::kernel::list::impl_list_item! {
            impl ListItem<$num> for $t { using ListLinks; }
        }
    };
}
pub(crate) use impl_list_item;
