// SPDX-License-Identifier: GPL-2.0

//! Tracepoint probes: `sched_process_exit`'s arguments differ between the lines, and so does
//! the context the probes run in.

use super::prelude::*;

/// Whether the fork and exit probes can run correctly on this kernel: `Ok` on every kernel
/// the module supports, `ENODEV` (and a message) on a `PREEMPT_RT` kernel whose
/// tracepoints call their probes with preemption disabled.
///
/// The probes take `CSS_SET_LOCK`, a `spinlock_t`, and the fork probe may allocate with
/// `GFP_ATOMIC`. Since tracepoints call their probes under SRCU-fast (`tcgroup_tracepoint_srcu`,
/// 7.3) they run preemptible, where both are allowed on `PREEMPT_RT` too. Before (6.12),
/// `__DO_TRACE()` disables preemption around the probes: on `PREEMPT_RT` a `spinlock_t` is a
/// sleeping lock and the slab allocator may sleep, neither allowed there.
#[cfg(not(all(CONFIG_PREEMPT_RT, not(tcgroup_tracepoint_srcu))))]
pub(crate) fn probes_supported() -> Result {
    Ok(())
}

/// See the other shape: this kernel is `PREEMPT_RT` and calls the probes with preemption
/// disabled.
#[cfg(all(CONFIG_PREEMPT_RT, not(tcgroup_tracepoint_srcu)))]
pub(crate) fn probes_supported() -> Result {
    pr_err!(
        "PREEMPT_RT kernels whose tracepoints run probes with preemption disabled (6.12) \
         are not supported: the fork and exit probes take a sleeping lock there\n"
    );
    Err(ENODEV)
}

/// What [`exit_probe`] calls.
pub(crate) trait ExitHook {
    /// `task` is exiting. Atomic context.
    fn exit(task: &kernel::task::Task);
}

/// The `sched_process_exit` probe: `(data, task, group_dead)` since the tracepoint gained
/// `group_dead`, which tcgroup does not need.
///
/// # Safety
///
/// Called by the `sched_process_exit` tracepoint.
#[cfg(tcgroup_exit_group_dead)]
pub(crate) unsafe extern "C" fn exit_probe<T: ExitHook>(
    _data: *mut c_void,
    task: *mut kernel::bindings::task_struct,
    _group_dead: bool,
) {
    // SAFETY: The tracepoint passes a valid task, alive for the call.
    T::exit(unsafe { &*task.cast::<kernel::task::Task>() });
}

/// The `sched_process_exit` probe: `(data, task)` before the tracepoint gained `group_dead`.
///
/// # Safety
///
/// Called by the `sched_process_exit` tracepoint.
#[cfg(not(tcgroup_exit_group_dead))]
pub(crate) unsafe extern "C" fn exit_probe<T: ExitHook>(
    _data: *mut c_void,
    task: *mut kernel::bindings::task_struct,
) {
    // SAFETY: The tracepoint passes a valid task, alive for the call.
    T::exit(unsafe { &*task.cast::<kernel::task::Task>() });
}
