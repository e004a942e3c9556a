// SPDX-License-Identifier: GPL-2.0

//! Frees after an RCU grace period.
//!
//! The kernel crate's `Arc` frees on the last drop, so this abstraction file provides
//! [`drop_after_gp`]: it drops an `Arc` only after an RCU grace period (`call_rcu()`), so that
//! a reader that loaded a pointer before it was unpublished can still use it. The task map
//! that readers load such pointers from is [`crate::task_map`].
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

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
///
/// Implement it with [`impl_has_rcu_head!`], which checks the field's type.
pub(crate) unsafe trait HasRcuHead: Send + Sync + Sized + 'static {
    /// The offset of the head.
    const OFFSET: usize;
}

/// Implements [`HasRcuHead`] for a type through its [`RcuHead`] field:
/// `impl_has_rcu_head! { impl HasRcuHead for CssSet { self.rcu } }`.
///
/// The implementation does not compile unless the field is an [`RcuHead`], so users need no
/// `unsafe` of their own.
macro_rules! impl_has_rcu_head {
    (impl HasRcuHead for $t:ty { self.$field:ident }) => {
        // SAFETY: `OFFSET` is the offset of `$field`, which `field_type` proves an `RcuHead`.
        unsafe impl $crate::rcu_free::HasRcuHead for $t {
            const OFFSET: usize = {
                /// Compiles only if the field is an `RcuHead`.
                fn field_type(obj: &$t) -> &$crate::rcu_free::RcuHead {
                    &obj.$field
                }
                let _: fn(&$t) -> &$crate::rcu_free::RcuHead = field_type;
                ::core::mem::offset_of!($t, $field)
            };
        }
    };
}
pub(crate) use impl_has_rcu_head;

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
