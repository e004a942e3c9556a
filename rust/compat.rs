// SPDX-License-Identifier: GPL-2.0

//! The kernel-API differences between the supported kernel lines, in one place.
//!
//! The crate is written against the kernel crate of the newest supported line (7.3). Where an
//! older line (6.12 LTS) lacks an item or gives it another shape, this module provides the newer
//! shape over what that line has: the rest of the crate imports such items from here (or gets
//! them from [`prelude`]) and never checks a kernel version. Each difference has its own cfg,
//! which `rust/Kbuild` sets when the kernel has the newer API (it probes the kernel tree):
//!
//! | cfg | newer API | older shim |
//! | --- | --- | --- |
//! | `tcgroup_prelude_ffi` | `c_int` &c. in the prelude | `kernel::ffi` |
//! | `tcgroup_prelude_fmt` | `fmt!` in the prelude | `kernel::fmt!` |
//! | `tcgroup_cstr_core` | `CStr` is `core::ffi::CStr`, `CStrExt` | `CStrExt`, [`CString`] |
//! | `tcgroup_sync_atomic` | `sync::atomic::Atomic` | [`atomic`] over `core` atomics |
//! | `tcgroup_global_lock` | `global_lock!` | [`lock`] over the lock backends |
//! | `tcgroup_set_once` | `sync::SetOnce` | [`SetOnce`] |
//! | `tcgroup_sync_aref` | `sync::aref::ARef` | `types::ARef` |
//! | `tcgroup_sync_rcu` | `sync::rcu` | [`rcu`] over C helpers |
//! | `tcgroup_current_task` | `current!()` is a `&CurrentTask` | a `&Task` |
//! | `tcgroup_kvec_edit` | `Vec::{remove,truncate}` | `VecExt` |
//! | `tcgroup_lock_class_ptr` | public `LockClassKey::as_ptr` | a cast |
//! | `tcgroup_in_place_module` | `InPlaceModule` | `PinnedModule` |
//! | `tcgroup_module_authors` | `module!`'s `authors` | `author` |
//! | `tcgroup_pr_warn_once` | `pr_warn_once!` | a flag and `pr_warn!` |
//! | `tcgroup_try_ffi_init` | `Opaque::try_ffi_init` | `OpaqueExt` |
//! | `tcgroup_foreign_mut` | `ForeignOwnable` with `*mut` | [`into_foreign`] |
//! | `tcgroup_task_as_ptr` | `Task::as_ptr` | `TaskExt` |
//! | `tcgroup_user_ptr_type` | `UserPtr` a type of its own | [`user_ptr`] |
//! | `tcgroup_enametoolong` | `ENAMETOOLONG` | `ENAMETOOLONG` |
//! | `tcgroup_inode_just_drop` | `inode_just_drop()` | `generic_delete_inode()` |
//! | `tcgroup_mkdir_dentry` | `mkdir` returns a dentry | [`MkdirReturn`] |
//! | `tcgroup_exit_group_dead` | `sched_process_exit`'s `group_dead` | [`exit_probe`] without |
//! | `tcgroup_tracepoint_srcu` | probes run preemptible | RT: [`probes_supported`] refuses |
//! | `tcgroup_list_item_field` | `impl_list_item!` names the links | [`impl_list_item!`] |
//! | `tcgroup_kunit_tests` | `#[kunit_tests]` | none: the KUnit suites are left out |
//!
//! The one difference without a shim is `tcgroup_kunit_tests`: an attribute macro cannot be
//! written outside the kernel crate's `macros`, so each file's `mod tests` carries
//! `#[cfg(tcgroup_kunit_tests)]` and older lines build the module without its KUnit suites.
//! `tcgroup_tracepoint_srcu` has none either: on an older line built with `PREEMPT_RT` the
//! module refuses to load, since its probes would sleep with preemption disabled.
//!
//! Each concern is a file of `compat/` (strings, atomics, locks, set-once values, vectors, RCU,
//! the module, types, tasks, user pointers, errors, the VFS, tracepoint probes, lists), and
//! this file re-exports its items, so that users name them `crate::compat::...` whatever the
//! file. A file that only an older line needs carries its cfg on its `mod` line; the files with
//! both lines' shapes of an item carry a cfg on each.
//!
//! Like [`crate::vfs`], this is an abstraction module: the shims' `unsafe` code is here. C-level
//! differences that a wrapper hides on every line (static inline functions, macros) are C
//! helpers in `helpers.c` instead, used the same way everywhere.

/// The kernel prelude, completed with what older lines lack; every file of the crate imports it
/// instead of `kernel::prelude`.
pub(crate) mod prelude {
    pub(crate) use kernel::prelude::*;

    #[cfg(not(tcgroup_prelude_ffi))]
    pub(crate) use kernel::ffi::{
        c_char,
        c_int,
        c_uint,
        c_ulong,
        c_void, //
    };

    #[cfg(not(tcgroup_prelude_fmt))]
    pub(crate) use kernel::fmt;

    #[cfg(not(tcgroup_cstr_core))]
    pub(crate) use core::ffi::CStr;

    #[cfg(not(tcgroup_cstr_core))]
    pub(crate) use super::CStrExt as _;

    #[cfg(not(tcgroup_try_ffi_init))]
    pub(crate) use super::OpaqueExt as _;

    #[cfg(not(tcgroup_task_as_ptr))]
    pub(crate) use super::TaskExt as _;

    #[cfg(not(tcgroup_kvec_edit))]
    pub(crate) use super::VecExt as _;

    #[cfg(not(tcgroup_enametoolong))]
    pub(crate) use super::ENAMETOOLONG;

    pub(crate) use super::module;
}

// --- Strings. ---

#[cfg(tcgroup_cstr_core)]
pub(crate) use kernel::str::CString;

#[cfg(not(tcgroup_cstr_core))]
mod cstr;
#[cfg(not(tcgroup_cstr_core))]
pub(crate) use cstr::{
    CStrExt,
    CString, //
};

// --- Atomics. ---

/// Atomic values with explicit orderings (`kernel::sync::atomic`).
#[cfg(tcgroup_sync_atomic)]
pub(crate) mod atomic {
    pub(crate) use kernel::sync::atomic::{
        Atomic,
        Full,
        Relaxed, //
    };
}

/// Atomic values with explicit orderings, in the shape of newer kernel crates'
/// `kernel::sync::atomic`, over `core`'s atomics: `Relaxed` is `Ordering::Relaxed` and `Full`
/// (a full barrier) `Ordering::SeqCst`.
#[cfg(not(tcgroup_sync_atomic))]
pub(crate) mod atomic;

// --- Locks. ---

/// Locks in static variables (`global_lock!`).
#[cfg(tcgroup_global_lock)]
pub(crate) mod lock {
    pub(crate) use super::GlobalLockedBy;
    pub(crate) use kernel::sync::{
        global_lock,
        lock::{
            GlobalGuard,
            GlobalLockBackend, //
        },
    };
}

/// Locks in static variables, in the shape of newer kernel crates' `global_lock!`, built on the
/// lock backends (`Backend`) of this kernel crate.
#[cfg(not(tcgroup_global_lock))]
pub(crate) mod lock;

mod locked_by;
pub(crate) use locked_by::GlobalLockedBy;

mod lock_class;
#[cfg(not(tcgroup_lock_class_ptr))]
pub(crate) use lock_class::lock_class_ptr;
pub(crate) use lock_class::static_lock_class_ptr;

// --- Set-once values and references. ---

#[cfg(tcgroup_set_once)]
pub(crate) use kernel::sync::SetOnce;

#[cfg(not(tcgroup_set_once))]
mod set_once;
#[cfg(not(tcgroup_set_once))]
pub(crate) use set_once::SetOnce;

#[cfg(tcgroup_sync_aref)]
pub(crate) use kernel::sync::aref::ARef;

#[cfg(not(tcgroup_sync_aref))]
pub(crate) use kernel::types::ARef;

// --- Vectors. ---

#[cfg(not(tcgroup_kvec_edit))]
mod kvec;
#[cfg(not(tcgroup_kvec_edit))]
pub(crate) use kvec::VecExt;

// --- RCU. ---

#[cfg(tcgroup_sync_rcu)]
pub(crate) use kernel::sync::rcu;

/// RCU read-side critical sections (`kernel::sync::rcu`), over `helpers.c`.
#[cfg(not(tcgroup_sync_rcu))]
pub(crate) mod rcu;

// --- The module. ---

mod module;
#[cfg(tcgroup_in_place_module)]
pub(crate) use kernel::InPlaceModule;
pub(crate) use module::{
    module,
    module_decl,
    module_type, //
};
#[cfg(not(tcgroup_in_place_module))]
pub(crate) use module::{
    HasModuleStorage,
    InPlaceModule,
    ModuleStorage,
    PinnedModule, //
};

#[cfg(tcgroup_pr_warn_once)]
pub(crate) use kernel::pr_warn_once;

#[cfg(not(tcgroup_pr_warn_once))]
mod print;
#[cfg(not(tcgroup_pr_warn_once))]
pub(crate) use print::pr_warn_once;

// --- Types. ---

mod types;
pub(crate) use types::into_foreign;
#[cfg(not(tcgroup_try_ffi_init))]
pub(crate) use types::OpaqueExt;

mod task;
pub(crate) use task::current_task;
#[cfg(not(tcgroup_task_as_ptr))]
pub(crate) use task::TaskExt;

mod uaccess;
pub(crate) use uaccess::user_ptr;

#[cfg(not(tcgroup_enametoolong))]
mod error;
#[cfg(not(tcgroup_enametoolong))]
pub(crate) use error::ENAMETOOLONG;

// --- The VFS. ---

mod vfs;
pub(crate) use vfs::{
    inode_just_drop,
    mkdir_return,
    MkdirReturn, //
};

// --- Tracepoint probes. ---

mod tracepoint;
pub(crate) use tracepoint::{
    exit_probe,
    probes_supported,
    ExitHook, //
};

// --- Intrusive lists. ---

mod list;
pub(crate) use list::impl_list_item;
