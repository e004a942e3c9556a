// SPDX-License-Identifier: GPL-2.0

//! The crate's raw bindings: the kernel crate's [`kernel::bindings`] with the module-local
//! bindgen output layered on top.
//!
//! `rust/Kbuild` runs bindgen over `ffi/bindings_helper.h` for the items listed in
//! `ffi/bindgen_parameters`: what the kernel crate's bindings lack on some supported line (the
//! full `struct fs_context`, which shadows the kernel crate's opaque declaration of the same
//! name, the tracepoint registration, the `POLL*` constants) and the module's own C helpers
//! (`helpers.h`).
//!
//! Who may use it: only the abstraction files of the kernel-facing layer, which give the rest
//! of the crate a safe API -- [`crate::vfs`], [`crate::task`], [`crate::tracepoint`],
//! [`crate::workqueue`], [`crate::slab`] and [`crate::compat`] (and [`kernel::bindings`]
//! directly, [`crate::umh`], [`crate::rcu_free`], [`crate::task_map`] and [`crate::list`]'s
//! kernel-crate types). The model (`group`, `hierarchy`, `release`, `membership`), the user
//! ABI (`files`, `fs`) and `globals` never do (they read a constant such as `PATH_MAX` at
//! most, with no `unsafe`).

// The same exceptions as the kernel's own `bindings` crate (`rust/bindings/lib.rs`): generated
// names follow C, and some C structs reached through pointers have no Rust fields
// (`improper_ctypes`). `allow` rather than `expect`: which of them fire depends on the kernel
// line's generated bindings and on `CLIPPY=1`, and an unfulfilled `expect` is a warning.
#![allow(
    clippy::all,
    clippy::as_underscore,
    clippy::cast_lossless,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::undocumented_unsafe_blocks,
    improper_ctypes,
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    unreachable_pub
)]

use kernel::ffi;

pub(crate) use kernel::bindings::*;

include!("ffi/bindings_generated.rs");
