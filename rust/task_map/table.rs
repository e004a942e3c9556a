// SPDX-License-Identifier: GPL-2.0

//! The entries of a [`TaskMap`] and its tables of buckets.
//!
//! [`TaskMap`]: super::TaskMap

use super::{
    HasMembers,
    Recycler,
    MIN_BITS,
    SHRINK_MIN_BITS, //
};
use crate::{
    compat::prelude::*,
    slab, //
};
use core::{
    ptr::NonNull,
    sync::atomic::{
        AtomicPtr,
        AtomicUsize,
        Ordering::Relaxed, //
    }, //
};
use kernel::{
    bindings,
    types::Opaque, //
};

/// One mapping of a [`TaskMap`]: in one bucket's chain while mapped, in the map's pool while
/// free, and in neither for the grace period between. While mapped it is also on the member
/// list of its object ([`Members`]), which only the writer reads.
///
/// [`Members`]: super::Members
/// [`TaskMap`]: super::TaskMap
pub(super) struct Mapping<T: 'static> {
    /// The next entry of the chain or of the pool.
    pub(super) next: AtomicPtr<Mapping<T>>,
    /// The key; changed only while no reader can reach the entry (in the pool).
    pub(super) key: AtomicUsize,
    /// The object.
    pub(super) val: AtomicPtr<T>,
    /// For the grace period before the entry goes back to its map's pool (`call_rcu()`).
    pub(super) rcu: Opaque<bindings::callback_head>,
    /// The task the key stands for, while mapped; read by the writer only.
    pub(super) owner: AtomicPtr<bindings::task_struct>,
    /// The entry before this one on its object's member list (null: the first), while
    /// mapped; the writer's only.
    pub(super) sib_prev: AtomicPtr<Mapping<T>>,
    /// While mapped, the entry after this one on its object's member list (null: the last),
    /// the writer's only; once retired ([`TaskMap::retire`]), off that list, the next entry
    /// retired in the same batch (`next` stays as it was for the readers still on the entry).
    /// Eight words in all: a task in a group costs one 64-byte slab object.
    ///
    /// [`TaskMap::retire`]: super::TaskMap::retire
    pub(super) sib_next: AtomicPtr<Mapping<T>>,
}

impl<T: 'static> Mapping<T> {
    /// A free entry, allocated from `cache` with `GFP_ATOMIC`.
    pub(super) fn alloc_atomic(cache: &slab::Cache<Self>) -> Result<*mut Self> {
        // SAFETY: Just allocated from the cache of entries, and owned here.
        Ok(unsafe { Self::init(cache.alloc_atomic()?) })
    }

    /// Makes a free entry in `p`.
    ///
    /// # Safety
    ///
    /// `p` must be memory for an entry (from the map's cache) that the caller owns.
    pub(super) unsafe fn init(p: NonNull<Self>) -> *mut Self {
        let e = p.as_ptr();
        // SAFETY: Per the function's contract `p` is owned, writable memory for an entry.
        unsafe {
            e.write(Mapping {
                next: AtomicPtr::new(core::ptr::null_mut()),
                key: AtomicUsize::new(0),
                val: AtomicPtr::new(core::ptr::null_mut()),
                rcu: Opaque::uninit(),
                owner: AtomicPtr::new(core::ptr::null_mut()),
                sib_prev: AtomicPtr::new(core::ptr::null_mut()),
                sib_next: AtomicPtr::new(core::ptr::null_mut()),
            })
        };
        e
    }
}

/// The `call_rcu()` callback of a batch of retired entries ([`TaskMap::flush`]), erased or
/// unmapped by a move: gives each back to its map's pool.
///
/// # Safety
///
/// `head` must be the `rcu` field of the first entry of a batch: entries of the map's cache
/// chained through `sib_next`, that no chain holds any more and that no reader can reach (a
/// grace period has passed since their removal).
///
/// [`TaskMap::flush`]: super::TaskMap::flush
pub(super) unsafe extern "C" fn batch_rcu_callback<T: HasMembers>(
    head: *mut bindings::callback_head,
) {
    let off = core::mem::offset_of!(Mapping<T>, rcu);
    // SAFETY: Per the function's contract `head` is at `off` in a `Mapping<T>`.
    let mut e = unsafe { head.cast::<u8>().sub(off).cast::<Mapping<T>>() };
    // What the pool has no room for goes back to the cache in bulk: a 1 001-thread process
    // moved to the root groups frees about 500 entries here.
    let mut back = Recycler::new(T::map());
    while !e.is_null() {
        // SAFETY: `e` is an entry of the batch, live and owned by this callback (contract).
        let next = unsafe { (*e).sib_next.load(Relaxed) };
        // SAFETY: Per the contract the entry is unreachable and owned by this callback.
        unsafe { back.put(e) };
        e = next;
    }
}

/// The `call_rcu()` callback of a table replaced by [`TaskMap::refill`]: gives its entries back
/// to their map's pool and frees it.
///
/// # Safety
///
/// `head` must be the `rcu` field of a table from `KBox::into_raw` that is no longer the map's
/// and that no reader can reach (a grace period has passed since it was replaced), with its
/// entries still chained and owned by it: the new table holds copies of them.
///
/// [`TaskMap::refill`]: super::TaskMap::refill
pub(super) unsafe extern "C" fn table_rcu_callback<T: HasMembers>(
    head: *mut bindings::callback_head,
) {
    let off = core::mem::offset_of!(Table<T>, rcu);
    // SAFETY: Per the function's contract `head` is at `off` in a `Table<T>` from
    // `KBox::into_raw`, which this callback owns now.
    let old = unsafe { KBox::from_raw(head.cast::<u8>().sub(off).cast::<Table<T>>()) };
    // The buckets may be `vmalloc()`ed: `kvfree()` defers that free from softirq context.
    // SAFETY: A grace period after its replacement nothing can reach the old table or its
    // entries, which it owns (contract).
    unsafe { Table::free(old) };
}

/// The buckets of a [`TaskMap`].
///
/// [`TaskMap`]: super::TaskMap
pub(super) struct Table<T: 'static> {
    /// `usize::BITS` minus the log2 of the number of buckets: a hash's top bits pick one.
    pub(super) shift: u32,
    /// The chains' first entries.
    pub(super) buckets: KVVec<AtomicPtr<Mapping<T>>>,
    /// For the grace period between its replacement and its free ([`table_rcu_callback`]).
    pub(super) rcu: Opaque<bindings::callback_head>,
}

impl<T: HasMembers> Table<T> {
    /// A table of `1 << bits` empty buckets, allocated with `GFP_KERNEL`.
    pub(super) fn new(bits: u32) -> Result<KBox<Self>> {
        let n = 1usize << bits;
        let mut buckets = KVVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            buckets.push(AtomicPtr::new(core::ptr::null_mut()), GFP_KERNEL)?;
        }
        Ok(KBox::new(
            Table {
                shift: usize::BITS - bits,
                buckets,
                rcu: Opaque::uninit(),
            },
            GFP_KERNEL,
        )?)
    }

    /// Frees `t`, giving its entries back to their map's pool, which frees those it has no room
    /// for.
    ///
    /// # Safety
    ///
    /// No reader or writer can reach `t` or its entries any more, and `t` owns them: entries
    /// of the map's cache that nothing else holds.
    pub(super) unsafe fn free(t: KBox<Self>) {
        let mut back = Recycler::new(T::map());
        for b in t.buckets.iter() {
            let mut e = b.load(Relaxed);
            while !e.is_null() {
                // SAFETY: `e` is an entry of `t`, which owns it (the function's contract).
                let next = unsafe { (*e).next.load(Relaxed) };
                // SAFETY: `e`, of the map's cache, is unreachable and held by `t` alone (the
                // function's contract); `t` is not used after this loop.
                unsafe { back.put(e) };
                e = next;
            }
        }
    }

    /// The bucket of `key` (a multiplicative hash: the keys of neighbouring tasks spread).
    pub(super) fn bucket(&self, key: usize) -> &AtomicPtr<Mapping<T>> {
        let h = key.wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as usize) >> self.shift;
        &self.buckets[h]
    }
}

/// The buckets a map of `count` entries wants, as a power of two: at most one entry per
/// bucket on average after growing, at least one per eight before shrinking a table of more
/// than `1 << SHRINK_MIN_BITS` buckets. `None` if `bits` fits.
pub(super) fn wanted_bits(bits: u32, count: usize) -> Option<u32> {
    let n = 1usize << bits;
    if count > n || (bits > SHRINK_MIN_BITS && count < n / 8) {
        let want = count
            .max(1)
            .next_power_of_two()
            .trailing_zeros()
            .max(MIN_BITS);
        (want != bits).then_some(want)
    } else {
        None
    }
}
