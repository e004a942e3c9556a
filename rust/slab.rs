// SPDX-License-Identifier: GPL-2.0

//! A slab cache of the module's own, for objects allocated and freed in bulk.
//!
//! The kernel crate has no slab cache on the supported lines, and `KBox` allocates one object
//! per `kmalloc()`. The task map allocates the entries of a thousand threads at once when a
//! process leaves the root groups, and frees as many a grace period after it returns there:
//! `kmem_cache_alloc_bulk()` and `kmem_cache_free_bulk()` take the slab's locks once per
//! batch, not once per object. The cache is created at module load and destroyed at unload,
//! after the RCU callbacks that free its objects have run (`rcu_barrier()`).
//!
//! Like [`crate::vfs`], this is an abstraction file: it holds the `unsafe` code and gives the
//! rest of the crate a safe API for what is safe (creating, allocating).
//!
//! C header: [`include/linux/slab.h`](srctree/include/linux/slab.h)

use crate::{
    compat::prelude::*,
    ffi, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{
        AtomicPtr,
        Ordering::{
            Acquire,
            Relaxed,
            Release, //
        }, //
    },
};
use kernel::bindings;

/// How many objects [`Cache::alloc_bulk`] and [`Cache::free_bulk`] hand to the allocator at a
/// time (a buffer of pointers on the stack, 256 bytes).
pub(crate) const BULK: usize = 32;

/// A slab cache of `T`-sized, `T`-aligned objects; meant to be a field of a `static`.
///
/// It hands out uninitialised memory and takes it back without dropping anything: the caller
/// writes an object before using it, and `T` must need no drop (atomics and pointers).
///
/// # Invariants
///
/// `cache` is null before [`Cache::create`] has succeeded and from [`Cache::destroy`] on; in
/// between it is a cache made for objects of `T`'s size and alignment, which only `destroy`
/// destroys.
pub(crate) struct Cache<T> {
    cache: AtomicPtr<bindings::kmem_cache>,
    _p: PhantomData<T>,
}

// SAFETY: The slab allocator may be used from any thread; the cache hands out memory, not `T`s.
unsafe impl<T> Send for Cache<T> {}
// SAFETY: The slab allocator's calls are thread-safe, and the cache pointer is an atomic:
// every method may run on any thread at the same time as the others, but `create` and
// `destroy`, whose contracts order them before and after every other use.
unsafe impl<T> Sync for Cache<T> {}

impl<T> Cache<T> {
    /// A cache to be made by [`Cache::create`].
    pub(crate) const fn uninit() -> Self {
        Self {
            cache: AtomicPtr::new(core::ptr::null_mut()),
            _p: PhantomData,
        }
    }

    /// Makes the cache, named `name` in `/proc/slabinfo`. Process context. `ENOMEM` if the
    /// allocator cannot; `EBUSY` if it was made already.
    pub(crate) fn create(&self, name: &'static CStr) -> Result {
        if !self.cache.load(Relaxed).is_null() {
            return Err(EBUSY);
        }
        let (Ok(size), Ok(align)) = (
            u32::try_from(core::mem::size_of::<T>()),
            u32::try_from(core::mem::align_of::<T>()),
        ) else {
            return Err(EINVAL);
        };
        // SAFETY: `name` is a NUL-terminated string that lives as long as the module, which
        // destroys the cache before it goes.
        let c = unsafe { ffi::tcgroup_kmem_cache_create(name.as_char_ptr(), size, align) };
        if c.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: Made for `T`'s size and alignment; published for the allocations.
        self.cache.store(c, Release);
        Ok(())
    }

    /// The cache; `ENOMEM` before [`Cache::create`].
    fn get(&self) -> Result<*mut bindings::kmem_cache> {
        let c = self.cache.load(Acquire);
        if c.is_null() {
            return Err(ENOMEM);
        }
        Ok(c)
    }

    /// One uninitialised object, allocated with `GFP_ATOMIC`. Any context.
    pub(crate) fn alloc_atomic(&self) -> Result<NonNull<T>> {
        let c = self.get()?;
        // SAFETY: By the type invariant `c` is a live cache (`destroy`'s contract keeps it so
        // while allocations may run).
        let p = unsafe { ffi::tcgroup_kmem_cache_alloc(c, bindings::GFP_ATOMIC) };
        NonNull::new(p.cast::<T>()).ok_or(ENOMEM)
    }

    /// `n` uninitialised objects, allocated [`BULK`] at a time with `GFP_KERNEL`, each handed
    /// to `f`, which owns it from then on. Process context. `ENOMEM` if a batch cannot be
    /// had: the objects handed out before stay handed out.
    pub(crate) fn alloc_bulk(&self, n: usize, mut f: impl FnMut(NonNull<T>)) -> Result {
        let c = self.get()?;
        let mut buf = [core::ptr::null_mut::<core::ffi::c_void>(); BULK];
        let mut left = n;
        while left > 0 {
            let k = left.min(BULK);
            // SAFETY: By the type invariant `c` is a live cache (`destroy`'s contract keeps it
            // so while allocations may run); `buf` has room for `k` pointers. Process context,
            // interrupts enabled, as the bulk allocator needs.
            if !unsafe {
                ffi::tcgroup_kmem_cache_alloc_bulk(c, bindings::GFP_KERNEL, k, buf.as_mut_ptr())
            } {
                return Err(ENOMEM);
            }
            for p in &buf[..k] {
                if let Some(p) = NonNull::new(p.cast::<T>()) {
                    f(p);
                }
            }
            left -= k;
        }
        Ok(())
    }

    /// Frees one object.
    ///
    /// # Safety
    ///
    /// `p` must come from this cache's [`Cache::alloc_atomic`] or [`Cache::alloc_bulk`], be
    /// owned by the caller and unreachable by anyone else, and not be used again.
    pub(crate) unsafe fn free(&self, p: NonNull<T>) {
        let c = self.cache.load(Relaxed);
        // SAFETY: `p` came from this cache, which by the function's contract was made and is
        // live (an object of it exists); the caller owns `p` and gives it up.
        unsafe { bindings::kmem_cache_free(c, p.as_ptr().cast()) };
    }

    /// Frees every object of `objs` at once; the slice's contents are garbage afterwards.
    /// Any context with interrupts enabled (an RCU callback).
    ///
    /// # Safety
    ///
    /// Every pointer of `objs` must come from this cache's [`Cache::alloc_atomic`] or
    /// [`Cache::alloc_bulk`], be owned by the caller and unreachable by anyone else, and not be
    /// used again.
    pub(crate) unsafe fn free_bulk(&self, objs: &mut [NonNull<T>]) {
        if objs.is_empty() {
            return;
        }
        let c = self.cache.load(Relaxed);
        // SAFETY: Every pointer came from this cache, which by the function's contract was
        // made and is live (its objects exist); the caller owns them and gives them up.
        // `NonNull<T>` has the layout of `*mut T`, so the slice is an array of `objs.len()`
        // object pointers.
        unsafe { bindings::kmem_cache_free_bulk(c, objs.len(), objs.as_mut_ptr().cast()) };
    }

    /// Destroys the cache.
    ///
    /// # Safety
    ///
    /// Every object of the cache must have been freed, and no call on the cache may run at the
    /// same time or later: the RCU callbacks that free its objects must have run
    /// (`rcu_barrier()` first).
    pub(crate) unsafe fn destroy(&self) {
        let c = self.cache.swap(core::ptr::null_mut(), Relaxed);
        if !c.is_null() {
            // SAFETY: `c` is a live cache (type invariant) with no object left and no user
            // (the function's contract).
            unsafe { bindings::kmem_cache_destroy(c) };
        }
    }
}
