// SPDX-License-Identifier: GPL-2.0

//! The raw pointer of a static lockdep class, for the C lock initialisers.

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
