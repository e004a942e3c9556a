// SPDX-License-Identifier: GPL-2.0

//! Tasks: `current!()` as a `&Task` and `Task::as_ptr`, in the shape of newer kernel crates.

/// The current task, as a `&Task` (`current!()`).
#[cfg(tcgroup_current_task)]
macro_rules! current_task {
    () => {
        &**::kernel::current!()
    };
}

/// The current task, as a `&Task` (`current!()`).
#[cfg(not(tcgroup_current_task))]
macro_rules! current_task {
    () => {
        ::kernel::current!()
    };
}
pub(crate) use current_task;

/// `Task::as_ptr` of newer kernel crates.
#[cfg(not(tcgroup_task_as_ptr))]
pub(crate) trait TaskExt {
    /// The C task.
    fn as_ptr(&self) -> *mut kernel::bindings::task_struct;
}

#[cfg(not(tcgroup_task_as_ptr))]
impl TaskExt for kernel::task::Task {
    fn as_ptr(&self) -> *mut kernel::bindings::task_struct {
        // `Task` is a transparent wrapper of an opaque `task_struct`.
        core::ptr::from_ref(self).cast_mut().cast()
    }
}
