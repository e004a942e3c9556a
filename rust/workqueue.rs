// SPDX-License-Identifier: GPL-2.0

//! Workqueues of the module's own, and delayed work embedded in reference-counted values.
//!
//! The kernel crate's `workqueue` module runs work items embedded in reference-counted objects
//! on a [`Queue`]. What it lacks on every supported line is a queue the module allocates (and
//! destroys, waiting for its work, at exit) and, on 6.12, a delayed work item: a group's release
//! work ([`crate::release`]) is queued at once from atomic context by a release, and after a
//! delay by itself when it ran out of memory. Both are here.
//!
//! Like [`crate::vfs`], this is an abstraction file: it holds the `unsafe` code and gives the
//! rest of the crate a safe API.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use crate::{
    compat::prelude::*,
    ffi, //
};
use core::marker::PhantomData;
use kernel::{
    bindings,
    sync::Arc,
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

    /// Allocates a per-CPU workqueue named `name`, as `system_wq`: an item runs on the CPU
    /// that queued it, and another starts when a running one sleeps.
    pub(crate) fn new_per_cpu(name: &'static CStr) -> Result<Self> {
        // SAFETY: `name` is a NUL-terminated string, which the helper uses as the workqueue's
        // name (not as a format).
        let wq = unsafe { ffi::tcgroup_alloc_percpu_workqueue(name.as_char_ptr()) };
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

/// A type whose values carry, in a field of their own, an [`ArcDelayedWork`] that runs
/// [`DelayedWorkItem::run`] with a reference to the value. Implemented by
/// [`impl_has_delayed_work!`].
///
/// # Safety
///
/// `OFFSET` is the offset in `Self` of a field of type `ArcDelayedWork<Self>`.
pub(crate) unsafe trait HasDelayedWork: Send + Sync + Sized + 'static {
    /// The offset of the work item in `Self`.
    const OFFSET: usize;
}

/// What the [`ArcDelayedWork`] of a value runs.
pub(crate) trait DelayedWorkItem: HasDelayedWork {
    /// The work, with the reference that was queued; process context, may sleep.
    fn run(this: Arc<Self>);
}

/// Implements [`HasDelayedWork`] for a type with an [`ArcDelayedWork`] field.
macro_rules! impl_has_delayed_work {
    (impl HasDelayedWork for $ty:ty { self.$field:ident }) => {
        // SAFETY: `OFFSET` is the offset of `$field`, which the type check below makes an
        // `ArcDelayedWork<$ty>`.
        unsafe impl $crate::workqueue::HasDelayedWork for $ty {
            const OFFSET: usize = {
                let _check = |v: &$ty| {
                    let _: &$crate::workqueue::ArcDelayedWork<$ty> = &v.$field;
                };
                ::core::mem::offset_of!($ty, $field)
            };
        }
    };
}
pub(crate) use impl_has_delayed_work;

/// A delayed work item embedded in a value that lives in an [`Arc`]: v1's per-group
/// `release_agent_work`, with a delay. While queued (its timer pending, or on the queue) it
/// owns one reference to the value, handed to [`DelayedWorkItem::run`], so the value outlives
/// it; queueing takes nothing else and allocates nothing, from any context.
///
/// # Invariants
///
/// `dwork` is initialised, with [`ArcDelayedWork::trampoline`] as its function. While it is
/// pending, a reference to the containing `T` obtained from [`Arc::into_raw`] is owned by it.
#[repr(transparent)]
#[pin_data]
pub(crate) struct ArcDelayedWork<T: DelayedWorkItem> {
    #[pin]
    dwork: Opaque<bindings::delayed_work>,
    _t: PhantomData<T>,
}

// SAFETY: The work item is only touched through the workqueue API, which is thread-safe.
unsafe impl<T: DelayedWorkItem> Send for ArcDelayedWork<T> {}
// SAFETY: Shared references only reach the item through the workqueue API, which may be called
// on the same item from several threads at once.
unsafe impl<T: DelayedWorkItem> Sync for ArcDelayedWork<T> {}

impl<T: DelayedWorkItem> ArcDelayedWork<T> {
    /// An idle work item, for the field `T::OFFSET` of a `T`.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `tcgroup_init_delayed_work` initialises the item in place;
            // `trampoline` has the `work_func_t` signature.
            dwork <- unsafe {
                Opaque::ffi_init(|slot: *mut bindings::delayed_work| {
                    ffi::tcgroup_init_delayed_work(slot, Some(Self::trampoline))
                })
            },
            _t: PhantomData,
        })
    }

    /// The work function: takes back the reference the item owned and runs `T::run()`.
    ///
    /// # Safety
    ///
    /// Called by the workqueue for the work item of an `ArcDelayedWork<T>` in a `T`.
    unsafe extern "C" fn trampoline(work: *mut bindings::work_struct) {
        // `work` is the first field of the `delayed_work`, which is the (transparent) item at
        // `T::OFFSET` in a `T`, by `HasDelayedWork`'s contract.
        let ptr = work.cast::<u8>().wrapping_sub(T::OFFSET).cast::<T>();
        // SAFETY: By the type invariant the pending item owned a reference from
        // `Arc::into_raw`, which the workqueue hands back once, here, as it starts the run.
        let this = unsafe { Arc::from_raw(ptr) };
        T::run(this);
    }

    /// Queues the item of `this` on `queue` to run after `delay_ms` milliseconds (0: at once),
    /// handing it the reference, unless it is pending already: then it runs when it was going
    /// to, with the reference it holds, and `this` comes back (`Err`), for the caller to drop
    /// where freeing is allowed. Any context; never allocates or frees.
    pub(crate) fn queue(this: Arc<T>, queue: &OwnedQueue, delay_ms: u32) -> Result<(), Arc<T>> {
        let item = Self::of(&this).dwork.get();
        let ptr = Arc::into_raw(this);
        // SAFETY: By the type invariants the item is initialised and `queue.wq` is a live
        // workqueue; `queue_delayed_work` may be called in any context.
        if unsafe { ffi::tcgroup_queue_delayed_work_ms(queue.wq, item, delay_ms) } {
            // INVARIANT: Queued: the pending item owns the reference.
            Ok(())
        } else {
            // SAFETY: Not queued: the reference taken above is still ours.
            Err(unsafe { Arc::from_raw(ptr) })
        }
    }

    /// Runs the item of `this` now if its timer is pending, and waits until it is idle: no
    /// run is pending or in progress. Process context; the caller holds no lock the run takes.
    pub(crate) fn flush(this: &T) {
        // SAFETY: By the type invariant the item is initialised; `flush_delayed_work` queues
        // it only if its timer was pending (the item keeps the reference it owns) and waits.
        unsafe { bindings::flush_delayed_work(Self::of(this).dwork.get()) };
    }

    /// The item of `this`.
    fn of(this: &T) -> &Self {
        let ptr = core::ptr::from_ref(this)
            .cast::<u8>()
            .wrapping_add(T::OFFSET)
            .cast::<Self>();
        // SAFETY: By `HasDelayedWork`'s contract an `ArcDelayedWork<T>` is at `T::OFFSET` in
        // `this`, which the returned reference cannot outlive.
        unsafe { &*ptr }
    }
}
