// SPDX-License-Identifier: GPL-2.0

//! RCU-published pointers: the task map read without locks, and frees after a grace period.
//!
//! The kernel crate's `Arc` frees on the last drop and its `XArray` allocates its nodes on a
//! store, which a writer in atomic context cannot reserve for a key it does not know yet, so
//! this abstraction file provides the two pieces the css_set design needs:
//!
//! - [`TaskMap`]: a hash table from a task key to a shared object, whose entries readers load
//!   under [`rcu::Guard`] while writers, serialised by the map's [`Writer`], store and erase
//!   them, taking each new entry from a reserve that process context refills;
//! - [`drop_after_gp`]: drops an `Arc` only after an RCU grace period (`call_rcu()`), so that a
//!   reader that loaded a pointer before it was unpublished can still use it.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h)

use crate::compat::{
    prelude::*,
    rcu, //
};
use core::{
    marker::PhantomData,
    sync::atomic::{
        AtomicPtr,
        AtomicUsize,
        Ordering::{
            AcqRel,
            Acquire,
            Relaxed,
            Release, //
        }, //
    },
};
use kernel::{
    bindings,
    sync::Arc,
    task::Task,
    types::Opaque,
    workqueue::{
        Queue,
        Work,
        WorkItem, //
    }, //
};

/// An `rcu_head` embedded in an object that [`drop_after_gp`] frees.
#[repr(transparent)]
pub(crate) struct RcuHead {
    /// Used through its address only (by `call_rcu()`).
    _head: Opaque<bindings::callback_head>,
}

// SAFETY: The head is only handed to `call_rcu()`, which owns it until the callback runs.
unsafe impl Send for RcuHead {}
// SAFETY: No shared access to the head exists outside `call_rcu()`.
unsafe impl Sync for RcuHead {}

impl RcuHead {
    /// A head not yet queued.
    pub(crate) fn new() -> Self {
        Self {
            _head: Opaque::uninit(),
        }
    }
}

/// An object with an [`RcuHead`] at a fixed offset.
///
/// # Safety
///
/// `OFFSET` must be the byte offset of an [`RcuHead`] field in `Self`.
///
/// Implement it with [`impl_has_rcu_head!`], which checks the field's type.
pub(crate) unsafe trait HasRcuHead: Send + Sync + Sized + 'static {
    /// The offset of the head.
    const OFFSET: usize;
}

/// Implements [`HasRcuHead`] for a type through its [`RcuHead`] field:
/// `impl_has_rcu_head! { impl HasRcuHead for CssSet { self.rcu } }`.
///
/// The implementation does not compile unless the field is an [`RcuHead`], so users need no
/// `unsafe` of their own.
macro_rules! impl_has_rcu_head {
    (impl HasRcuHead for $t:ty { self.$field:ident }) => {
        // SAFETY: `OFFSET` is the offset of `$field`, which `field_type` proves an `RcuHead`.
        unsafe impl $crate::rcu::HasRcuHead for $t {
            const OFFSET: usize = {
                /// Compiles only if the field is an `RcuHead`.
                fn field_type(obj: &$t) -> &$crate::rcu::RcuHead {
                    &obj.$field
                }
                let _: fn(&$t) -> &$crate::rcu::RcuHead = field_type;
                ::core::mem::offset_of!($t, $field)
            };
        }
    };
}
pub(crate) use impl_has_rcu_head;

/// The head of the list of the [`TaskMap`] entries that map to one object, embedded in it: the
/// tasks of a css_set, as v1's `css_set->tasks`. Only the map's [`Writer`] changes or reads it
/// ([`TaskMap::for_each_member`]), so whatever lock protects the writer protects the list.
///
/// # Invariants
///
/// While the object is live, `first` is null or the first of a chain (through
/// `Entry::sib_next`, with `Entry::sib_prev` pointing back) of the mapped entries of the map's
/// current table whose object is this one, and of no other entry; an object no entry maps to
/// has an empty list.
pub(crate) struct Members<T: 'static> {
    first: AtomicPtr<Entry<T>>,
}

impl<T: 'static> Members<T> {
    /// An empty list, for an object not stored yet.
    pub(crate) const fn new() -> Self {
        // INVARIANT: No entry maps to an object before it is stored.
        Self {
            first: AtomicPtr::new(core::ptr::null_mut()),
        }
    }
}

/// An object with a [`Members`] list at a fixed offset: what a [`TaskMap`] maps to.
///
/// # Safety
///
/// `OFFSET` must be the byte offset of a `Members<Self>` field in `Self`.
///
/// Implement it with [`impl_has_members!`], which checks the field's type.
pub(crate) unsafe trait HasMembers: Sized + 'static {
    /// The offset of the list.
    const OFFSET: usize;

    /// The one map of `Self`s, whose pool takes its entries back after their grace period.
    fn map() -> &'static TaskMap<Self>;
}

/// Implements [`HasMembers`] for a type through its [`Members`] field and its one map:
/// `impl_has_members! { impl HasMembers for CssSet { self.members } in TASKS }`.
///
/// The implementation does not compile unless the field is a `Members<Self>`, so users need no
/// `unsafe` of their own.
macro_rules! impl_has_members {
    (impl HasMembers for $t:ty { self.$field:ident } in $map:path) => {
        // SAFETY: `OFFSET` is the offset of `$field`, which `field_type` proves a
        // `Members<$t>`.
        unsafe impl $crate::rcu::HasMembers for $t {
            const OFFSET: usize = {
                /// Compiles only if the field is a `Members<$t>`.
                fn field_type(obj: &$t) -> &$crate::rcu::Members<$t> {
                    &obj.$field
                }
                let _: fn(&$t) -> &$crate::rcu::Members<$t> = field_type;
                ::core::mem::offset_of!($t, $field)
            };

            fn map() -> &'static $crate::rcu::TaskMap<$t> {
                &$map
            }
        }
    };
}
pub(crate) use impl_has_members;

/// The member list of the object at `obj`.
///
/// # Safety
///
/// `obj` must point at a live `T`, and the returned reference must not outlive it.
unsafe fn members_of<'a, T: HasMembers>(obj: *const T) -> &'a Members<T> {
    // SAFETY: Per `HasMembers` the list is at `T::OFFSET` in the live object (the contract).
    unsafe { &*obj.cast::<u8>().add(T::OFFSET).cast::<Members<T>>() }
}

/// Puts `e` at the head of the member list of `obj`, which it maps to now.
///
/// # Safety
///
/// The caller is the map's writer; `e` is a live entry of the current table on no member
/// list, and `obj` is a live object.
unsafe fn link_member<T: HasMembers>(e: *mut Entry<T>, obj: *const T) {
    // SAFETY: `obj` is live (the function's contract).
    let m = unsafe { members_of(obj) };
    let first = m.first.load(Relaxed);
    // SAFETY: `e` is live and the writer's to change (the contract); `first`, if not null,
    // is a live entry of the list (the invariant of `Members`).
    unsafe {
        (*e).sib_prev.store(core::ptr::null_mut(), Relaxed);
        (*e).sib_next.store(first, Relaxed);
        if !first.is_null() {
            (*first).sib_prev.store(e, Relaxed);
        }
    }
    // INVARIANT: `e` maps to `obj` and heads its list, with the rest behind it.
    m.first.store(e, Relaxed);
}

/// Takes `e` off the member list of `obj`, which it maps to.
///
/// # Safety
///
/// The caller is the map's writer; `e` is a live entry on the member list of `obj`, a live
/// object.
unsafe fn unlink_member<T: HasMembers>(e: *const Entry<T>, obj: *const T) {
    // SAFETY: `e` is live (the function's contract).
    let (prev, next) = unsafe { ((*e).sib_prev.load(Relaxed), (*e).sib_next.load(Relaxed)) };
    // SAFETY: `prev` and `next`, if not null, are live entries of the same list (the
    // invariant of `Members`), and `obj` is live (the contract).
    unsafe {
        if !next.is_null() {
            (*next).sib_prev.store(prev, Relaxed);
        }
        // INVARIANT: The neighbours of `e` now point at each other: `e` is off the list.
        if prev.is_null() {
            members_of(obj).first.store(next, Relaxed);
        } else {
            (*prev).sib_next.store(next, Relaxed);
        }
    }
}

/// Puts `new` in the place of `old` on the member list of `obj`, which both map to: a resize
/// copies the entries of the old table.
///
/// # Safety
///
/// The caller is the map's writer; `old` is a live entry on the member list of `obj`, a live
/// object, and `new` a live entry on no list.
unsafe fn replace_member<T: HasMembers>(old: *const Entry<T>, new: *mut Entry<T>, obj: *const T) {
    // SAFETY: `old` is live (the function's contract).
    let (prev, next) = unsafe { ((*old).sib_prev.load(Relaxed), (*old).sib_next.load(Relaxed)) };
    // SAFETY: `new` is live and the writer's; `prev` and `next`, if not null, are live
    // entries of the list (the invariant of `Members`); `obj` is live (the contract).
    unsafe {
        (*new).sib_prev.store(prev, Relaxed);
        (*new).sib_next.store(next, Relaxed);
        if !next.is_null() {
            (*next).sib_prev.store(new, Relaxed);
        }
        // INVARIANT: `new` has the neighbours `old` had, which point at it: `old` is off.
        if prev.is_null() {
            members_of(obj).first.store(new, Relaxed);
        } else {
            (*prev).sib_next.store(new, Relaxed);
        }
    }
}

/// The `call_rcu()` callback of [`drop_after_gp`].
///
/// # Safety
///
/// `head` must be the head of a `T` whose `Arc` reference was leaked by [`drop_after_gp`].
unsafe extern "C" fn rcu_drop_callback<T: HasRcuHead>(head: *mut bindings::callback_head) {
    // SAFETY: Per the contract `head` is at `T::OFFSET` in a `T` that `Arc::into_raw` gave.
    let ptr = unsafe { head.cast::<u8>().sub(T::OFFSET).cast::<T>() };
    // SAFETY: The reference leaked by `drop_after_gp` is reclaimed exactly once, here.
    drop(unsafe { Arc::from_raw(ptr) });
}

/// Drops `obj` after an RCU grace period. `obj` must be unpublished already: no new reader can
/// find it, and readers that did finish before it is dropped. Any context.
pub(crate) fn drop_after_gp<T: HasRcuHead>(obj: Arc<T>) {
    let ptr = Arc::into_raw(obj);
    // SAFETY: `ptr` points at a live `T`; by `HasRcuHead` its head is at `T::OFFSET`. The head
    // belongs to this one deferred drop: the object is unpublished, so it is queued once.
    unsafe {
        let head = ptr
            .cast::<u8>()
            .add(T::OFFSET)
            .cast_mut()
            .cast::<bindings::callback_head>();
        bindings::call_rcu(head, Some(rcu_drop_callback::<T>));
    }
}

/// Waits for every [`drop_after_gp`] queued so far to finish (`rcu_barrier()`); before the
/// module's code goes away.
pub(crate) fn barrier() {
    // SAFETY: `rcu_barrier` only waits.
    unsafe { bindings::rcu_barrier() };
}

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

/// One mapping of a [`TaskMap`]: in one bucket's chain while mapped, in the map's pool while
/// free, and in neither for the grace period between. While mapped it is also on the member
/// list of its object ([`Members`]), which only the writer reads.
struct Entry<T: 'static> {
    /// The next entry of the chain or of the pool.
    next: AtomicPtr<Entry<T>>,
    /// The key; changed only while no reader can reach the entry (in the pool).
    key: AtomicUsize,
    /// The object.
    val: AtomicPtr<T>,
    /// For the grace period before the entry goes back to its map's pool (`call_rcu()`).
    rcu: Opaque<bindings::callback_head>,
    /// The task the key stands for, while mapped; read by the writer only.
    owner: AtomicPtr<bindings::task_struct>,
    /// The entry before this one on its object's member list (null: the first), while
    /// mapped; the writer's only.
    sib_prev: AtomicPtr<Entry<T>>,
    /// While mapped, the entry after this one on its object's member list (null: the last),
    /// the writer's only; once retired ([`TaskMap::retire`]), off that list, the next entry
    /// retired in the same batch (`next` stays as it was for the readers still on the entry).
    /// Eight words in all: a task in a group costs one 64-byte slab object.
    sib_next: AtomicPtr<Entry<T>>,
}

impl<T: 'static> Entry<T> {
    /// A free entry, allocated with `flags`.
    fn alloc(flags: kernel::alloc::Flags) -> Result<*mut Self> {
        let e = KBox::new(
            Entry {
                next: AtomicPtr::new(core::ptr::null_mut()),
                key: AtomicUsize::new(0),
                val: AtomicPtr::new(core::ptr::null_mut()),
                rcu: Opaque::uninit(),
                owner: AtomicPtr::new(core::ptr::null_mut()),
                sib_prev: AtomicPtr::new(core::ptr::null_mut()),
                sib_next: AtomicPtr::new(core::ptr::null_mut()),
            },
            flags,
        )?;
        Ok(KBox::into_raw(e))
    }
}

/// The `call_rcu()` callback of a batch of retired entries ([`TaskMap::flush`]), erased or
/// unmapped by a move: gives each back to its map's pool.
///
/// # Safety
///
/// `head` must be the `rcu` field of the first entry of a batch: entries from `KBox::into_raw`
/// chained through `sib_next`, that no chain holds any more and that no reader can reach (a
/// grace period has passed since their removal).
unsafe extern "C" fn batch_rcu_callback<T: HasMembers>(head: *mut bindings::callback_head) {
    let off = core::mem::offset_of!(Entry<T>, rcu);
    // SAFETY: Per the function's contract `head` is at `off` in an `Entry<T>`.
    let mut e = unsafe { head.cast::<u8>().sub(off).cast::<Entry<T>>() };
    while !e.is_null() {
        // SAFETY: `e` is an entry of the batch, live and owned by this callback (contract).
        let next = unsafe { (*e).sib_next.load(Relaxed) };
        // SAFETY: Per the contract the entry is unreachable and owned by this callback.
        unsafe { T::map().recycle(e) };
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
unsafe extern "C" fn table_rcu_callback<T: HasMembers>(head: *mut bindings::callback_head) {
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
struct Table<T: 'static> {
    /// `usize::BITS` minus the log2 of the number of buckets: a hash's top bits pick one.
    shift: u32,
    /// The chains' first entries.
    buckets: KVVec<AtomicPtr<Entry<T>>>,
    /// For the grace period between its replacement and its free ([`table_rcu_callback`]).
    rcu: Opaque<bindings::callback_head>,
}

impl<T: HasMembers> Table<T> {
    /// A table of `1 << bits` empty buckets, allocated with `GFP_KERNEL`.
    fn new(bits: u32) -> Result<KBox<Self>> {
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
    /// from `KBox::into_raw` that nothing else holds.
    unsafe fn free(t: KBox<Self>) {
        for b in t.buckets.iter() {
            let mut e = b.load(Relaxed);
            while !e.is_null() {
                // SAFETY: `e` is an entry of `t`, which owns it (the function's contract).
                let next = unsafe { (*e).next.load(Relaxed) };
                // SAFETY: `e`, from `KBox::into_raw`, is unreachable and held by `t` alone
                // (the function's contract); `t` is not used after this loop.
                unsafe { T::map().recycle(e) };
                e = next;
            }
        }
    }

    /// The bucket of `key` (a multiplicative hash: the keys of neighbouring tasks spread).
    fn bucket(&self, key: usize) -> &AtomicPtr<Entry<T>> {
        let h = key.wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as usize) >> self.shift;
        &self.buckets[h]
    }
}

/// The buckets a map of `count` entries wants, as a power of two: at most one entry per
/// bucket on average after growing, at least one per eight before shrinking a table of more
/// than `1 << SHRINK_MIN_BITS` buckets. `None` if `bits` fits.
fn wanted_bits(bits: u32, count: usize) -> Option<u32> {
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
    head: *mut Entry<T>,
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
    fn take(&mut self) -> Option<*mut Entry<T>> {
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
        while let Some(e) = self.take() {
            // SAFETY: By the type invariant the entry is owned here and no chain holds it.
            unsafe { self.map.recycle(e) };
        }
    }
}

/// The mapping of one key of a [`TaskMap`], found by its writer ([`TaskMap::entry`]).
///
/// # Invariants
///
/// `link` is the link that holds `entry` (the key's bucket or the `next` of the entry before
/// it), or the chain's last link if `entry` is null (the key is unmapped), in the table of
/// `map`; `entry`, if not null, is the key's entry. Both stay valid while `w` is borrowed:
/// only the writer unlinks entries or replaces the table.
pub(crate) struct MapEntry<'w, 'r, T: 'static> {
    map: &'static TaskMap<T>,
    w: &'w mut Writer<T>,
    key: usize,
    link: *const AtomicPtr<Entry<T>>,
    entry: *const Entry<T>,
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
        // object lives at least until a grace period after its removal, so while `'r`.
        Some(unsafe { &*(*self.entry).val.load(Relaxed) })
    }

    /// Maps the key to `to` (`None`: unmaps it), which the caller keeps alive while it is
    /// stored; `false` if it mapped it to `to` already. A new mapping takes its entry as
    /// [`TaskMap::store`] does with `spare` (only that can fail, leaving the key as it was);
    /// an unmapped entry is retired, and goes back to the pool a grace period after the
    /// writer's next [`TaskMap::flush`]. `owner` is the task the key stands for. Never sleeps.
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
        // SAFETY: By the type invariant `entry` and `link` are live while `w` is borrowed,
        // which it is for as long as `self`.
        let (link, entry) = unsafe { (&*self.link, &*self.entry) };
        if Some(entry.val.load(Relaxed).cast_const()) == to_ptr {
            return Ok(false);
        }
        match to_ptr {
            Some(p) => {
                let e = core::ptr::from_ref(entry);
                // SAFETY: `self` borrows the writer; the entry is mapped, so on the list of
                // the object it maps to, which is live while stored (the map's invariant).
                unsafe { unlink_member(e, entry.val.load(Relaxed)) };
                // INVARIANT: The caller keeps `to` alive while it is stored.
                entry.val.store(p.cast_mut(), Release);
                // SAFETY: `self` borrows the writer; the entry, live, is off every list, and
                // `p` is the caller's live object.
                unsafe { link_member(e.cast_mut(), p) };
            }
            None => self.map.retire(link, entry),
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
/// replaced less than a grace period ago, holds a key and points at a live `T` or one
/// removed less than a grace period ago. Every entry of the current table is on the
/// [`Members`] list of its object, and its `owner` is a live task (the contract of
/// [`TaskMap::init`]). `pool` is a chain of entries from `KBox::into_raw`
/// that no table holds and no reader can reach; `nr_free` counts it. `retired` is a chain
/// (through `Entry::sib_next`) of entries from `KBox::into_raw` that no table holds, which
/// readers may still be on, owned by the writer until it hands them to `call_rcu()`;
/// `nr_retired` counts it.
pub(crate) struct TaskMap<T: 'static> {
    table: AtomicPtr<Table<T>>,
    /// The number of buckets of `table`, for [`TaskMap::wants_refill`] without the writer.
    bits: AtomicUsize,
    /// The mappings, changed by the writer only.
    count: AtomicUsize,
    pool: AtomicPtr<Entry<T>>,
    nr_free: AtomicUsize,
    /// Entries unmapped ([`TaskMap::retire`]) since the last [`TaskMap::flush`], chained
    /// through `sib_next`; changed by the writer only.
    retired: AtomicPtr<Entry<T>>,
    /// The length of `retired`; changed by the writer only.
    nr_retired: AtomicUsize,
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
            pool: AtomicPtr::new(core::ptr::null_mut()),
            nr_free: AtomicUsize::new(0),
            retired: AtomicPtr::new(core::ptr::null_mut()),
            nr_retired: AtomicUsize::new(0),
        }
    }

    /// Allocates the first table and the reserve, and returns the map's writer.
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
    pub(crate) unsafe fn init(&'static self) -> Result<Writer<T>> {
        let t = Table::new(MIN_BITS)?;
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

    /// Frees the table, the entries still mapped and the pool.
    ///
    /// # Safety
    ///
    /// Must be called once, after the last use of the map, after every grace period callback
    /// of its entries and replaced tables has run ([`barrier`]), and only if
    /// [`TaskMap::init`] succeeded.
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
            // SAFETY: Retired entries come from `KBox::into_raw` (type invariant), and the
            // writer's chain held the only reference.
            drop(unsafe { KBox::from_raw(e) });
            e = next;
        }
        let mut e = self.pool.swap(core::ptr::null_mut(), Relaxed);
        while !e.is_null() {
            // SAFETY: By the type invariant pool entries are owned by the pool, which nothing
            // uses any more.
            let next = unsafe { (*e).next.load(Relaxed) };
            // SAFETY: Pool entries come from `KBox::into_raw` (type invariant) and the pool,
            // unused now, held the only reference.
            drop(unsafe { KBox::from_raw(e) });
            e = next;
        }
    }

    /// The object stored for `key`, valid while `_rcu` is held.
    /// `None` before [`TaskMap::init`] (the map holds nothing yet).
    pub(crate) fn load<'a>(&self, _rcu: &'a rcu::Guard, key: usize) -> Option<&'a T> {
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
                let p = entry.val.load(Acquire);
                // SAFETY: By the type invariant the object lives at least until a grace
                // period after its removal, so for as long as `_rcu` is held.
                return Some(unsafe { &*p });
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
            (Entry::alloc(GFP_ATOMIC)?, Source::Allocated)
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

    /// Unpublishes the entry of `key`, if any; its entry goes back to the pool after a grace
    /// period. Never sleeps or allocates.
    pub(crate) fn erase(&'static self, w: &mut Writer<T>, key: usize) {
        if let (link, Some(entry)) = self.lookup(w, key) {
            self.retire(link, entry);
            self.flush(w);
        }
    }

    /// Unpublishes the entry of `key` and returns the object it held (which the caller keeps
    /// alive for `_rcu`, as for a [`TaskMap::load`]), with one walk of its chain; `None` if
    /// `key` is unmapped. The entry is retired, and goes back to the pool a grace period after
    /// the flush of its batch: [`RETIRE_BATCH`] entries removed, or the writer's next
    /// [`TaskMap::flush`], whichever comes first. Never sleeps or allocates.
    pub(crate) fn remove<'a>(
        &'static self,
        w: &mut Writer<T>,
        _rcu: &'a rcu::Guard,
        key: usize,
    ) -> Option<&'a T> {
        let obj: &'a T = {
            let (link, entry) = self.lookup(w, key);
            let entry = entry?;
            // SAFETY: By the map's invariant the object lives at least until a grace period
            // after its removal, so while `_rcu` is held.
            let obj = unsafe { &*entry.val.load(Relaxed) };
            self.retire(link, entry);
            obj
        };
        if self.nr_retired.load(Relaxed) >= RETIRE_BATCH {
            self.flush(w);
        }
        Some(obj)
    }

    /// Unlinks `entry`, which `link` holds, and adds it to the batch that [`TaskMap::flush`]
    /// gives back to the pool after a grace period. The caller is the writer.
    fn retire(&self, link: &AtomicPtr<Entry<T>>, entry: &Entry<T>) {
        // SAFETY: The caller is the writer; the entry is mapped, so on the list of its
        // object, live while stored (the map's invariant).
        unsafe { unlink_member(entry, entry.val.load(Relaxed)) };
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
    ) -> (&'a AtomicPtr<Entry<T>>, Option<&'a Entry<T>>) {
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
        let (link, entry) = self.lookup(w, key);
        let link = core::ptr::from_ref(link);
        let entry = entry.map_or(core::ptr::null(), core::ptr::from_ref);
        // INVARIANT: Found by the writer, which the value borrows for its lifetime.
        MapEntry {
            map: self,
            w,
            key,
            link,
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

    /// Takes an entry from the pool. The writer is the pool's only consumer, so the entry at
    /// its head cannot be taken by anyone else between the load and the exchange.
    fn pop(&self, _w: &mut Writer<T>) -> Option<*mut Entry<T>> {
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
        for _ in 0..n {
            let e = Entry::alloc(GFP_KERNEL)?;
            // SAFETY: `e` was just allocated and is owned here.
            unsafe { (*e).next.store(s.head, Relaxed) };
            s.head = e;
            s.len += 1;
        }
        Ok(s)
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
    fn refill_pool(&'static self) -> Result {
        while self.nr_free.load(Relaxed) < RESERVE {
            let e = Entry::alloc(GFP_KERNEL)?;
            // SAFETY: `e` was just allocated and is owned here.
            unsafe { self.recycle(e) };
        }
        Ok(())
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

    /// Replaces the table with `new`, holding a copy of every mapping in entries from
    /// `spare`. Returns the old table (its entries still linked) for the caller to free after
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
                // SAFETY: The writer is exclusive; `entry` is on the list of its object, live
                // while stored, and the copy, free, on none. Readers of the lists hold the
                // writer, so none sees the lists between these replacements.
                unsafe { replace_member(e, n, entry.val.load(Relaxed)) };
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
    /// `e` must be an entry of this map from `KBox::into_raw` that the caller owns: in no
    /// chain, and unreachable to readers.
    unsafe fn recycle(&self, e: *mut Entry<T>) {
        if self.nr_free.load(Relaxed) >= POOL_MAX {
            // SAFETY: Per the function's contract the caller owns the entry.
            drop(unsafe { KBox::from_raw(e) });
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
#[kunit_tests(tcgroup_rcu)]
mod tests {
    use super::*;

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

    /// The object `key` maps to, by its number, as its entry reads it.
    fn got(w: &mut Writer<Obj>, key: usize) -> Option<u32> {
        MAP.entry(w, &rcu::read_lock(), key).get().map(|o| o.n)
    }

    #[test]
    fn entry_changes_once_and_flush_recycles() -> Result {
        // A reader that comes before `init` finds nothing.
        assert_eq!(loaded(7), None);
        // SAFETY: `MAP` is the only map of `Obj`s and is initialised once, here.
        let mut w = unsafe { MAP.init() }?;
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
        // Unmapped: retired, back in the reserve a grace period after the flush.
        assert!(set(&mut w, 7, None, None)?);
        assert!(set(&mut w, 8, None, None)?);
        assert!(!set(&mut w, 8, None, None)?);
        assert_eq!(loaded(7), None);
        assert_eq!(loaded(8), None);
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
            assert!(set(w, key, None, None)?);
        }
        MAP.flush(w);
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
        // Every other key on another object, to see that the resize keeps both lists.
        let d2 = obj(6);
        for key in (0..n).step_by(2) {
            assert!(MAP.store(w, 5000 + key, me(), &d2, None)? == Source::Existing);
        }
        assert_eq!((members(w, &d), members(w, &d2)), (n / 2, n - n / 2));
        assert!(MAP.wants_refill());
        MAP.refill(|f| f(&mut *w))?;
        assert!(!MAP.wants_refill());
        assert_eq!(MAP.bits.load(Relaxed), MIN_BITS as usize + 1);
        for key in 0..n {
            assert_eq!(loaded(5000 + key), Some(if key % 2 == 0 { 6 } else { 4 }));
        }
        // The copies took the places of the old entries on the lists, which still unlink.
        assert_eq!((members(w, &d), members(w, &d2)), (n / 2, n - n / 2));
        assert!(set(w, 5001, Some(&d2), None)?);
        assert_eq!(
            (members(w, &d), members(w, &d2)),
            (n / 2 - 1, n - n / 2 + 1)
        );
        // The old table's entries, after the grace period: the pool is full.
        barrier();
        assert_eq!(MAP.reserved(), POOL_MAX);
        for key in 0..n {
            assert!(set(w, 5000 + key, None, None)?);
        }
        assert_eq!((members(w, &d), members(w, &d2)), (0, 0));
        MAP.flush(w);
        barrier();
        Ok(())
    }
}
