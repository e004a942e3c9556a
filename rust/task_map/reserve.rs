// SPDX-License-Identifier: GPL-2.0

//! The free entries of a [`TaskMap`]: its pool and reserve, their refill, and the resize of its
//! table.

use super::{
    replace_member,
    table_rcu_callback,
    wanted_bits,
    HasMembers,
    Mapping,
    Spare,
    Table,
    TaskMap,
    Writer,
    POOL_MAX,
    RESERVE, //
};
use crate::{
    compat::prelude::*,
    slab, //
};
use core::{
    ptr::NonNull,
    sync::atomic::Ordering::{
        AcqRel,
        Acquire,
        Relaxed,
        Release, //
    }, //
};
use kernel::{
    bindings,
    sync::Arc,
    workqueue::{
        Queue,
        Work,
        WorkItem, //
    }, //
};

impl<T: HasMembers> TaskMap<T> {
    /// Takes an entry from the pool. The writer is the pool's only consumer, so the entry at
    /// its head cannot be taken by anyone else between the load and the exchange.
    pub(super) fn pop(&self, _w: &mut Writer<T>) -> Option<*mut Mapping<T>> {
        let mut head = self.pool.load(Acquire);
        while !head.is_null() {
            // SAFETY: By the type invariant pool entries are live; only this consumer takes
            // them out, so `head` stays in the pool until the exchange below.
            let next = unsafe { (*head).next.load(Relaxed) };
            match self.pool.compare_exchange(head, next, Acquire, Acquire) {
                Ok(_) => {
                    self.nr_free.fetch_sub(1, Relaxed);
                    return Some(head);
                }
                Err(h) => head = h,
            }
        }
        None
    }

    /// Allocates `n` entries with `GFP_KERNEL`, for a change mapping up to `n` new keys.
    pub(crate) fn spare(&'static self, n: usize) -> Result<Spare<T>> {
        self.spare_with(n, false)
    }

    /// Allocates `n` entries with `GFP_KERNEL`, for a change that maps new keys without
    /// knowing how many: past these, it takes entries from the reserve until the reserve is
    /// low ([`TaskMap::reserve_low`], which asks for a refill), and a new mapping that finds
    /// none fails and is counted ([`Spare::short`]), so that the caller can allocate that many
    /// and retry. It never allocates under its lock, and leaves half the reserve to the fork
    /// probe.
    pub(crate) fn spare_within(&'static self, n: usize) -> Result<Spare<T>> {
        self.spare_with(n, true)
    }

    /// [`TaskMap::spare`] or [`TaskMap::spare_within`].
    fn spare_with(&'static self, n: usize, within: bool) -> Result<Spare<T>> {
        // INVARIANT: Empty, then grown one owned entry at a time.
        let mut s = Spare {
            map: self,
            head: core::ptr::null_mut(),
            len: 0,
            within,
            short: 0,
        };
        // In bulk: a process of a thousand threads leaving the root groups needs as many.
        self.alloc_entries(n, |e| {
            // SAFETY: `e` is a free entry just made and owned here (`alloc_entries`).
            unsafe { (*e).next.store(s.head, Relaxed) };
            s.head = e;
            s.len += 1;
        })?;
        Ok(s)
    }

    /// Makes `n` free entries, [`slab::BULK`] at a time from the map's cache with
    /// `GFP_KERNEL`, and hands each to `f`, which owns it from then on: in no chain and
    /// unreachable to readers. Process context. `ENOMEM` if a batch cannot be had; the entries
    /// handed out before stay handed out.
    fn alloc_entries(&self, n: usize, mut f: impl FnMut(*mut Mapping<T>)) -> Result {
        self.entries.alloc_bulk(n, |p| {
            // SAFETY: `p` was just allocated from the cache of entries and is owned here.
            f(unsafe { Mapping::init(p) })
        })
    }

    /// Whether the reserve is low or the table's size no longer fits its entries: then a
    /// writer that cannot sleep asks process context to call [`TaskMap::refill`].
    pub(crate) fn wants_refill(&self) -> bool {
        let bits = self.bits.load(Relaxed) as u32;
        self.reserve_low() || wanted_bits(bits, self.count.load(Relaxed)).is_some()
    }

    /// Whether the reserve holds fewer than half of [`RESERVE`]: then writers ask for a
    /// refill, and changes that may allocate take no entry from it.
    pub(crate) fn reserve_low(&self) -> bool {
        self.nr_free.load(Relaxed) < RESERVE / 2
    }

    /// The free entries in the reserve.
    pub(crate) fn reserved(&self) -> usize {
        self.nr_free.load(Relaxed)
    }

    /// Tops the reserve up to [`RESERVE`] with `GFP_KERNEL` allocations.
    pub(super) fn refill_pool(&'static self) -> Result {
        let n = RESERVE.saturating_sub(self.nr_free.load(Relaxed));
        self.alloc_entries(n, |e| {
            // SAFETY: `e` is an entry of this map's cache just made and owned here, in no chain
            // and unreachable to readers (`alloc_entries`).
            unsafe { self.recycle(e) };
        })
    }

    /// Tops the reserve up and resizes the table if its entries no longer fit it. Process
    /// context: it allocates with `GFP_KERNEL`, but does not wait for the readers of a table it
    /// replaces (which would keep the reserve from being topped up meanwhile): the old table
    /// and its entries go back to the pool a grace period later, through `call_rcu()`. `lock`
    /// gives the writer for the moments the table is swapped (the caller's lock held by the
    /// closure while it runs). `ENOMEM` if an allocation failed; what was done stays done.
    pub(crate) fn refill(
        &'static self,
        mut lock: impl FnMut(&mut dyn FnMut(&mut Writer<T>)),
    ) -> Result {
        self.refill_pool()?;
        // The count may change between the sizing and the swap: a few tries.
        for _ in 0..4 {
            let bits = self.bits.load(Relaxed) as u32;
            let count = self.count.load(Relaxed);
            let Some(want) = wanted_bits(bits, count) else {
                return Ok(());
            };
            let new = Table::new(want)?;
            let mut spare = self.spare(count + count / 8 + 16)?;
            let mut new = Some(new);
            let mut old: *mut Table<T> = core::ptr::null_mut();
            lock(&mut |w| {
                if let Some(t) = new.take() {
                    match self.swap_table(w, t, &mut spare) {
                        Ok(o) => old = o,
                        Err(t) => new = Some(t),
                    }
                }
            });
            if old.is_null() {
                continue;
            }
            // SAFETY: `old` came from `KBox::into_raw` (type invariant) and was just replaced:
            // no writer can reach it any more, and readers that still may are done before the
            // callback runs. It still owns the entries the new table holds copies of, and its
            // `rcu` field is used once, here.
            unsafe { bindings::call_rcu((*old).rcu.get(), Some(table_rcu_callback::<T>)) };
        }
        Ok(())
    }

    /// Replaces the table with `new`, holding a copy of every entry (mapped or parked) in entries
    /// from `spare`. Returns the old table (its entries still linked) for the caller to free after
    /// a grace period, or gives `new` back if `spare` is short.
    fn swap_table(
        &'static self,
        w: &mut Writer<T>,
        new: KBox<Table<T>>,
        spare: &mut Spare<T>,
    ) -> core::result::Result<*mut Table<T>, KBox<Table<T>>> {
        let count = self.count.load(Relaxed);
        if spare.len < count {
            return Err(new);
        }
        let old = self.table_mut(w);
        for b in old.buckets.iter() {
            let mut e = b.load(Relaxed);
            while !e.is_null() {
                // SAFETY: Entries of the current table are live; the writer is exclusive.
                let entry = unsafe { &*e };
                let key = entry.key.load(Relaxed);
                let Some(n) = spare.take() else {
                    // `count` entries are linked and `spare` held as many: not reached.
                    break;
                };
                // SAFETY: `n` is a free entry owned here; the new table is unpublished.
                let copy = unsafe { &*n };
                let nb = new.bucket(key);
                copy.key.store(key, Relaxed);
                copy.val.store(entry.val.load(Relaxed), Relaxed);
                copy.owner.store(entry.owner.load(Relaxed), Relaxed);
                copy.next.store(nb.load(Relaxed), Relaxed);
                let obj = entry.val.load(Relaxed);
                if !obj.is_null() {
                    // SAFETY: The writer is exclusive; `entry`, mapped, is on the list of its
                    // object, live while stored, and the copy, free, on none. Readers of the
                    // lists hold the writer, so none sees the lists between these replacements.
                    unsafe { replace_member(e, n, obj) };
                }
                nb.store(n, Relaxed);
                e = entry.next.load(Relaxed);
            }
        }
        let bits = usize::BITS - new.shift;
        // INVARIANT: The new table holds a copy of every mapping, each entry with its key and
        // object; the release store publishes them together.
        let old = self.table.swap(KBox::into_raw(new), AcqRel);
        self.bits.store(bits as usize, Relaxed);
        Ok(old)
    }
}

impl<T: 'static> TaskMap<T> {
    /// Gives a free entry back to the pool, or to the allocator if the pool is full. Any
    /// context.
    ///
    /// # Safety
    ///
    /// `e` must be an entry of this map (of its cache) that the caller owns: in no chain, and
    /// unreachable to readers.
    pub(super) unsafe fn recycle(&self, e: *mut Mapping<T>) {
        if self.nr_free.load(Relaxed) >= POOL_MAX {
            // SAFETY: Per the function's contract the caller owns the entry, of the cache.
            unsafe { self.entries.free(NonNull::new_unchecked(e)) };
            return;
        }
        self.nr_free.fetch_add(1, Relaxed);
        let mut head = self.pool.load(Relaxed);
        loop {
            // SAFETY: Per the function's contract the entry is the caller's until published.
            unsafe { (*e).next.store(head, Relaxed) };
            // INVARIANT: The entry is free and unreachable; it joins the pool.
            match self.pool.compare_exchange(head, e, Release, Relaxed) {
                Ok(_) => return,
                Err(h) => head = h,
            }
        }
    }
}

/// Free entries given back to their map: to the pool while it has room ([`POOL_MAX`]), the
/// others to the cache, [`slab::BULK`] at a time, when the buffer is full and when the value is
/// dropped. Any context with interrupts enabled.
///
/// # Invariants
///
/// `buf[..len]` are entries of `map`'s cache that only this value owns.
pub(super) struct Recycler<'a, T: 'static> {
    map: &'a TaskMap<T>,
    buf: [*mut Mapping<T>; slab::BULK],
    len: usize,
}

impl<'a, T: 'static> Recycler<'a, T> {
    /// Gives entries back to `map`.
    pub(super) fn new(map: &'a TaskMap<T>) -> Self {
        // INVARIANT: Empty.
        Self {
            map,
            buf: [core::ptr::null_mut(); slab::BULK],
            len: 0,
        }
    }

    /// Gives `e` back.
    ///
    /// # Safety
    ///
    /// As for [`TaskMap::recycle`]: `e` is an entry of the map that the caller owns, in no
    /// chain and unreachable to readers.
    pub(super) unsafe fn put(&mut self, e: *mut Mapping<T>) {
        if self.map.nr_free.load(Relaxed) < POOL_MAX {
            // SAFETY: Per the function's contract.
            unsafe { self.map.recycle(e) };
            return;
        }
        if self.len == slab::BULK {
            self.free_all();
        }
        // INVARIANT: Per the function's contract the entry is owned, now by this value.
        self.buf[self.len] = e;
        self.len += 1;
    }

    /// Frees the entries held.
    fn free_all(&mut self) {
        let n = core::mem::take(&mut self.len);
        // SAFETY: By the type invariant the first `n` pointers are entries of the map's cache
        // that only this value owns, given up here; `NonNull` has the layout of a pointer, and
        // none of them is null.
        unsafe {
            let objs = core::slice::from_raw_parts_mut(
                self.buf.as_mut_ptr().cast::<NonNull<Mapping<T>>>(),
                n,
            );
            self.map.entries.free_bulk(objs);
        }
    }
}

impl<T: 'static> Drop for Recycler<'_, T> {
    fn drop(&mut self) {
        self.free_all();
    }
}

/// A work item made ahead of need, so that a writer in atomic context can ask process context
/// to run `f` (refill a [`TaskMap`]) without allocating: queueing takes a reference only.
#[pin_data]
pub(crate) struct RefillWork {
    /// What the work does.
    f: fn(),
    #[pin]
    work: Work<RefillWork>,
}

kernel::impl_has_work! {
    impl HasWork<Self> for RefillWork { self.work }
}

impl WorkItem for RefillWork {
    type Pointer = Arc<RefillWork>;

    fn run(this: Arc<RefillWork>) {
        (this.f)();
    }
}

impl RefillWork {
    /// A work item calling `f`.
    pub(crate) fn new(f: fn()) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                f,
                work <- kernel::new_work!("tcgroup::RefillWork"),
            }),
            GFP_KERNEL,
        )
    }

    /// Queues the work on `q` unless it is queued already. Any context; never allocates.
    pub(crate) fn queue(self: &Arc<Self>, q: &Queue) {
        // Already queued: that run does what this one would.
        let _ = q.enqueue(self.clone());
    }
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_task_map)]
mod tests {
    use super::*;
    use crate::compat::rcu;
    use crate::rcu_free::barrier;
    use crate::task_map::{
        impl_has_members,
        Members,
        Source,
        MIN_BITS,
        RETIRE_BATCH,
        SHRINK_MIN_BITS, //
    };
    use kernel::task::Task;

    /// The objects of the test's map.
    struct Obj {
        n: u32,
        members: Members<Obj>,
    }

    impl_has_members! {
        impl HasMembers for Obj { self.members } in MAP
    }

    /// An object numbered `n`.
    fn obj(n: u32) -> Obj {
        Obj {
            n,
            members: Members::new(),
        }
    }

    /// The task every key of the tests stands for.
    fn me() -> &'static Task {
        // SAFETY: The test's task outlives the test, which unmaps every key before it ends.
        unsafe { &*core::ptr::from_ref::<Task>(crate::compat::current_task!()) }
    }

    /// The number of keys mapped to `o`, by its member list.
    fn members(w: &Writer<Obj>, o: &Obj) -> usize {
        let mut n = 0;
        MAP.for_each_member(w, o, |t| {
            assert!(core::ptr::eq(t, me()));
            n += 1;
        });
        n
    }

    /// The one map of `Obj`s.
    static MAP: TaskMap<Obj> = TaskMap::uninit();

    /// The object `key` maps to, by its number.
    fn loaded(key: usize) -> Option<u32> {
        MAP.load(&rcu::read_lock(), key).map(|o| o.n)
    }

    /// Sets the mapping of `key` through its entry, as a move does.
    fn set(
        w: &mut Writer<Obj>,
        key: usize,
        to: Option<&Obj>,
        spare: Option<&mut Spare<Obj>>,
    ) -> Result<bool> {
        MAP.entry(w, &rcu::read_lock(), key).set(to, me(), spare)
    }

    /// Whether `key` has an entry, mapped or parked.
    fn held(key: usize) -> bool {
        MAP.holds(&rcu::read_lock(), key)
    }

    /// The object `key` maps to, by its number, as its entry reads it.
    fn got(w: &mut Writer<Obj>, key: usize) -> Option<u32> {
        MAP.entry(w, &rcu::read_lock(), key).get().map(|o| o.n)
    }

    #[test]
    fn entry_changes_once_and_flush_recycles() -> Result {
        // A reader that comes before `init` finds nothing.
        assert_eq!(loaded(7), None);
        // SAFETY: `MAP` is the only map of `Obj`s and is initialised once, here.
        let mut w = unsafe { MAP.init(c"tcgroup_test_map") }?;
        let (a, b) = (obj(1), obj(2));
        let reserve = MAP.reserved();
        // A new mapping takes an entry from the reserve.
        assert!(set(&mut w, 7, Some(&a), None)?);
        assert!(set(&mut w, 8, Some(&a), None)?);
        assert_eq!(MAP.reserved(), reserve - 2);
        assert_eq!(got(&mut w, 7), Some(1));
        assert_eq!(got(&mut w, 9), None);
        // Setting what it maps to already changes nothing.
        assert!(!set(&mut w, 7, Some(&a), None)?);
        assert_eq!((members(&w, &a), members(&w, &b)), (2, 0));
        assert!(set(&mut w, 7, Some(&b), None)?);
        assert_eq!(loaded(7), Some(2));
        assert_eq!((members(&w, &a), members(&w, &b)), (1, 1));
        // Unmapped: parked, readers find nothing, the entry stays the key's.
        assert!(set(&mut w, 7, None, None)?);
        assert!(set(&mut w, 8, None, None)?);
        assert!(!set(&mut w, 8, None, None)?);
        assert_eq!(loaded(7), None);
        assert_eq!(loaded(8), None);
        assert_eq!(got(&mut w, 8), None);
        assert!(held(7) && held(8));
        assert_eq!(MAP.entries(), (2, 2));
        assert_eq!((members(&w, &a), members(&w, &b)), (0, 0));
        MAP.flush(&mut w);
        barrier();
        assert_eq!(MAP.reserved(), reserve - 2);
        // Mapped again in place: no entry taken.
        assert!(set(&mut w, 8, Some(&b), None)?);
        assert_eq!(MAP.store(&mut w, 7, me(), &a, None)?, Source::Existing);
        assert_eq!(MAP.reserved(), reserve - 2);
        assert_eq!((loaded(7), loaded(8)), (Some(1), Some(2)));
        assert_eq!(MAP.entries(), (2, 0));
        assert_eq!((members(&w, &a), members(&w, &b)), (1, 1));
        // Removed, parked or not: retired, back in the reserve a grace period after the flush.
        assert!(set(&mut w, 7, None, None)?);
        assert!(MAP.remove(&mut w, &rcu::read_lock(), 7).is_none());
        assert_eq!(
            MAP.remove(&mut w, &rcu::read_lock(), 8).map(|o| o.n),
            Some(2)
        );
        assert!(!held(7) && !held(8));
        assert_eq!(MAP.entries(), (0, 0));
        assert_eq!((members(&w, &a), members(&w, &b)), (0, 0));
        assert_eq!(MAP.reserved(), reserve - 2);
        MAP.flush(&mut w);
        barrier();
        assert_eq!(MAP.reserved(), reserve);
        within_takes_the_reserve_until_low_then_counts(&mut w)?;
        refill_grows_the_table_and_recycles_the_old_one(&mut w)?;
        remove_retires_in_batches(&mut w)?;
        // SAFETY: The map is no longer used, the barrier in the check above waited for its
        // callbacks, and `init` succeeded.
        unsafe { MAP.destroy(w) };
        Ok(())
    }

    /// A spare made by `spare_within` maps with its own entries, then with the reserve's until
    /// it is low, then counts the mappings it could not make, never allocating.
    fn within_takes_the_reserve_until_low_then_counts(w: &mut Writer<Obj>) -> Result {
        let c = obj(3);
        let reserve = MAP.reserved();
        assert_eq!(reserve, RESERVE);
        let mut spare = MAP.spare_within(1)?;
        let mut mapped = 0;
        let e = loop {
            match set(w, 1000 + mapped, Some(&c), Some(&mut spare)) {
                Ok(_) => mapped += 1,
                Err(e) => break e,
            }
        };
        assert_eq!(e, ENOMEM);
        assert_eq!(mapped, 1 + (RESERVE - RESERVE / 2 + 1));
        assert!(MAP.reserve_low());
        assert_eq!(MAP.reserved(), RESERVE / 2 - 1);
        assert_eq!(spare.short(), 1);
        assert_eq!(loaded(1000 + mapped), None);
        drop(spare);
        for key in 1000..1000 + mapped {
            MAP.erase(w, key);
        }
        barrier();
        Ok(())
    }

    #[test]
    fn small_tables_grow_but_do_not_shrink() -> Result {
        assert_eq!(wanted_bits(MIN_BITS, 1 << MIN_BITS), None);
        assert_eq!(
            wanted_bits(MIN_BITS, (1 << MIN_BITS) + 1),
            Some(MIN_BITS + 1)
        );
        assert_eq!(wanted_bits(MIN_BITS + 2, 0), None);
        assert_eq!(wanted_bits(SHRINK_MIN_BITS, 0), None);
        assert_eq!(wanted_bits(SHRINK_MIN_BITS + 1, 0), Some(MIN_BITS));
        assert_eq!(wanted_bits(SHRINK_MIN_BITS + 1, 1 << SHRINK_MIN_BITS), None);
        Ok(())
    }

    /// `remove` hands its entries to `call_rcu()` once a batch is full, not one by one.
    fn remove_retires_in_batches(w: &mut Writer<Obj>) -> Result {
        let e = obj(5);
        let mut spare = MAP.spare(RETIRE_BATCH)?;
        for key in 0..RETIRE_BATCH {
            assert!(MAP.store(w, 9000 + key, me(), &e, Some(&mut spare))? == Source::Spare);
        }
        // The pool is full (the test above): make room for the batch to come back.
        let mut taken = KVec::new();
        for _ in 0..RETIRE_BATCH {
            taken.push(MAP.pop(w).ok_or(ENOMEM)?, GFP_KERNEL)?;
        }
        let reserve = MAP.reserved();
        for key in 1..RETIRE_BATCH {
            assert_eq!(
                MAP.remove(w, &rcu::read_lock(), 9000 + key).map(|o| o.n),
                Some(5)
            );
        }
        assert!(MAP
            .remove(w, &rcu::read_lock(), 9000 + RETIRE_BATCH)
            .is_none());
        // One short of a batch: still retired after a grace period.
        barrier();
        assert_eq!(MAP.reserved(), reserve);
        assert_eq!(loaded(9000 + 1), None);
        assert_eq!(loaded(9000), Some(5));
        // The batch is full: back in the pool a grace period later.
        assert!(MAP.remove(w, &rcu::read_lock(), 9000).is_some());
        barrier();
        assert_eq!(MAP.reserved(), reserve + RETIRE_BATCH);
        for e in taken {
            // SAFETY: Taken from the pool above: owned here, unreachable to readers.
            unsafe { MAP.recycle(e) };
        }
        Ok(())
    }

    /// A refill of a map with more entries than buckets copies every mapping into a table
    /// twice the size, and returns without waiting for readers of the old one, whose entries
    /// come back to the pool a grace period later.
    fn refill_grows_the_table_and_recycles_the_old_one(w: &mut Writer<Obj>) -> Result {
        let d = obj(4);
        let n = (1usize << MIN_BITS) + 1;
        let mut spare = MAP.spare(n)?;
        for key in 0..n {
            assert!(MAP.store(w, 5000 + key, me(), &d, Some(&mut spare))? == Source::Spare);
        }
        // Every other key on another object, to see that the resize keeps both lists, and one
        // key parked, to see that it keeps its entry.
        let d2 = obj(6);
        for key in (0..n).step_by(2) {
            assert!(MAP.store(w, 5000 + key, me(), &d2, None)? == Source::Existing);
        }
        assert!(set(w, 5003, None, None)?);
        assert!(set(w, 5003, Some(&d), None)?);
        assert!(set(w, 5003, None, None)?);
        assert_eq!((members(w, &d), members(w, &d2)), (n / 2 - 1, n - n / 2));
        assert!(MAP.wants_refill());
        MAP.refill(|f| f(&mut *w))?;
        assert!(!MAP.wants_refill());
        assert_eq!(MAP.bits.load(Relaxed), MIN_BITS as usize + 1);
        for key in (0..n).filter(|&k| k != 3) {
            assert_eq!(loaded(5000 + key), Some(if key % 2 == 0 { 6 } else { 4 }));
        }
        assert!(loaded(5003).is_none() && held(5003));
        assert_eq!(MAP.entries(), (n, 1));
        // The copies took the places of the old entries on the lists, which still unlink; the
        // parked key's copy is on none, and maps again in place.
        assert_eq!((members(w, &d), members(w, &d2)), (n / 2 - 1, n - n / 2));
        assert!(set(w, 5001, Some(&d2), None)?);
        assert!(set(w, 5003, Some(&d), None)?);
        assert_eq!(
            (members(w, &d), members(w, &d2)),
            (n / 2 - 1, n - n / 2 + 1)
        );
        // The old table's entries, after the grace period: the pool is full.
        barrier();
        assert_eq!(MAP.reserved(), POOL_MAX);
        for key in 0..n {
            assert!(MAP.remove(w, &rcu::read_lock(), 5000 + key).is_some());
        }
        assert_eq!((members(w, &d), members(w, &d2)), (0, 0));
        MAP.flush(w);
        barrier();
        Ok(())
    }
}
