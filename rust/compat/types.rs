// SPDX-License-Identifier: GPL-2.0

//! `Opaque` and `ForeignOwnable` in the shape of newer kernel crates.

use super::prelude::*;

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
