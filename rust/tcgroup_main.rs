// SPDX-License-Identifier: GPL-2.0

//! tcgroup: task control groups with automatic userspace notification of idle groups.
//!
//! tcgroup brings back, as a loadable module, the model of Linux commit 81a6a5cd ("Task Control
//! Groups: automatic userspace notification of idle cgroups"): a pseudo-filesystem whose
//! directories are groups of tasks, and a release agent that userspace names at mount time and
//! the module runs when a group with `notify_on_release` becomes empty.
//!
//! See `Documentation/tcgroup.rst` for the user ABI and `Documentation/design.rst` for objects,
//! lifetimes and lock order.
//!
//! The modules form three layers (`Documentation/design.rst`, "The layers"); a module uses
//! only its own layer and the ones below.
//!
//! The kernel-facing layer holds all the `unsafe` code, behind safe APIs:
//!
//! - [`ffi`]: the raw bindings, for the abstraction files only.
//! - [`vfs`]: the safe VFS layer over the bindings.
//! - [`task`]: tasks: keys, flags, ids, finding one by pid, walking threads.
//! - [`tracepoint`]: the fork and exit tracepoint probes.
//! - [`umh`]: the usermode helper that runs the release agent.
//! - [`workqueue`]: the module's workqueues and the groups' delayed work items.
//! - [`rcu_free`]: frees after a grace period.
//! - [`task_map`]: the RCU-read task map.
//! - [`list`]: the retry list's list type, whose removal is safe.
//! - [`sync`]: the global locks, which hold no data of their own.
//! - [`compat`]: the kernel-API differences between the supported kernel lines.
//!
//! The model, safe Rust:
//!
//! - [`agent`]: release agent calls and their counts.
//! - [`group`]: groups, the directories of a hierarchy.
//! - [`hierarchy`]: the hierarchy list and its release agents.
//! - [`release`]: releasable groups and their agent calls.
//! - [`dir_ops`]: `mkdir`, `rmdir` and `rename` of groups.
//! - [`membership`]: css_sets, attaching and listing tasks, fork and exit.
//!
//! The user ABI, safe Rust, and the set-up:
//!
//! - [`files`]: the control files.
//! - [`fs`]: the filesystem type, its mount options and the VFS callbacks.
//! - [`globals`]: the set-up and tear-down of the static state at module init and exit (`unsafe`).

// 6.12's `pin_init!` expands one field per recursion step, and `Group`'s initialiser needs more
// than the default limit of 128.
#![recursion_limit = "256"]

use crate::compat::prelude::*;

mod agent;
mod compat;
mod dir_ops;
mod ffi;
mod files;
mod fs;
mod globals;
mod group;
mod hierarchy;
mod kill;
mod list;
mod membership;
mod rcu_free;
mod release;
mod slab;
mod stream;
mod sync;
mod task;
mod task_map;
mod tracepoint;
mod umh;
mod vfs;
mod workqueue;

module! {
    type: Tcgroup,
    name: "tcgroup",
    authors: ["The tcgroup developers"],
    description: "Task control groups with automatic userspace notification of idle groups",
    license: "GPL",
    // `mount -t tcgroup` asks for `fs-tcgroup` (`request_module("fs-%s")` in `get_fs_type`): with
    // the module installed and `depmod` run, the mount loads it.
    alias: ["fs-tcgroup"],
}

/// The module: owns the filesystem type registration and its `/sys/fs/tcgroup` mount point.
///
/// Fields are dropped in declaration order: the type is unregistered before its mount point
/// goes, then the fork and exit probes, the release machinery (the items waiting to retry
/// run at once, the workqueue drained), and the global state last. `init` sets them up in the
/// opposite order, so no task can be moved before the probes track forks and exits, and
/// registers the type last of all: a mount can start as soon as the type is registered, even
/// while `init` still runs (the VFS's `try_module_get()` accepts a module that is coming), and
/// a module whose `init` fails is freed whatever superblocks it has, so no step may fail after
/// the registration.
#[pin_data]
struct Tcgroup {
    #[pin]
    fs: vfs::Registration<fs::TcgroupFs>,
    _mount_point: vfs::SysfsMountPoint,
    _probes: tracepoint::Probes<membership::Tracker>,
    _releaser: release::Releaser,
    _globals: globals::Globals,
}

impl compat::InPlaceModule for Tcgroup {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            _globals: globals::Globals::new(module)?,
            _releaser: release::Releaser::new()?,
            _probes: tracepoint::Probes::register()?,
            _mount_point: vfs::SysfsMountPoint::new(c"tcgroup")?,
            // Last: see the type's documentation.
            fs <- vfs::Registration::new(module),
        })
    }
}
