// SPDX-License-Identifier: GPL-2.0

//! Tracepoint probes: `sched_process_exit`'s arguments differ between the lines.

use super::prelude::*;

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
