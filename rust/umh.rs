// SPDX-License-Identifier: GPL-2.0

//! The usermode helper: running the release agent.
//!
//! Like [`crate::vfs`], this is an abstraction file: the `unsafe` call of
//! `call_usermodehelper()` is here, and the release path gets a safe function.
//!
//! C header: [`include/linux/umh.h`](srctree/include/linux/umh.h)

use crate::compat::prelude::*;
use kernel::bindings;

/// Runs `path` with the argument `arg` as a usermode helper and waits until it has been
/// executed (`UMH_WAIT_EXEC`), with the environment cgroup v1 gives its release agent.
/// Returns the exec's error, if any.
pub(crate) fn run(path: &CStr, arg: &CStr) -> Result {
    let mut argv = [
        path.as_char_ptr().cast_mut(),
        arg.as_char_ptr().cast_mut(),
        core::ptr::null_mut(),
    ];
    let mut envp = [
        c"HOME=/".as_char_ptr().cast_mut(),
        c"PATH=/sbin:/bin:/usr/sbin:/usr/bin"
            .as_char_ptr()
            .cast_mut(),
        core::ptr::null_mut(),
    ];
    // SAFETY: `path` and the NULL-terminated `argv` and `envp` arrays of NUL-terminated strings
    // outlive the call: with `UMH_WAIT_EXEC` it returns only after the exec, which copied them.
    let ret = unsafe {
        bindings::call_usermodehelper(
            path.as_char_ptr(),
            argv.as_mut_ptr(),
            envp.as_mut_ptr(),
            bindings::UMH_WAIT_EXEC as c_int,
        )
    };
    kernel::error::to_result(ret)
}
