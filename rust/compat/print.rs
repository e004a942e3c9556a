// SPDX-License-Identifier: GPL-2.0

//! `pr_warn_once!`, for lines without it.

/// Prints a warning the first time it is reached (`kernel::pr_warn_once!`).
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
pub(crate) use pr_warn_once;
