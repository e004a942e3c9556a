// SPDX-License-Identifier: GPL-2.0

//! Wait queues for `poll()` on control files.

use crate::compat::prelude::*;
use crate::ffi;
use kernel::types::Opaque;

/// A wait queue that `poll()` on a file waits on (`wait_queue_head`).
///
/// # Invariants
///
/// `wq` is an initialised wait queue head for as long as the value exists.
#[pin_data]
pub(crate) struct PollQueue {
    #[pin]
    pub(super) wq: Opaque<ffi::wait_queue_head>,
}

// SAFETY: A wait queue head is protected by its own spinlock, so any thread may own it.
unsafe impl Send for PollQueue {}
// SAFETY: A wait queue head is protected by its own spinlock, so threads may wait and wake
// through shared references at once.
unsafe impl Sync for PollQueue {}

/// The events a pending change reports: `EPOLLPRI | EPOLLERR`, as kernfs' `cgroup.events`.
pub(super) const POLL_EVENT: c_uint = ffi::POLLPRI | ffi::POLLERR;

/// The events a readable stream reports: `EPOLLIN | EPOLLRDNORM`.
pub(super) const POLL_READABLE: c_uint = ffi::POLLIN | ffi::POLLRDNORM;

impl PollQueue {
    /// An empty wait queue.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `__init_waitqueue_head` initialises the head in place; the name and the
            // static lock class live forever.
            wq <- unsafe {
                Opaque::ffi_init(|slot: *mut ffi::wait_queue_head| {
                    ffi::__init_waitqueue_head(
                        slot,
                        c"tcgroup::PollQueue".as_char_ptr(),
                        crate::compat::static_lock_class_ptr!(),
                    )
                })
            },
        })
    }

    /// Wakes every poller with the change events; the caller has changed what they poll for
    /// ([`PollQueue`]'s poll callback reads it after queueing the poller and a full barrier).
    /// Any context.
    pub(crate) fn wake(&self) {
        self.wake_with(POLL_EVENT);
    }

    /// Wakes every poller and every reader blocked in [`PollQueue::wait_interruptible`] of a
    /// stream that became readable; the caller has changed what they wait for. Any
    /// context.
    pub(crate) fn wake_readable(&self) {
        self.wake_with(POLL_READABLE);
    }

    /// Sleeps until `cond` holds, or a signal arrives (`ERESTARTSYS`), as
    /// `wait_event_interruptible()`: `cond` is evaluated after the caller is queued and its
    /// state set, so a change made before a [`PollQueue::wake_readable`] is never missed.
    /// `cond` must not sleep. Process context, no spinlock held.
    pub(crate) fn wait_interruptible<F: FnMut() -> bool>(&self, mut cond: F) -> Result {
        /// Evaluates the condition behind `data`.
        ///
        /// # Safety
        ///
        /// `data` points at an `F` that nothing else uses during the call.
        unsafe extern "C" fn eval<F: FnMut() -> bool>(data: *mut c_void) -> bool {
            // SAFETY: Per the function's contract.
            unsafe { (*data.cast::<F>())() }
        }
        // SAFETY: By the type invariant `wq` is initialised. The helper calls `eval::<F>` with
        // `&mut cond`, which lives on this stack frame for the whole call and is used by
        // nothing else meanwhile.
        kernel::error::to_result(unsafe {
            ffi::tcgroup_wait_event_interruptible(
                self.wq.get(),
                Some(eval::<F>),
                (&raw mut cond).cast(),
            )
        })
    }

    /// Wakes every waiter with the poll events `key`, if there is one.
    fn wake_with(&self, key: c_uint) {
        // SAFETY: By the type invariant `wq` is initialised.
        if !unsafe { ffi::tcgroup_wq_has_sleeper(self.wq.get()) } {
            // No poller, and one queued from now on sees the change: the barrier in the
            // helper orders the change before this check, and the one after `poll_wait()`
            // orders the poller's queueing before its read. An empty queue's lock is not
            // taken: the exit probe and moves change `populated` under `CSS_SET_LOCK`.
            return;
        }
        // SAFETY: By the type invariant `wq` is initialised; `__wake_up` takes its lock, which
        // is irq-safe, and the key is the poll mask, as `wake_up_poll()` passes it. Waiters of
        // `wait_interruptible` ignore the key.
        unsafe {
            ffi::__wake_up(
                self.wq.get(),
                ffi::TASK_NORMAL,
                0,
                key as usize as *mut c_void,
            )
        };
    }
}
