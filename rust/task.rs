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
    ffi::{
        c_uint,
        c_ulong, //
    },
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

/// The number of threads of `task`'s process, read once (`signal->nr_threads`, O(1)).
pub(crate) fn nr_threads(task: &Task) -> usize {
    // SAFETY: `task` is a valid task, referenced by the caller, so its signal struct is live.
    let n = unsafe { ffi::tcgroup_nr_threads(task.as_ptr().cast()) };
    usize::try_from(n).unwrap_or(0)
}

/// The fork probe's full barrier, between the child's insertion in its creator's thread list
/// (in `copy_process()`, before the probe) and the probe's look-up of the creator's entry
/// without the lock; pairs with the one [`is_exiting_after_store`] issues after a move gives
/// a thread its first entry, before the move's walk reads on along the thread list. So either
/// the probe sees the creator's entry, and takes the lock the move holds, or the walk sees the
/// child.
pub(crate) fn fork_barrier() {
    // SAFETY: The helper only issues `smp_mb()`.
    unsafe { ffi::tcgroup_smp_mb() };
}

/// The exit probe's side of [`is_exiting_after_store`]: a full barrier between `PF_EXITING`,
/// set by the exiting task before its probe runs, and the probe's look-up of its entry.
pub(crate) fn exit_barrier() {
    // SAFETY: The helper only issues `smp_mb()`.
    unsafe { ffi::tcgroup_smp_mb() };
}

/// Whether `task` has started: its creator has woken it up, so its fork probe has run.
///
/// `copy_process()` makes a new task visible (on the thread list, findable by pid) before the
/// fork probe ([`crate::tracepoint`]) gives it its creator's groups; it is `TASK_NEW` until
/// `wake_up_new_task()`, which comes after the probe. A task that has not started and has no
/// task-map entry may thus be waiting for one: its groups are not known yet. A caller that sees
/// it started also sees what its probe did (the state is read with acquire ordering), and the
/// state never goes back.
pub(crate) fn is_started(task: &Task) -> bool {
    // SAFETY: `task` is a valid task; the helper only reads its state.
    unsafe { ffi::tcgroup_task_started(task.as_ptr().cast()) }
}

/// How long [`wait_started`] sleeps between two looks, in microseconds (a range, for the
/// timer's slack): a new task starts a few microseconds after it becomes visible, unless its
/// creator is preempted in between.
const STARTED_POLL_US: (c_ulong, c_ulong) = (20, 100);

/// Waits until `task` has started ([`is_started`]), as cgroup v1's migrations wait for forks in
/// progress on `cgroup_threadgroup_rwsem`. `ERESTARTSYS` if a signal is pending meanwhile: the
/// caller's system call restarts.
pub(crate) fn wait_started(task: &Task) -> Result {
    while !is_started(task) {
        if crate::compat::current_task!().signal_pending() {
            return Err(ERESTARTSYS);
        }
        // SAFETY: Sleeping is allowed here: the caller holds no spinlock and no RCU read lock.
        unsafe {
            ffi::usleep_range_state(
                STARTED_POLL_US.0,
                STARTED_POLL_US.1,
                ffi::TASK_UNINTERRUPTIBLE,
            )
        };
    }
    Ok(())
}

/// Sends `SIGKILL` to `task`'s process (every thread of it), unless a fatal signal is pending
/// for `task` already. Any context: it takes the process's signal lock, never sleeps.
pub(crate) fn kill_process(task: &Task) {
    // SAFETY: `task` is a valid task; the helper reads its pending signals and sends `SIGKILL`
    // to its thread group under the group's signal lock.
    unsafe { ffi::tcgroup_kill_process(task.as_ptr().cast()) };
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
    PidRef::find_vpid(nr)?.task()
}

/// The thread-group leader of `task`, the task a write to `cgroup.procs` moves and whose
/// credentials it checks; `None` if `task` has been reaped since it was found.
pub(crate) fn group_leader(task: &Task) -> Option<ARef<Task>> {
    // SAFETY: `task` is valid; the helper reads its leader under RCU, only while `task` is
    // still hashed, and returns it with a reference of its own (or null).
    let leader = unsafe { ffi::tcgroup_get_group_leader(task.as_ptr().cast()) };
    let leader = core::ptr::NonNull::new(leader.cast::<Task>())?;
    // SAFETY: The helper took the reference that the `ARef` now owns.
    Some(unsafe { ARef::from_raw(leader) })
}

/// A reference on a `struct pid`, the kernel's identity of a thread that, unlike its number,
/// is never reused: it names its task while that task lives, and no other after it.
///
/// # Invariants
///
/// `ptr` is a valid `struct pid` on which this value owns a reference.
pub(crate) struct PidRef {
    ptr: core::ptr::NonNull<bindings::pid>,
}

// SAFETY: A reference on a `struct pid` is not bound to a thread: `put_pid()` may drop it from
// any context.
unsafe impl Send for PidRef {}
// SAFETY: `&PidRef` only allows `task()`, which any number of threads may call at once.
unsafe impl Sync for PidRef {}

impl PidRef {
    /// The `struct pid` of the thread id `nr` in the current task's pid namespace, if a task has
    /// that id there.
    pub(crate) fn find_vpid(nr: i32) -> Option<Self> {
        // SAFETY: `find_get_pid` looks `nr` up in the current task's namespace and returns a
        // reference on the `struct pid`, or null.
        let ptr = core::ptr::NonNull::new(unsafe { bindings::find_get_pid(nr) })?;
        // INVARIANT: `find_get_pid` took the reference this value owns.
        Some(Self { ptr })
    }

    /// The task of this pid, as a thread (`PIDTYPE_PID`), while it has not been reaped.
    pub(crate) fn task(&self) -> Option<ARef<Task>> {
        // SAFETY: By the type invariant `ptr` is a valid `struct pid`; `get_pid_task` returns
        // its task with a reference of its own, or null.
        let task =
            unsafe { bindings::get_pid_task(self.ptr.as_ptr(), bindings::pid_type_PIDTYPE_PID) };
        let task = core::ptr::NonNull::new(task.cast::<Task>())?;
        // SAFETY: `get_pid_task` took the reference that the `ARef` now owns.
        Some(unsafe { ARef::from_raw(task) })
    }
}

impl Drop for PidRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this value owns a reference on `ptr`.
        unsafe { bindings::put_pid(self.ptr.as_ptr()) };
    }
}

/// A thread met by [`for_each_thread`] or [`for_each_thread_of`], with what the walk read of
/// it: its [`key`], its flags and whether it has started, so that a walk of a thousand threads
/// under a lock makes one call per thread into C, not four. Dereferences to the task.
///
/// # Invariants
///
/// `key` is `task`'s [`key`], `flags` were its flags when the walk met it, and `started` whether
/// it had started then ([`is_started`]).
pub(crate) struct Thread<'a> {
    task: &'a Task,
    key: TaskKey,
    flags: u32,
    started: bool,
}

impl Thread<'_> {
    /// The thread's [`key`].
    pub(crate) fn key(&self) -> TaskKey {
        self.key
    }

    /// Whether the thread was exiting when the walk met it, as [`is_exiting`] then.
    pub(crate) fn is_exiting(&self) -> bool {
        self.flags & bindings::PF_EXITING != 0
    }

    /// Whether the thread had started when the walk met it, as [`is_started`] then (with its
    /// ordering).
    pub(crate) fn is_started(&self) -> bool {
        self.started
    }
}

impl core::ops::Deref for Thread<'_> {
    type Target = Task;

    fn deref(&self) -> &Task {
        self.task
    }
}

/// The `tcgroup_walk_threads()` callback: calls the closure `data` points at.
///
/// # Safety
///
/// `task` must be valid for the call, `key`, `flags` and `started` its key, flags and whether it
/// has started (with acquire ordering), and `data` point at an `F`.
unsafe extern "C" fn thread_trampoline<F: FnMut(&Thread<'_>)>(
    task: *mut ffi::task_struct,
    key: c_ulong,
    flags: c_uint,
    started: bool,
    data: *mut c_void,
) {
    // SAFETY: Per the function's contract `task` is valid for the call.
    let task = unsafe { &*task.cast::<Task>() };
    // INVARIANT: Per the function's contract `key`, `flags` and `started` are the task's.
    let th = Thread {
        task,
        key: key as TaskKey,
        flags,
        started,
    };
    // SAFETY: Per the function's contract `data` points at an `F`.
    unsafe { (*data.cast::<F>())(&th) };
}

/// Calls `f` for every thread of the system, under RCU (so `f` must not sleep).
pub(crate) fn for_each_thread<F: FnMut(&Thread<'_>)>(mut f: F) {
    let _rcu = rcu::read_lock();
    // SAFETY: `_rcu` holds the RCU read lock the helper needs; every task it passes is valid
    // for the call, with its key, flags and whether it has started, and `f` outlives it.
    unsafe { ffi::tcgroup_walk_threads(Some(thread_trampoline::<F>), (&raw mut f).cast()) };
}

/// Calls `f` for every thread of `task`'s thread group, under RCU (so `f` must not sleep):
/// none if the group has gone.
pub(crate) fn for_each_thread_of<F: FnMut(&Thread<'_>)>(task: &Task, mut f: F) {
    let _rcu = rcu::read_lock();
    // SAFETY: `_rcu` holds the RCU read lock the helper needs; `task` is valid (the caller's
    // reference keeps its signal struct alive); every task the helper passes is valid for the
    // call, with its key, flags and whether it has started, and `f` outlives it.
    unsafe {
        ffi::tcgroup_walk_thread_group(
            task.as_ptr().cast(),
            Some(thread_trampoline::<F>),
            (&raw mut f).cast(),
        )
    };
}
