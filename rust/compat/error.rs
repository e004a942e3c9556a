// SPDX-License-Identifier: GPL-2.0

//! `ENAMETOOLONG`, for lines whose kernel crate lacks it.

use super::prelude::*;

/// `ENAMETOOLONG`, which this kernel crate's error codes lack.
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
