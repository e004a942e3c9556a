// SPDX-License-Identifier: GPL-2.0

//! Tasks: what membership needs to know about them, and the fork and exit tracepoint probes.
//!
//! tcgroup patches nothing in the kernel, so it learns of new and exiting tasks from the
//! `sched_process_fork` and `sched_process_exit` tracepoints, found by name with
//! `for_each_kernel_tracepoint()`. Probes may run in atomic context (with preemption disabled
//! on older kernels, under SRCU on newer ones): the callbacks they call must not sleep.
//!
//! Like [`crate::vfs`], this is an abstraction file: it holds the `unsafe` code the membership
//! logic needs and gives it a safe API.
//!
//! C headers: [`include/linux/sched.h`](srctree/include/linux/sched.h),
//! [`include/linux/tracepoint.h`](srctree/include/linux/tracepoint.h)

use crate::{
    compat::{
        prelude::*,
        rcu,
        ARef, //
    },
    ffi, //
};
use kernel::{
    bindings,
    task::Task, //
};

/// A key that identifies a live task, stable from fork to the exit probe: derived from its
/// address (a thread id changes when a thread execs), hashed by the task map.
pub(crate) type TaskKey = usize;

/// The key of `task`.
pub(crate) fn key(task: &Task) -> TaskKey {
    // SAFETY: `task` is valid; the helper only computes from its address.
    unsafe { ffi::tcgroup_task_key(task.as_ptr().cast()) as TaskKey }
}

/// The `PF_*` flags of `task`.
fn flags(task: &Task) -> u32 {
    // SAFETY: `task` is a valid task; the helper only reads its flags.
    unsafe { ffi::tcgroup_task_flags(task.as_ptr().cast()) }
}

/// Whether `task` is exiting (`PF_EXITING`, which is only ever set): its exit probe has run or
/// is about to.
pub(crate) fn is_exiting(task: &Task) -> bool {
    flags(task) & bindings::PF_EXITING != 0
}

/// Whether `task` is a kernel thread (`PF_KTHREAD`, fixed at creation).
pub(crate) fn is_kthread(task: &Task) -> bool {
    flags(task) & bindings::PF_KTHREAD != 0
}

/// The thread id of `task` in the current task's pid namespace; 0 if it has none there.
pub(crate) fn vpid(task: &Task) -> i32 {
    // SAFETY: `task` is valid; a null namespace means the current task's active one.
    unsafe {
        bindings::__task_pid_nr_ns(
            task.as_ptr(),
            bindings::pid_type_PIDTYPE_PID,
            core::ptr::null_mut(),
        )
    }
}

/// The thread-group id of `task` in the current task's pid namespace; 0 if none there.
pub(crate) fn vtgid(task: &Task) -> i32 {
    // SAFETY: `task` is valid; a null namespace means the current task's active one.
    unsafe {
        bindings::__task_pid_nr_ns(
            task.as_ptr(),
            bindings::pid_type_PIDTYPE_TGID,
            core::ptr::null_mut(),
        )
    }
}

/// Finds the task with thread id `nr` in the current task's pid namespace.
pub(crate) fn find_by_vpid(nr: i32) -> Option<ARef<Task>> {
    // SAFETY: `find_get_pid` looks `nr` up in the current namespace and returns a reference on
    // the `struct pid` (or null), which `put_pid` drops; `get_pid_task` returns the task with a
    // reference of its own (or null).
    let task = unsafe {
        let pid = bindings::find_get_pid(nr);
        if pid.is_null() {
            return None;
        }
        let task = bindings::get_pid_task(pid, bindings::pid_type_PIDTYPE_PID);
        bindings::put_pid(pid);
        task
    };
    let task = core::ptr::NonNull::new(task.cast::<Task>())?;
    // SAFETY: `get_pid_task` took the reference that the `ARef` now owns.
    Some(unsafe { ARef::from_raw(task) })
}

/// The `tcgroup_walk_threads()` callback: calls the closure `data` points at.
///
/// # Safety
///
/// `task` must be valid for the call and `data` point at an `F`.
unsafe extern "C" fn thread_trampoline<F: FnMut(&Task)>(
    task: *mut ffi::task_struct,
    data: *mut c_void,
) {
    // SAFETY: Per the function's contract.
    unsafe { (*data.cast::<F>())(&*task.cast::<Task>()) };
}

/// Calls `f` for every thread of the system, under RCU (so `f` must not sleep).
pub(crate) fn for_each_thread<F: FnMut(&Task)>(mut f: F) {
    let _rcu = rcu::read_lock();
    // SAFETY: `_rcu` holds the RCU read lock the helper needs; every task it passes is valid
    // for the call, and `f` outlives it.
    unsafe { ffi::tcgroup_walk_threads(Some(thread_trampoline::<F>), (&raw mut f).cast()) };
}

/// Calls `f` for every thread of `task`'s thread group, under RCU (so `f` must not sleep):
/// none if the group has gone.
pub(crate) fn for_each_thread_of<F: FnMut(&Task)>(task: &Task, mut f: F) {
    let _rcu = rcu::read_lock();
    // SAFETY: `_rcu` holds the RCU read lock the helper needs; `task` is valid (the caller's
    // reference keeps its signal struct alive); every task the helper passes is valid for the
    // call, and `f` outlives it.
    unsafe {
        ffi::tcgroup_walk_thread_group(
            task.as_ptr().cast(),
            Some(thread_trampoline::<F>),
            (&raw mut f).cast(),
        )
    };
}

/// What the probes call. Both run in atomic context and must not sleep.
pub(crate) trait ForkExit {
    /// `child` was just created by `parent` and has not run yet.
    fn fork(parent: &Task, child: &Task);
    /// `task` is exiting; nothing it is a member of may refer to it afterwards.
    fn exit(task: &Task);
}

/// The fork and exit tracepoints, with probes calling `T` registered on them.
///
/// # Invariants
///
/// `fork` and `exit` are the `sched_process_fork` and `sched_process_exit` tracepoints, and
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
        b"sched_process_fork" => found.fork = tp,
        b"sched_process_exit" => found.exit = tp,
        _ => {}
    }
}

impl<T: ForkExit> Probes<T> {
    /// The `sched_process_fork` probe.
    ///
    /// # Safety
    ///
    /// Called by the tracepoint with valid tasks.
    unsafe extern "C" fn fork_probe(
        _data: *mut c_void,
        parent: *mut bindings::task_struct,
        child: *mut bindings::task_struct,
    ) {
        // SAFETY: The tracepoint passes valid tasks, alive for the call.
        unsafe { T::fork(&*parent.cast::<Task>(), &*child.cast::<Task>()) };
    }

    /// The `sched_process_exit` probe, with the signature of this kernel line's tracepoint
    /// (it gained a `group_dead` argument after 6.12): a probe of another type would trap
    /// under kCFI.
    fn exit_probe() -> *mut c_void {
        crate::compat::exit_probe::<Self> as *mut c_void
    }

    /// Finds the tracepoints and registers the probes.
    pub(crate) fn register() -> Result<Self> {
        let mut found = Found {
            fork: core::ptr::null_mut(),
            exit: core::ptr::null_mut(),
        };
        // SAFETY: `find_tracepoint` matches the callback type and `found` outlives the call.
        unsafe { ffi::for_each_kernel_tracepoint(Some(find_tracepoint), (&raw mut found).cast()) };
        if found.fork.is_null() || found.exit.is_null() {
            pr_err!("sched_process_fork/exit tracepoints not found (CONFIG_TRACEPOINTS?)\n");
            return Err(ENOENT);
        }
        // SAFETY: `found.fork` is a valid tracepoint whose probes take `(data, parent,
        // child)`, which `fork_probe` does.
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

/// Runs `path` with the argument `arg` as a usermode helper and waits until it has been
/// executed (`UMH_WAIT_EXEC`), with the environment cgroup v1 gives its release agent.
/// Returns the exec's error, if any.
pub(crate) fn run_usermode_helper(path: &CStr, arg: &CStr) -> Result {
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
