// SPDX-License-Identifier: GPL-2.0

//! Raw bindings used by the VFS layer.
//!
//! This is the kernel crate's [`kernel::bindings`] with the module-local bindgen output (see
//! `rust/Kbuild` and `vfs/bindgen_parameters`) layered on top: an item generated here, such as
//! the full `struct fs_context`, shadows the kernel crate's opaque declaration of the same name.
//! Only the abstraction files ([`crate::vfs`], [`crate::task`], [`crate::workqueue`],
//! [`crate::rcu`], [`crate::compat`]) may use this module. It also declares the module's C
//! helpers (`helpers.h`).

// The same exceptions as the kernel's own `bindings` crate (`rust/bindings/lib.rs`): generated
// names follow C, and some C structs reached through pointers have no Rust fields
// (`improper_ctypes`).
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

include!("bindings_generated.rs");
