// SPDX-License-Identifier: GPL-2.0

//! User-space addresses (`UserPtr`), in the shape of newer kernel crates.

use super::prelude::*;

/// A user-space address, for `UserSlice::new`.
pub(crate) fn user_ptr(p: *mut c_void) -> kernel::uaccess::UserPtr {
    #[cfg(tcgroup_user_ptr_type)]
    let u = kernel::uaccess::UserPtr::from_ptr(p);
    #[cfg(not(tcgroup_user_ptr_type))]
    let u = p as kernel::uaccess::UserPtr;
    u
}
