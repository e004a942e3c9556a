// SPDX-License-Identifier: GPL-2.0

//! RCU-published pointers: the task map read without locks, and frees after a grace period.
//!
//! The kernel crate's `Arc` frees on the last drop and its `XArray` has no lockless lookup, so
//! this abstraction file provides the two pieces the css_set design needs:
//!
//! - [`TaskMap`]: an XArray from a task key to a shared object, whose entries readers load
//!   under [`rcu::Guard`] (`xa_load()` is RCU-safe) while writers, serialised by the caller,
//!   store and erase them;
//! - [`drop_after_gp`]: drops an `Arc` only after an RCU grace period (`call_rcu()`), so that a
//!   reader that loaded a pointer before it was unpublished can still use it.
//!
//! C header: [`include/linux/xarray.h`](srctree/include/linux/xarray.h)

use crate::{
    compat::{
        prelude::*,
        rcu, //
    },
    vfs::ffi, //
};
use core::marker::PhantomData;
use kernel::{
    bindings,
    sync::Arc,
    types::Opaque, //
};

/// An `rcu_head` embedded in an object that [`drop_after_gp`] frees.
#[repr(transparent)]
pub(crate) struct RcuHead {
    /// Used through its address only (by `call_rcu()`).
    _head: Opaque<bindings::callback_head>,
}

// SAFETY: The head is only handed to `call_rcu()`, which owns it until the callback runs.
unsafe impl Send for RcuHead {}
// SAFETY: No shared access to the head exists outside `call_rcu()`.
unsafe impl Sync for RcuHead {}

impl RcuHead {
    /// A head not yet queued.
    pub(crate) fn new() -> Self {
        Self {
            _head: Opaque::uninit(),
        }
    }
}

/// An object with an [`RcuHead`] at a fixed offset.
///
/// # Safety
///
/// `OFFSET` must be the byte offset of an [`RcuHead`] field in `Self`.
pub(crate) unsafe trait HasRcuHead: Send + Sync + Sized + 'static {
    /// The offset of the head.
    const OFFSET: usize;
}

/// The `call_rcu()` callback of [`drop_after_gp`].
///
/// # Safety
///
/// `head` must be the head of a `T` whose `Arc` reference was leaked by [`drop_after_gp`].
unsafe extern "C" fn rcu_drop_callback<T: HasRcuHead>(head: *mut bindings::callback_head) {
    // SAFETY: Per the contract `head` is at `T::OFFSET` in a `T` that `Arc::into_raw` gave.
    let ptr = unsafe { head.cast::<u8>().sub(T::OFFSET).cast::<T>() };
    // SAFETY: The reference leaked by `drop_after_gp` is reclaimed exactly once, here.
    drop(unsafe { Arc::from_raw(ptr) });
}

/// Drops `obj` after an RCU grace period. `obj` must be unpublished already: no new reader can
/// find it, and readers that did finish before it is dropped. Any context.
pub(crate) fn drop_after_gp<T: HasRcuHead>(obj: Arc<T>) {
    let ptr = Arc::into_raw(obj);
    // SAFETY: `ptr` points at a live `T`; by `HasRcuHead` its head is at `T::OFFSET`. The head
    // belongs to this one deferred drop: the object is unpublished, so it is queued once.
    unsafe {
        let head = ptr
            .cast::<u8>()
            .add(T::OFFSET)
            .cast_mut()
            .cast::<bindings::callback_head>();
        bindings::call_rcu(head, Some(rcu_drop_callback::<T>));
    }
}

/// Waits for every [`drop_after_gp`] queued so far to finish (`rcu_barrier()`); before the
/// module's code goes away.
pub(crate) fn barrier() {
    // SAFETY: `rcu_barrier` only waits.
    unsafe { bindings::rcu_barrier() };
}

/// A map from task keys to objects, loaded under RCU; meant to be a `static`.
///
/// Entries are non-owning pointers: the caller keeps each stored object alive while it is in
/// the map, and frees a removed one with [`drop_after_gp`].
///
/// # Invariants
///
/// Once [`TaskMap::init`] has run (and until [`TaskMap::destroy`]), `xa` is an initialised
/// XArray, and every entry points at a live `T` or one removed less than a grace period ago.
pub(crate) struct TaskMap<T> {
    xa: Opaque<bindings::xarray>,
    _p: PhantomData<T>,
}

// SAFETY: The XArray serialises writers itself and readers use RCU.
unsafe impl<T: Send + Sync> Send for TaskMap<T> {}
// SAFETY: As above.
unsafe impl<T: Send + Sync> Sync for TaskMap<T> {}

impl<T: Send + Sync> TaskMap<T> {
    /// A map to be initialised with [`TaskMap::init`].
    pub(crate) const fn uninit() -> Self {
        Self {
            xa: Opaque::uninit(),
            _p: PhantomData,
        }
    }

    /// Initialises the map.
    ///
    /// # Safety
    ///
    /// Must be called once, before any other method.
    pub(crate) unsafe fn init(&'static self) {
        // SAFETY: `xa` is static storage that nothing uses yet.
        // INVARIANT: The XArray is initialised.
        unsafe { ffi::tcgroup_xa_init(self.xa.get()) };
    }

    /// Frees the map's internal nodes.
    ///
    /// # Safety
    ///
    /// Must be called once, after the last use, and only if [`TaskMap::init`] ran.
    pub(crate) unsafe fn destroy(&'static self) {
        // SAFETY: Per the function's contract the XArray is initialised and unused; its
        // entries are not owned.
        unsafe { bindings::xa_destroy(self.xa.get()) };
    }

    /// The object stored for `key`, valid while `_rcu` is held.
    pub(crate) fn load<'a>(&self, _rcu: &'a rcu::Guard, key: usize) -> Option<&'a T> {
        // SAFETY: By the type invariant `xa` is initialised (every user runs between `init`
        // and `destroy`); `xa_load` may run concurrently with writers.
        let p = unsafe { bindings::xa_load(self.xa.get(), key as c_ulong) };
        // SAFETY: By the type invariant a loaded entry points at a `T` that lives at least
        // until a grace period after its removal, so for as long as `_rcu` is held.
        (!p.is_null()).then(|| unsafe { &*p.cast::<T>() })
    }

    /// Publishes `obj` (which the caller keeps alive while it is stored) for `key`, without
    /// sleeping. Fails with `ENOMEM`, leaving the map as it was.
    pub(crate) fn store(&self, key: usize, obj: &T) -> Result {
        let p = core::ptr::from_ref(obj).cast_mut().cast::<c_void>();
        // SAFETY: `xa` is initialised; `p` is a valid, aligned (so non-internal) pointer.
        // INVARIANT: The caller keeps `obj` alive while it is stored.
        let old =
            unsafe { bindings::xa_store(self.xa.get(), key as c_ulong, p, bindings::GFP_ATOMIC) };
        // SAFETY: `xa_err` only decodes the returned entry.
        kernel::error::to_result(unsafe { ffi::tcgroup_xa_err(old) })
    }

    /// Unpublishes the entry of `key`, if any.
    pub(crate) fn erase(&self, key: usize) {
        // SAFETY: `xa` is initialised; erasing never allocates.
        unsafe { bindings::xa_erase(self.xa.get(), key as c_ulong) };
    }
}
