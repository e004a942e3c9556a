// SPDX-License-Identifier: GPL-2.0

//! Workqueues of the module's own, and delayed work in static memory.
//!
//! The kernel crate's `workqueue` module runs work items embedded in reference-counted objects
//! on a [`Queue`]; the release path uses it for the per-group agent calls. What it lacks on
//! every supported line is a queue the module allocates (and destroys, waiting for its work, at
//! exit) and a delayed work item in static memory, for the release list's drain work, which
//! must exist before any release happens and be queued from atomic context without allocating.
//! Both are here.
//!
//! Like [`crate::vfs`], this is an abstraction file: it holds the `unsafe` code and gives the
//! rest of the crate a safe API.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use crate::{
    compat::{
        atomic::{
            Atomic,
            Full, //
        },
        prelude::*,
    },
    ffi,
};
use kernel::{
    bindings,
    types::Opaque,
    workqueue::Queue, //
};

/// A workqueue of the module's own, destroyed (after running what is queued) when dropped.
///
/// # Invariants
///
/// `wq` is a workqueue allocated by [`OwnedQueue::new`] and not yet destroyed.
pub(crate) struct OwnedQueue {
    wq: *mut bindings::workqueue_struct,
}

// SAFETY: A workqueue may be used and destroyed from any thread.
unsafe impl Send for OwnedQueue {}
// SAFETY: Queueing work on a workqueue is thread-safe.
unsafe impl Sync for OwnedQueue {}

impl OwnedQueue {
    /// Allocates an unbound workqueue named `name` running up to `max_active` items at a time
    /// (0: the workqueue default).
    pub(crate) fn new(name: &'static CStr, max_active: i32) -> Result<Self> {
        // SAFETY: `name` is a NUL-terminated string, which the helper uses as the workqueue's
        // name (not as a format).
        let wq = unsafe { ffi::tcgroup_alloc_workqueue(name.as_char_ptr(), max_active) };
        if wq.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: `wq` was just allocated.
        Ok(Self { wq })
    }

    /// The queue, for queueing the kernel crate's work items.
    pub(crate) fn queue(&self) -> &Queue {
        // SAFETY: By the type invariant `wq` is live for as long as `self`, which the returned
        // reference cannot outlive.
        unsafe { Queue::from_raw(self.wq) }
    }
}

impl Drop for OwnedQueue {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `wq` is live; `destroy_workqueue` drains it first, so
        // no queued work outlives the module.
        unsafe { bindings::destroy_workqueue(self.wq) };
    }
}

/// What a [`StaticDelayedWork`] runs.
pub(crate) trait WorkFn: 'static {
    /// The work; process context, may sleep.
    fn run();
}

/// A delayed work item in static memory that runs `F::run()`.
///
/// It costs nothing to queue and cannot fail: queueing it from any context, atomic included,
/// allocates nothing. It is initialised once ([`StaticDelayedWork::init`]), which hands out the
/// [`DelayedWorkRef`] through which it is queued and cancelled.
pub(crate) struct StaticDelayedWork<F: WorkFn> {
    dwork: Opaque<bindings::delayed_work>,
    /// Whether [`StaticDelayedWork::init`] has run.
    initialised: Atomic<bool>,
    _f: core::marker::PhantomData<F>,
}

// SAFETY: The delayed work is only touched through the workqueue API, which is thread-safe,
// after `init` (which runs once, enforced by `initialised`).
unsafe impl<F: WorkFn> Sync for StaticDelayedWork<F> {}

impl<F: WorkFn> StaticDelayedWork<F> {
    /// An uninitialised work item, for a static.
    pub(crate) const fn new() -> Self {
        Self {
            dwork: Opaque::uninit(),
            initialised: Atomic::new(false),
            _f: core::marker::PhantomData,
        }
    }

    /// The work function: runs `F::run()`.
    ///
    /// # Safety
    ///
    /// Called by the workqueue for the work item of a [`StaticDelayedWork<F>`].
    unsafe extern "C" fn trampoline(_work: *mut bindings::work_struct) {
        F::run();
    }

    /// Initialises the work item; `EBUSY` if it was initialised already.
    pub(crate) fn init(&'static self) -> Result<DelayedWorkRef<F>> {
        if self.initialised.xchg(true, Full) {
            return Err(EBUSY);
        }
        // SAFETY: `dwork` is in static memory and, by the exchange above, initialised only
        // here, once, before anything can queue it (only a `DelayedWorkRef` can, and this is
        // the first one); `trampoline` has the `work_func_t` signature.
        unsafe { ffi::tcgroup_init_delayed_work(self.dwork.get(), Some(Self::trampoline)) };
        // INVARIANT: The work item was initialised just above.
        Ok(DelayedWorkRef { work: self })
    }
}

/// An initialised [`StaticDelayedWork`].
///
/// # Invariants
///
/// `work.dwork` has been initialised by [`StaticDelayedWork::init`].
pub(crate) struct DelayedWorkRef<F: WorkFn> {
    work: &'static StaticDelayedWork<F>,
}

impl<F: WorkFn> DelayedWorkRef<F> {
    /// Queues the work on `queue` to run after `delay_ms` milliseconds (0: at once), unless it
    /// is queued already (then it runs when it was going to). Any context; never allocates.
    /// Returns whether this call queued it.
    pub(crate) fn queue(&self, queue: &OwnedQueue, delay_ms: u32) -> bool {
        // SAFETY: By the type invariants the work item is initialised and `queue.wq` is a live
        // workqueue; `queue_delayed_work` may be called in any context.
        unsafe { ffi::tcgroup_queue_delayed_work_ms(queue.wq, self.work.dwork.get(), delay_ms) }
    }

    /// Cancels the work if it is queued and waits for a run in progress to finish. The caller
    /// makes sure that nothing queues it again meanwhile. Process context.
    pub(crate) fn cancel_sync(&self) {
        // SAFETY: By the type invariant the work item is initialised; the function only
        // waits, in process context.
        unsafe { bindings::cancel_delayed_work_sync(self.work.dwork.get()) };
    }
}
