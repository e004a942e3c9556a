// SPDX-License-Identifier: GPL-2.0

//! The VFS: `drop_inode` and `mkdir`'s return type differ between the lines.

use super::prelude::*;
use crate::ffi;

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
