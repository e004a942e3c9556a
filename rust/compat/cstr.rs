// SPDX-License-Identifier: GPL-2.0

//! C strings on lines where the kernel crate's `CStr` is its own type: the methods and
//! the owned string of newer kernel crates, for `core::ffi::CStr`.

use super::prelude::*;

/// The C-string methods of newer kernel crates, for `core::ffi::CStr`.
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
pub(crate) struct CString(kernel::str::CString);

impl CString {
    /// Formats `args` into a new string.
    pub(crate) fn try_from_fmt(args: core::fmt::Arguments<'_>) -> Result<Self> {
        Ok(Self(kernel::str::CString::try_from_fmt(args)?))
    }
}

impl core::ops::Deref for CString {
    type Target = CStr;

    fn deref(&self) -> &CStr {
        // SAFETY: A kernel `CString` holds exactly one NUL, at its end.
        unsafe { CStr::from_bytes_with_nul_unchecked(self.0.as_bytes_with_nul()) }
    }
}

impl TryFrom<&CStr> for CString {
    type Error = kernel::alloc::AllocError;

    fn try_from(s: &CStr) -> Result<Self, Self::Error> {
        // SAFETY: `s` has exactly one NUL, at its end.
        let k = unsafe { kernel::str::CStr::from_bytes_with_nul_unchecked(s.to_bytes_with_nul()) };
        Ok(Self(kernel::str::CString::try_from(k)?))
    }
}
