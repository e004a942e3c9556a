// SPDX-License-Identifier: GPL-2.0

//! The member lists of a [`TaskMap`]: the entries that map to one object.

use super::{
    Mapping,
    TaskMap, //
};
use core::sync::atomic::{
    AtomicPtr,
    Ordering::Relaxed, //
};

/// The head of the list of the [`TaskMap`] entries that map to one object, embedded in it: the
/// tasks of a css_set, as v1's `css_set->tasks`. Only the map's [`Writer`] changes or reads it
/// ([`TaskMap::for_each_member`]), so whatever lock protects the writer protects the list.
///
/// # Invariants
///
/// While the object is live, `first` is null or the first of a chain (through
/// `Mapping::sib_next`, with `Mapping::sib_prev` pointing back) of the mapped entries of the map's
/// current table whose object is this one, and of no other entry; an object no entry maps to
/// has an empty list.
///
/// [`Writer`]: super::Writer
pub(crate) struct Members<T: 'static> {
    pub(super) first: AtomicPtr<Mapping<T>>,
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
        unsafe impl $crate::task_map::HasMembers for $t {
            const OFFSET: usize = {
                /// Compiles only if the field is a `Members<$t>`.
                fn field_type(obj: &$t) -> &$crate::task_map::Members<$t> {
                    &obj.$field
                }
                let _: fn(&$t) -> &$crate::task_map::Members<$t> = field_type;
                ::core::mem::offset_of!($t, $field)
            };

            fn map() -> &'static $crate::task_map::TaskMap<$t> {
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
pub(super) unsafe fn members_of<'a, T: HasMembers>(obj: *const T) -> &'a Members<T> {
    // SAFETY: Per `HasMembers` the list is at `T::OFFSET` in the live object (the contract).
    unsafe { &*obj.cast::<u8>().add(T::OFFSET).cast::<Members<T>>() }
}

/// Puts `e` at the head of the member list of `obj`, which it maps to now.
///
/// # Safety
///
/// The caller is the map's writer; `e` is a live entry of the current table on no member
/// list, and `obj` is a live object.
pub(super) unsafe fn link_member<T: HasMembers>(e: *mut Mapping<T>, obj: *const T) {
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

/// Makes the neighbours of an entry leaving the member list of `obj` point past it: `prev`
/// (null: the list's head) at `succ`, and `next`, if not null, back at `pred`.
///
/// # Safety
///
/// The caller is the map's writer; `prev` and `next` are the neighbours of an entry on the
/// member list of `obj`, a live object, and `succ` and `pred` are null or live entries.
unsafe fn relink<T: HasMembers>(
    prev: *mut Mapping<T>,
    next: *mut Mapping<T>,
    obj: *const T,
    succ: *mut Mapping<T>,
    pred: *mut Mapping<T>,
) {
    // SAFETY: `prev` and `next`, if not null, are live entries of the list (the invariant of
    // `Members`), and `obj` is live (the contract).
    unsafe {
        if !next.is_null() {
            (*next).sib_prev.store(pred, Relaxed);
        }
        if prev.is_null() {
            members_of(obj).first.store(succ, Relaxed);
        } else {
            (*prev).sib_next.store(succ, Relaxed);
        }
    }
}

/// Takes `e` off the member list of `obj`, which it maps to.
///
/// # Safety
///
/// The caller is the map's writer; `e` is a live entry on the member list of `obj`, a live
/// object.
pub(super) unsafe fn unlink_member<T: HasMembers>(e: *const Mapping<T>, obj: *const T) {
    // SAFETY: `e` is live (the function's contract).
    let (prev, next) = unsafe { ((*e).sib_prev.load(Relaxed), (*e).sib_next.load(Relaxed)) };
    // SAFETY: `prev` and `next` are the neighbours of `e`, on the list of the live `obj` (the
    // contract).
    // INVARIANT: The neighbours of `e` now point at each other: `e` is off the list.
    unsafe { relink(prev, next, obj, next, prev) };
}

/// Puts `new` in the place of `old` on the member list of `obj`, which both map to: a resize
/// copies the entries of the old table.
///
/// # Safety
///
/// The caller is the map's writer; `old` is a live entry on the member list of `obj`, a live
/// object, and `new` a live entry on no list.
pub(super) unsafe fn replace_member<T: HasMembers>(
    old: *const Mapping<T>,
    new: *mut Mapping<T>,
    obj: *const T,
) {
    // SAFETY: `old` is live (the function's contract).
    let (prev, next) = unsafe { ((*old).sib_prev.load(Relaxed), (*old).sib_next.load(Relaxed)) };
    // SAFETY: `new` is live and the writer's (the contract).
    unsafe {
        (*new).sib_prev.store(prev, Relaxed);
        (*new).sib_next.store(next, Relaxed);
    }
    // SAFETY: `prev` and `next` are the neighbours of `old`, on the list of the live `obj`,
    // and `new` is live (the contract).
    // INVARIANT: `new` has the neighbours `old` had, which point at it: `old` is off.
    unsafe { relink(prev, next, obj, new, new) };
}
