// SPDX-License-Identifier: GPL-2.0

//! The task map: a hash table from a task key to a shared object, read without locks.
//!
//! The kernel crate's `XArray` allocates its nodes on a store, which a writer in atomic
//! context cannot reserve for a key it does not know yet, so this abstraction file provides
//! [`TaskMap`]: its entries readers load under [`rcu::Guard`] while writers, serialised by
//! the map's [`Writer`], store and erase them, taking each new entry from a reserve that
//! process context refills. A key unmapped by a change of its mapping ([`MapEntry::set`]) keeps
//! its entry, *parked*: readers find nothing, and a later mapping of the key reuses it in place,
//! with no entry to take; the entry goes when the key is erased or removed. Its parts:
//!
//! - [`members`]: the list of the entries that map to one object ([`Members`]);
//! - [`table`]: the entries and the bucket tables;
//! - [`reserve`]: the pool of free entries, the reserve and its refill, the resize.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use crate::{
    compat::{
        prelude::*,
        rcu, //
    },
    slab, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull,
    sync::atomic::{
        AtomicPtr,
        AtomicUsize,
        Ordering::{
            Acquire,
            Relaxed,
            Release, //
        }, //
    }, //
};
use kernel::{
    bindings,
    task::Task, //
};

mod members;
mod reserve;
mod table;

pub(crate) use members::{
    impl_has_members,
    HasMembers,
    Members, //
};
use members::{
    link_member,
    members_of,
    replace_member,
    unlink_member, //
};
use reserve::Recycler;
pub(crate) use reserve::RefillWork;
use table::{
    batch_rcu_callback,
    table_rcu_callback,
    wanted_bits,
    Mapping,
    Table, //
};

/// The entries a [`TaskMap`] keeps for writers that cannot allocate (the fork probe takes one
/// per child it places). When fewer are left than half, the map asks to be refilled
/// ([`TaskMap::wants_refill`]) and process context tops it up ([`TaskMap::refill`]).
pub(crate) const RESERVE: usize = 256;

/// At most this many free entries are kept: an entry erased when the reserve holds more goes
/// back to the allocator.
const POOL_MAX: usize = 2 * RESERVE;

/// The fewest buckets, as a power of two.
const MIN_BITS: u32 = 8;

/// A table of at most this many buckets (as a power of two; 32 KiB) is never shrunk: a process
/// of a thousand threads moved out of the root groups and back, again and again, grew and
/// shrank the table on every round, each resize a copy of every entry under the writer's
/// lock, which made most of the cost of the moves.
const SHRINK_MIN_BITS: u32 = 12;

/// How many entries [`TaskMap::remove`] retires before it hands them to `call_rcu()` together:
/// an exit removes one entry, and a `call_rcu()` per exit would cost more than the removal.
const RETIRE_BATCH: usize = 32;

/// Where [`TaskMap::store`] found the entry of a new mapping.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The key was mapped already: its entry now holds the new object.
    Existing,
    /// From the [`Spare`] entries the writer brought.
    Spare,
    /// From the map's reserve.
    Reserve,
    /// The reserve was empty: allocated with `GFP_ATOMIC`.
    Allocated,
}

/// The right to change a [`TaskMap`]: every change takes `&mut Writer`, so whatever lock
/// protects the one writer serialises the changes.
///
/// # Invariants
///
/// At most one `Writer<T>` exists, made by [`TaskMap::init`] for the one map of `T`s.
pub(crate) struct Writer<T: 'static> {
    _p: PhantomData<&'static TaskMap<T>>,
}

/// Entries allocated in process context ahead of a change that maps many keys at once (a
/// move), so that it allocates nothing under its lock. Unused ones go to the map's pool.
///
/// # Invariants
///
/// `head` is a chain (through `next`) of `len` entries of `map` that only this value owns.
pub(crate) struct Spare<T: 'static> {
    map: &'static TaskMap<T>,
    head: *mut Mapping<T>,
    len: usize,
    /// Made by [`TaskMap::spare_within`]: once `head` is empty, new mappings take entries
    /// from the map's pool until it is low ([`TaskMap::reserve_low`]), and never allocate;
    /// one that finds none fails and is counted in `short`.
    within: bool,
    /// The new mappings that found no entry (with `within`).
    short: usize,
}

impl<T: 'static> Spare<T> {
    /// Takes one entry.
    fn take(&mut self) -> Option<*mut Mapping<T>> {
        if self.head.is_null() {
            return None;
        }
        let e = self.head;
        // SAFETY: By the type invariant `e` is an entry this value owns.
        self.head = unsafe { (*e).next.load(Relaxed) };
        self.len -= 1;
        Some(e)
    }

    /// The new mappings that found no entry: as many more entries as a retry of the same
    /// change needs (made by [`TaskMap::spare_within`]; 0 otherwise).
    pub(crate) fn short(&self) -> usize {
        self.short
    }
}

impl<T: 'static> Drop for Spare<T> {
    fn drop(&mut self) {
        let mut back = Recycler::new(self.map);
        while let Some(e) = self.take() {
            // SAFETY: By the type invariant the entry is owned here and no chain holds it.
            unsafe { back.put(e) };
        }
    }
}

/// The mapping of one key of a [`TaskMap`], found by its writer ([`TaskMap::entry`]).
///
/// # Invariants
///
/// `entry`, if not null, is the key's entry (mapped or parked) in the table of `map`; null if
/// the key has none. It stays valid while `w` is borrowed: only the writer unlinks entries or
/// replaces the table.
pub(crate) struct MapEntry<'w, 'r, T: 'static> {
    map: &'static TaskMap<T>,
    w: &'w mut Writer<T>,
    key: usize,
    entry: *const Mapping<T>,
    _rcu: PhantomData<&'r rcu::Guard>,
}

impl<'w, 'r, T: HasMembers> MapEntry<'w, 'r, T> {
    /// The object the key maps to now, valid while the RCU read lock is held, as for a
    /// [`TaskMap::load`].
    pub(crate) fn get(&self) -> Option<&'r T> {
        if self.entry.is_null() {
            return None;
        }
        // SAFETY: By the type invariant `entry` is the key's live entry; by the map's, its
        // object, unless it is parked (null), lives at least until a grace period after its
        // removal, so while `'r`.
        unsafe { (*self.entry).val.load(Relaxed).as_ref() }
    }

    /// Maps the key to `to` (`None`: unmaps it), which the caller keeps alive while it is
    /// stored; `false` if it mapped it to `to` already. A key with no entry takes one as
    /// [`TaskMap::store`] does with `spare` (only that can fail, leaving the key as it was);
    /// a key with an entry changes it in place. Unmapped, the key keeps its entry, parked
    /// (readers find nothing), so that mapping it again takes no entry: a task moved back to
    /// the root groups and out again costs no allocation. The entry goes when the key is
    /// erased or removed ([`TaskMap::erase`], [`TaskMap::remove`]): the owner's exit. `owner`
    /// is the task the key stands for. Never sleeps.
    pub(crate) fn set(
        self,
        to: Option<&T>,
        owner: &Task,
        spare: Option<&mut Spare<T>>,
    ) -> Result<bool> {
        let to_ptr = to.map(core::ptr::from_ref);
        if self.entry.is_null() {
            let Some(to) = to else {
                return Ok(false);
            };
            self.map.insert(self.w, self.key, owner, to, spare)?;
            return Ok(true);
        }
        // SAFETY: By the type invariant `entry` is live while `w` is borrowed, which it is
        // for as long as `self`.
        let entry = unsafe { &*self.entry };
        let now = entry.val.load(Relaxed);
        if to_ptr.unwrap_or(core::ptr::null()) == now.cast_const() {
            return Ok(false);
        }
        let e = core::ptr::from_ref(entry).cast_mut();
        if now.is_null() {
            self.map.nr_parked.fetch_sub(1, Relaxed);
        } else {
            // SAFETY: `self` borrows the writer; the entry is mapped, so on the list of the
            // object it maps to, which is live while stored (the map's invariant).
            unsafe { unlink_member(e, now) };
        }
        match to_ptr {
            Some(p) => {
                // SAFETY: `self` borrows the writer; the entry, live, is off every list, and
                // `p` is the caller's live object. Readers find `p` only after the release
                // store below, and the list is the writer's alone.
                unsafe { link_member(e, p) };
                // INVARIANT: The caller keeps `to` alive while it is stored; the entry is on
                // its member list.
                entry.val.store(p.cast_mut(), Release);
            }
            None => {
                // INVARIANT: Parked: off every member list, its owner still the key's task.
                entry.val.store(core::ptr::null_mut(), Release);
                self.map.nr_parked.fetch_add(1, Relaxed);
            }
        }
        Ok(true)
    }
}

/// A map from task keys to objects, read without locks under RCU; meant to be a `static`.
///
/// A hash table of entries chained from a power-of-two number of buckets (at most one entry
/// per bucket on average). Readers walk a chain under [`rcu::Guard`]; writers, serialised by
/// their [`Writer`], publish with release stores and give an erased entry back to the pool
/// only after a grace period. An entry is the only memory a new mapping needs, so writers in
/// atomic context take it from a reserve ([`RESERVE`]) instead of allocating; process
/// context refills the reserve and resizes the table ([`TaskMap::refill`]), building a new
/// table and publishing it whole, so that readers never see a chain change under them.
///
/// Entries are non-owning pointers: the caller keeps each stored object alive while it is in
/// the map, and frees a removed one with [`drop_after_gp`].
///
/// # Invariants
///
/// `table` is null before [`TaskMap::init`] has run and from [`TaskMap::destroy`] on (the map
/// holds nothing then); in between it points at a `Table` from `KBox::into_raw`, published
/// with a release store, and every entry reachable from it, or from a table
/// replaced less than a grace period ago, holds a key and points at a live `T`, one
/// removed less than a grace period ago, or nothing (null: the key is parked, and readers find
/// nothing). Every mapped entry of the current table is on the [`Members`] list of its object,
/// a parked one on none, and the `owner` of each is a live task (the contract of
/// [`TaskMap::init`]). Every entry is an object of `entries`, made while `table` is not
/// null. `pool` is a chain of entries
/// that no table holds and no reader can reach; `nr_free` counts it. `retired` is a chain
/// (through `Mapping::sib_next`) of entries that no table holds, which
/// readers may still be on, owned by the writer until it hands them to `call_rcu()`;
/// `nr_retired` counts it.
///
/// [`drop_after_gp`]: crate::rcu_free::drop_after_gp
pub(crate) struct TaskMap<T: 'static> {
    table: AtomicPtr<Table<T>>,
    /// The number of buckets of `table`, for [`TaskMap::wants_refill`] without the writer.
    bits: AtomicUsize,
    /// The entries of the table, mapped or parked; changed by the writer only.
    count: AtomicUsize,
    /// The parked entries of the table; changed by the writer only.
    nr_parked: AtomicUsize,
    pool: AtomicPtr<Mapping<T>>,
    nr_free: AtomicUsize,
    /// Entries unmapped ([`TaskMap::retire`]) since the last [`TaskMap::flush`], chained
    /// through `sib_next`; changed by the writer only.
    retired: AtomicPtr<Mapping<T>>,
    /// The length of `retired`; changed by the writer only.
    nr_retired: AtomicUsize,
    /// The slab cache of the entries, made by [`TaskMap::init`], destroyed by
    /// [`TaskMap::destroy`].
    entries: slab::Cache<Mapping<T>>,
}

// SAFETY: The map hands out `&T` to readers on any thread and stores pointers given by any
// thread, so `T` must be `Send + Sync`; its own state is atomics.
unsafe impl<T: Send + Sync> Send for TaskMap<T> {}
// SAFETY: Shared use loads with RCU and changes only through the one `Writer`, so `&TaskMap`
// may cross threads when the `&T` it hands out may (`T: Sync`) and the objects stored from
// any thread may (`T: Send`).
unsafe impl<T: Send + Sync> Sync for TaskMap<T> {}

impl<T: HasMembers> TaskMap<T> {
    /// A map to be initialised with [`TaskMap::init`].
    pub(crate) const fn uninit() -> Self {
        Self {
            table: AtomicPtr::new(core::ptr::null_mut()),
            bits: AtomicUsize::new(0),
            count: AtomicUsize::new(0),
            nr_parked: AtomicUsize::new(0),
            pool: AtomicPtr::new(core::ptr::null_mut()),
            nr_free: AtomicUsize::new(0),
            retired: AtomicPtr::new(core::ptr::null_mut()),
            nr_retired: AtomicUsize::new(0),
            entries: slab::Cache::uninit(),
        }
    }

    /// Makes the cache of the entries (named `name` in `/proc/slabinfo`), allocates the first
    /// table and the reserve, and returns the map's writer.
    ///
    /// Nothing needs `init` to run first by convention: the methods that use the table take
    /// the writer, which only `init` makes, or ([`TaskMap::load`]) find nothing before it.
    ///
    /// # Safety
    ///
    /// Must be called once, and only for one map of `T`s: the `Writer<T>` it returns must be
    /// the only one, since it is what serialises the changes of a map of `T`s. The writer's
    /// holder must unmap a key before the task it was mapped for (its `owner`) is freed: the
    /// member lists hand the writer the tasks ([`TaskMap::for_each_member`]).
    pub(crate) unsafe fn init(&'static self, name: &'static CStr) -> Result<Writer<T>> {
        self.entries.create(name)?;
        let t = match Table::new(MIN_BITS) {
            Ok(t) => t,
            Err(e) => {
                // SAFETY: Just made, with no object and no other user yet.
                unsafe { self.entries.destroy() };
                return Err(e);
            }
        };
        self.bits.store(MIN_BITS as usize, Relaxed);
        // INVARIANT: The table is a `KBox` with no entry; a reader that loads the pointer
        // before this store finds null (an empty map), one after it this empty table.
        self.table.store(KBox::into_raw(t), Release);
        // The writer is made even without a reserve: forks then allocate, as the reserve's
        // refill will later.
        let _ = self.refill_pool();
        // INVARIANT: Per the function's contract this is the one writer of the one map.
        Ok(Writer { _p: PhantomData })
    }

    /// Frees the table, the entries still mapped and the pool, and destroys the cache of the
    /// entries.
    ///
    /// # Safety
    ///
    /// Must be called once, after the last use of the map, after every grace period callback
    /// of its entries and replaced tables has run ([`barrier`]), and only if
    /// [`TaskMap::init`] succeeded.
    ///
    /// [`barrier`]: crate::rcu_free::barrier
    pub(crate) unsafe fn destroy(&'static self, _w: Writer<T>) {
        let t = self.table.swap(core::ptr::null_mut(), Relaxed);
        if !t.is_null() {
            // SAFETY: By the type invariant `t` came from `KBox::into_raw`; per the function's
            // contract nothing uses it any more.
            let t = unsafe { KBox::from_raw(t) };
            // SAFETY: Per the function's contract nothing reaches the table or its entries any
            // more. They go to the pool, freed below.
            unsafe { Table::free(t) };
        }
        // What [`TaskMap::remove`] retired since the last flush (fewer than `RETIRE_BATCH`):
        // no reader is left to wait for.
        self.nr_retired.store(0, Relaxed);
        let mut e = self.retired.swap(core::ptr::null_mut(), Relaxed);
        while !e.is_null() {
            // SAFETY: By the type invariant retired entries are the writer's, which is here,
            // and per the function's contract no reader is left.
            let next = unsafe { (*e).sib_next.load(Relaxed) };
            // SAFETY: Retired entries are of the cache (type invariant), and the writer's chain
            // held the only reference.
            unsafe { self.entries.free(NonNull::new_unchecked(e)) };
            e = next;
        }
        let mut e = self.pool.swap(core::ptr::null_mut(), Relaxed);
        while !e.is_null() {
            // SAFETY: By the type invariant pool entries are owned by the pool, which nothing
            // uses any more.
            let next = unsafe { (*e).next.load(Relaxed) };
            // SAFETY: Pool entries are of the cache (type invariant) and the pool, unused now,
            // held the only reference.
            unsafe { self.entries.free(NonNull::new_unchecked(e)) };
            e = next;
        }
        // SAFETY: Every entry was in the table, the retired chain or the pool, all freed
        // above; per the function's contract no callback of the map is left to run.
        unsafe { self.entries.destroy() };
    }

    /// The object stored for `key`, valid while `_rcu` is held.
    /// `None` before [`TaskMap::init`] (the map holds nothing yet).
    pub(crate) fn load<'a>(&self, rcu: &'a rcu::Guard, key: usize) -> Option<&'a T> {
        self.slot(rcu, key).flatten()
    }

    /// What `key` has, with one walk of its chain: `None` if no entry, `Some(None)` if a parked
    /// one, else the object, valid while `rcu` is held as for a [`TaskMap::load`]. For a
    /// caller that needs both what the key maps to and whether it has an entry.
    pub(crate) fn slot<'a>(&self, rcu: &'a rcu::Guard, key: usize) -> Option<Option<&'a T>> {
        let p = self.find(rcu, key)?.val.load(Acquire);
        // SAFETY: By the type invariant the object, unless the key is parked (null), lives at
        // least until a grace period after its removal, so for as long as `rcu` is held.
        Some(unsafe { p.as_ref() })
    }

    /// The entries of the map, and how many of them are parked: a snapshot, for statistics.
    pub(crate) fn entries(&self) -> (usize, usize) {
        (self.count.load(Relaxed), self.nr_parked.load(Relaxed))
    }

    /// Whether `key` has an entry, mapped or parked: a key that has none maps to nothing
    /// without the writer's lock, and its task's exit has nothing to undo. Under `rcu`, as
    /// [`TaskMap::load`].
    pub(crate) fn holds(&self, rcu: &rcu::Guard, key: usize) -> bool {
        self.find(rcu, key).is_some()
    }

    /// The entry of `key`, mapped or parked, valid while `_rcu` is held.
    fn find<'a>(&self, _rcu: &'a rcu::Guard, key: usize) -> Option<&'a Mapping<T>> {
        let t = self.table.load(Acquire);
        if t.is_null() {
            // Not initialised yet: nothing is mapped. (After `destroy` nothing calls this, by
            // its contract.)
            return None;
        }
        // SAFETY: `t` is not null, so by the type invariant it is a table that `init` or a
        // resize published with a release store, which the acquire load above pairs with. It
        // stays live while `_rcu` is held: a replaced table is freed only a grace period after
        // its replacement, and `destroy` runs only after the map's last use (its contract).
        let t = unsafe { &*t };
        let mut e = t.bucket(key).load(Acquire);
        while !e.is_null() {
            // SAFETY: By the type invariant an entry reachable under RCU stays allocated (and
            // keeps its key) until a grace period after it became unreachable.
            let entry = unsafe { &*e };
            if entry.key.load(Relaxed) == key {
                return Some(entry);
            }
            e = entry.next.load(Acquire);
        }
        None
    }

    /// Calls `f` with the task of every key that maps to `obj` (the tasks of a css_set), in no
    /// order. The shared borrow of the writer keeps every list and mapping as it is meanwhile.
    /// Never sleeps; O(the keys mapped to `obj`).
    pub(crate) fn for_each_member(&self, _w: &Writer<T>, obj: &T, mut f: impl FnMut(&Task)) {
        // SAFETY: `obj` is live for the call.
        let mut e = unsafe { members_of(core::ptr::from_ref(obj)) }
            .first
            .load(Relaxed);
        while !e.is_null() {
            // SAFETY: By the invariant of `Members` the entries of the list are mapped in the
            // current table, live while the writer is borrowed.
            let entry = unsafe { &*e };
            // SAFETY: By the map's invariant the owner of a mapped entry is a live task;
            // `Task` is a transparent wrapper of `task_struct`.
            let task = unsafe { &*entry.owner.load(Relaxed).cast::<Task>() };
            f(task);
            e = entry.sib_next.load(Relaxed);
        }
    }

    /// The table, for the writer.
    fn table_mut<'a>(&self, _w: &'a mut Writer<T>) -> &'a Table<T> {
        // SAFETY: A `Writer` exists only from `init`'s return (its one constructor, which
        // published the table first) until it is consumed by `destroy`, so by the type
        // invariant the table is live and not null; only the writer replaces it, and the borrow
        // of the writer outlives this one.
        unsafe { &*self.table.load(Relaxed) }
    }

    /// Maps `key` to `obj`, which the caller keeps alive while it is stored. Never sleeps. A
    /// new mapping takes an entry from `spare`, else from the reserve, else allocates one
    /// with `GFP_ATOMIC`; only that can fail (`ENOMEM`, leaving the map as it was).
    pub(crate) fn store(
        &'static self,
        w: &mut Writer<T>,
        key: usize,
        owner: &Task,
        obj: &T,
        spare: Option<&mut Spare<T>>,
    ) -> Result<Source> {
        let rcu = rcu::read_lock();
        let entry = self.entry(w, &rcu, key);
        if entry.entry.is_null() {
            let w = entry.w;
            return self.insert(w, key, owner, obj, spare);
        }
        entry.set(Some(obj), owner, None)?;
        Ok(Source::Existing)
    }

    /// Maps `key`, which is unmapped, to `obj`: the new entry comes from `spare`, else from
    /// the reserve, else from a `GFP_ATOMIC` allocation, which alone can fail; with a `spare`
    /// made by [`TaskMap::spare_within`], from the reserve until it is low and never from an
    /// allocation (`ENOMEM`, counted in the spare).
    fn insert(
        &'static self,
        w: &mut Writer<T>,
        key: usize,
        owner: &Task,
        obj: &T,
        mut spare: Option<&mut Spare<T>>,
    ) -> Result<Source> {
        let p = core::ptr::from_ref(obj).cast_mut();
        let within = spare.as_ref().is_some_and(|s| s.within);
        let (e, src) = if let Some(e) = spare.as_deref_mut().and_then(Spare::take) {
            (e, Source::Spare)
        } else if let Some(e) = (!within || !self.reserve_low())
            .then(|| self.pop(w))
            .flatten()
        {
            (e, Source::Reserve)
        } else if let Some(s) = spare.filter(|s| s.within) {
            s.short += 1;
            return Err(ENOMEM);
        } else {
            (Mapping::alloc_atomic(&self.entries)?, Source::Allocated)
        };
        // The writer's borrow was released by `pop`: look the table up again (unchanged).
        let b = self.table_mut(w).bucket(key);
        // SAFETY: `e` is a free entry the writer owns: no reader can reach it until the
        // release store below publishes it.
        let entry = unsafe { &*e };
        entry.key.store(key, Relaxed);
        entry.val.store(p, Relaxed);
        entry.owner.store(owner.as_ptr(), Relaxed);
        entry.next.store(b.load(Relaxed), Relaxed);
        // SAFETY: The caller is the writer; `e` is a free entry, on no list, and `p` the
        // caller's live object.
        unsafe { link_member(e, p) };
        // INVARIANT: The entry holds its key and the caller's live object before it is
        // reachable, and is on the object's member list.
        b.store(e, Release);
        self.count.fetch_add(1, Relaxed);
        Ok(src)
    }

    /// Unpublishes the entry of `key`, if any, mapped or parked; its entry goes back to the pool
    /// after a grace period. Never sleeps or allocates.
    pub(crate) fn erase(&'static self, w: &mut Writer<T>, key: usize) {
        if let (link, Some(entry)) = self.lookup(w, key) {
            self.retire(link, entry);
            self.flush(w);
        }
    }

    /// Unpublishes the entry of `key` and returns the object it held (which the caller keeps alive
    /// for `_rcu`, as for a [`TaskMap::load`]), with one walk of its chain; `None` if `key` is
    /// unmapped (a parked entry goes too). The entry is retired, and goes back to the pool a grace
    /// period after the flush of its batch: [`RETIRE_BATCH`] entries removed, or the writer's next
    /// [`TaskMap::flush`], whichever comes first. Never sleeps or allocates.
    pub(crate) fn remove<'a>(
        &'static self,
        w: &mut Writer<T>,
        _rcu: &'a rcu::Guard,
        key: usize,
    ) -> Option<&'a T> {
        let obj: Option<&'a T> = {
            let (link, entry) = self.lookup(w, key);
            let entry = entry?;
            // SAFETY: By the map's invariant the object, unless the key is parked (null),
            // lives at least until a grace period after its removal, so while `_rcu` is held.
            let obj = unsafe { entry.val.load(Relaxed).as_ref() };
            self.retire(link, entry);
            obj
        };
        if self.nr_retired.load(Relaxed) >= RETIRE_BATCH {
            self.flush(w);
        }
        obj
    }

    /// Unlinks `entry`, which `link` holds, and adds it to the batch that [`TaskMap::flush`]
    /// gives back to the pool after a grace period. The caller is the writer.
    fn retire(&self, link: &AtomicPtr<Mapping<T>>, entry: &Mapping<T>) {
        let obj = entry.val.load(Relaxed);
        if obj.is_null() {
            self.nr_parked.fetch_sub(1, Relaxed);
        } else {
            // SAFETY: The caller is the writer; the entry is mapped, so on the list of its
            // object, live while stored (the map's invariant).
            unsafe { unlink_member(entry, obj) };
        }
        // Readers on the entry still find the rest of the chain through it.
        link.store(entry.next.load(Relaxed), Release);
        self.count.fetch_sub(1, Relaxed);
        self.nr_retired.fetch_add(1, Relaxed);
        // Off its member list now: `sib_next` chains the batch.
        entry.sib_next.store(self.retired.load(Relaxed), Relaxed);
        self.retired
            .store(core::ptr::from_ref(entry).cast_mut(), Relaxed);
    }

    /// The link that holds the entry of `key` (its bucket, or the `next` of the entry before
    /// it in the chain) and the entry; the chain's last link and `None` if `key` is unmapped.
    fn lookup<'a>(
        &self,
        w: &'a mut Writer<T>,
        key: usize,
    ) -> (&'a AtomicPtr<Mapping<T>>, Option<&'a Mapping<T>>) {
        let mut link = self.table_mut(w).bucket(key);
        loop {
            let e = link.load(Relaxed);
            if e.is_null() {
                return (link, None);
            }
            // SAFETY: Entries reachable from the table are live, and only the writer, borrowed
            // for as long as the result, unlinks them.
            let entry = unsafe { &*e };
            if entry.key.load(Relaxed) == key {
                return (link, Some(entry));
            }
            link = &entry.next;
        }
    }

    /// The mapping of `key`, looked up once to be read and changed: a move reads a task's
    /// css_set, picks its destination from it and changes it with one walk of its chain.
    pub(crate) fn entry<'w, 'r>(
        &'static self,
        w: &'w mut Writer<T>,
        _rcu: &'r rcu::Guard,
        key: usize,
    ) -> MapEntry<'w, 'r, T> {
        let (_, entry) = self.lookup(w, key);
        let entry = entry.map_or(core::ptr::null(), core::ptr::from_ref);
        // INVARIANT: Found by the writer, which the value borrows for its lifetime.
        MapEntry {
            map: self,
            w,
            key,
            entry,
            _rcu: PhantomData,
        }
    }

    /// Gives the entries unmapped since the last flush back to the pool after one grace period
    /// for all of them (one `call_rcu()`, not one per entry). [`TaskMap::erase`] flushes at
    /// once, a move after its last [`MapEntry::set`], [`TaskMap::remove`] once its batch is
    /// full.
    pub(crate) fn flush(&'static self, _w: &mut Writer<T>) {
        self.nr_retired.store(0, Relaxed);
        let first = self.retired.swap(core::ptr::null_mut(), Relaxed);
        if first.is_null() {
            return;
        }
        // SAFETY: `first` heads the batch of entries the writer unlinked, which it owns until
        // the callback, run after every reader that could reach them; `call_rcu` may own its
        // head meanwhile.
        unsafe { bindings::call_rcu((*first).rcu.get(), Some(batch_rcu_callback::<T>)) };
    }
}
