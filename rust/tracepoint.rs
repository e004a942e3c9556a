// SPDX-License-Identifier: GPL-2.0

//! The fork and exit tracepoint probes.
//!
//! tcgroup patches nothing in the kernel, so it learns of new and exiting tasks from the
//! `task_newtask` and `sched_process_exit` tracepoints, found by name with
//! `for_each_kernel_tracepoint()`. `task_newtask` fires in `copy_process()` itself, so it sees
//! every new task: those of `fork()` and `clone()`, and the io_uring and vhost workers that
//! `create_io_thread()` and `vhost_task_create()` make without `kernel_clone()`, whose
//! `sched_process_fork` they never reach. Probes may run in atomic context (with preemption
//! disabled on older kernels, under SRCU on newer ones): the callbacks they call must not sleep.
//! The exit probe's signature differs between the kernel lines (`crate::compat::exit_probe`),
//! and on an older line built with `PREEMPT_RT` the probes are refused
//! (`crate::compat::probes_supported`): they take a `spinlock_t`, which sleeps there.
//!
//! Like [`crate::vfs`], this is an abstraction file: it holds the `unsafe` code of the probes
//! and gives the membership logic a safe trait, [`ForkExit`], to implement.
//!
//! C header: [`include/linux/tracepoint.h`](srctree/include/linux/tracepoint.h)

use crate::{
    compat::prelude::*,
    ffi, //
};
use kernel::{
    bindings,
    task::Task, //
};

/// What the probes call. Both run in atomic context and must not sleep.
pub(crate) trait ForkExit {
    /// `child` was just created by `parent`, the current task, in `copy_process()`: it is on the
    /// thread list and has a pid, but has not started ([`crate::task::is_started`]).
    fn fork(parent: &Task, child: &Task);
    /// `task` is exiting; nothing it is a member of may refer to it afterwards.
    fn exit(task: &Task);
}

/// The fork and exit tracepoints, with probes calling `T` registered on them.
///
/// # Invariants
///
/// `fork` and `exit` are the `task_newtask` and `sched_process_exit` tracepoints, and
/// the probes of this type are registered on them for as long as the value exists.
pub(crate) struct Probes<T: ForkExit> {
    fork: *mut bindings::tracepoint,
    exit: *mut bindings::tracepoint,
    _p: core::marker::PhantomData<T>,
}

// SAFETY: The tracepoints are static kernel objects; registration state is owned by the value
// and may be dropped from any thread.
unsafe impl<T: ForkExit> Send for Probes<T> {}
// SAFETY: No `&self` method exists.
unsafe impl<T: ForkExit> Sync for Probes<T> {}

/// The tracepoints found by `for_each_kernel_tracepoint()`.
struct Found {
    fork: *mut bindings::tracepoint,
    exit: *mut bindings::tracepoint,
}

/// The `for_each_kernel_tracepoint()` callback: picks the two tracepoints by name.
///
/// # Safety
///
/// `tp` must be a valid tracepoint and `data` point at a [`Found`].
unsafe extern "C" fn find_tracepoint(tp: *mut bindings::tracepoint, data: *mut c_void) {
    // SAFETY: Per the function's contract.
    let (name, found) = unsafe { (CStr::from_char_ptr((*tp).name), &mut *data.cast::<Found>()) };
    match name.to_bytes() {
        b"task_newtask" => found.fork = tp,
        b"sched_process_exit" => found.exit = tp,
        _ => {}
    }
}

impl<T: ForkExit> Probes<T> {
    /// The `task_newtask` probe, run by the creating task in `copy_process()`. `clone_flags` is
    /// `unsigned long` on some kernel lines and `u64` on others: the same type for kCFI, which
    /// normalises integer types to their width and signedness (`CFI_ICALL_NORMALIZE_INTEGERS`,
    /// which `RUST` selects).
    ///
    /// # Safety
    ///
    /// Called by the tracepoint with a valid task.
    unsafe extern "C" fn fork_probe(
        _data: *mut c_void,
        child: *mut bindings::task_struct,
        _clone_flags: u64,
    ) {
        // SAFETY: The tracepoint passes a valid task, alive for the call.
        let child = unsafe { &*child.cast::<Task>() };
        T::fork(crate::compat::current_task!(), child);
    }

    /// The `sched_process_exit` probe, with the signature of this kernel line's tracepoint
    /// (it gained a `group_dead` argument after 6.12): a probe of another type would trap
    /// under kCFI.
    fn exit_probe() -> *mut c_void {
        crate::compat::exit_probe::<Self> as *mut c_void
    }

    /// Finds the tracepoints and registers the probes; `ENODEV` on a kernel where the
    /// probes cannot run (`crate::compat::probes_supported`).
    pub(crate) fn register() -> Result<Self> {
        crate::compat::probes_supported()?;
        let mut found = Found {
            fork: core::ptr::null_mut(),
            exit: core::ptr::null_mut(),
        };
        // SAFETY: `find_tracepoint` matches the callback type and `found` outlives the call.
        unsafe { ffi::for_each_kernel_tracepoint(Some(find_tracepoint), (&raw mut found).cast()) };
        if found.fork.is_null() || found.exit.is_null() {
            pr_err!(
                "task_newtask/sched_process_exit tracepoints not found (CONFIG_TRACEPOINTS?)\n"
            );
            return Err(ENOENT);
        }
        // SAFETY: `found.fork` is a valid tracepoint whose probes take `(data, task,
        // clone_flags)`, which `fork_probe` does.
        kernel::error::to_result(unsafe {
            ffi::tracepoint_probe_register(
                found.fork,
                Self::fork_probe as *mut c_void,
                core::ptr::null_mut(),
            )
        })?;
        // SAFETY: `found.exit` is a valid tracepoint, and `exit_probe()` takes the arguments
        // of its probes on this kernel line (`compat::exit_probe`).
        let ret = unsafe {
            ffi::tracepoint_probe_register(found.exit, Self::exit_probe(), core::ptr::null_mut())
        };
        if let Err(e) = kernel::error::to_result(ret) {
            // SAFETY: The fork probe was registered just above.
            unsafe {
                ffi::tracepoint_probe_unregister(
                    found.fork,
                    Self::fork_probe as *mut c_void,
                    core::ptr::null_mut(),
                );
            }
            synchronize_probes();
            return Err(e);
        }
        // INVARIANT: Both probes are registered.
        Ok(Self {
            fork: found.fork,
            exit: found.exit,
            _p: core::marker::PhantomData,
        })
    }
}

/// Waits until no probe of an unregistered tracepoint probe can still be running, as
/// `tracepoint_synchronize_unregister()` does for non-faultable tracepoints: their probes run
/// under `tracepoint_srcu` (7.x) or with preemption disabled (older kernels), which
/// `synchronize_rcu()` covers.
fn synchronize_probes() {
    // SAFETY: `tracepoint_srcu` is the kernel's static SRCU domain of tracepoint probes; both
    // calls only wait.
    unsafe {
        bindings::synchronize_srcu(&raw mut ffi::tracepoint_srcu);
        bindings::synchronize_rcu();
    }
}

impl<T: ForkExit> crate::compat::ExitHook for Probes<T> {
    fn exit(task: &Task) {
        T::exit(task);
    }
}

impl<T: ForkExit> Drop for Probes<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant both probes are registered on these tracepoints.
        unsafe {
            ffi::tracepoint_probe_unregister(
                self.fork,
                Self::fork_probe as *mut c_void,
                core::ptr::null_mut(),
            );
            ffi::tracepoint_probe_unregister(self.exit, Self::exit_probe(), core::ptr::null_mut());
        }
        synchronize_probes();
    }
}
