// SPDX-License-Identifier: GPL-2.0

//! Tasks: what membership needs to know about them (key, flags, ids, threads) and finding one
//! by pid.
//!
//! Like [`crate::vfs`], this is an abstraction file: it holds the `unsafe` code the membership
//! logic needs and gives it a safe API. The fork and exit probes are in [`crate::tracepoint`],
//! the usermode helper in [`crate::umh`].
//!
//! C header: [`include/linux/sched.h`](srctree/include/linux/sched.h)

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

/// A full barrier, then whether `task` is exiting. A move that gave `task` its first task-map
/// entry calls it after publishing the entry; the exit probe runs after `PF_EXITING` is set and
/// issues [`exit_barrier`] before it looks the entry up without the lock. So either this sees
/// `PF_EXITING`, and the move takes the entry back, or the probe sees the entry, and takes the
/// lock the move holds.
pub(crate) fn is_exiting_after_store(task: &Task) -> bool {
    // SAFETY: `task` is a valid task; the helper issues `smp_mb()` and reads its flags.
    let flags = unsafe { ffi::tcgroup_task_flags_mb(task.as_ptr().cast()) };
    flags & bindings::PF_EXITING != 0
}

/// The exit probe's side of [`is_exiting_after_store`]: a full barrier between `PF_EXITING`,
/// set by the exiting task before its probe runs, and the probe's look-up of its entry.
pub(crate) fn exit_barrier() {
    // SAFETY: The helper only issues `smp_mb()`.
    unsafe { ffi::tcgroup_smp_mb() };
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
