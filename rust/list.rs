// SPDX-License-Identifier: GPL-2.0

//! A linked list that is the only one of its item type and id, so that removing any item is
//! safe.
//!
//! [`List::remove`] is `unsafe`: the item may be in another list with the same id, whose links
//! removing it from this one would corrupt. A [`SoleList`] is, by its constructor's contract,
//! the only `List<T, ID>` of the module, so an item that is in a list of that id is in this
//! one, and removing it needs no further argument. The retry list of groups is one
//! ([`crate::release`]).
//!
//! That contract is the crate's rule, not the compiler's: the kernel crate's `List::new()` is
//! safe, so nothing stops code from making a second `List<T, ID>`. The rule is that no code
//! outside this file names `List` (`git grep -w List rust/` finds only `list.rs`), and that
//! [`sole_list!`] is used once per item type, as the initialiser of the static that holds the
//! list (evaluated once, at build time).
//!
//! Like [`crate::vfs`], this is an abstraction file: the `unsafe` it needs is here.
//!
//! C header: [`include/linux/list.h`](srctree/include/linux/list.h)

use kernel::list::{
    List,
    ListArc,
    ListItem, //
};

/// A [`List`] that no other `List<T, ID>` shares its items with.
///
/// Pushing and popping take O(1), and so does removing any item.
///
/// # Invariants
///
/// No other `List<T, ID>` exists in the module while this one does.
pub(crate) struct SoleList<T: ?Sized + ListItem<ID>, const ID: u64 = 0> {
    list: List<T, ID>,
}

impl<T: ?Sized + ListItem<ID>, const ID: u64> SoleList<T, ID> {
    /// An empty list, for a static.
    ///
    /// # Safety
    ///
    /// The caller must not create another `List<T, ID>` (or `SoleList<T, ID>`) while this one
    /// exists.
    pub(crate) const unsafe fn new() -> Self {
        // INVARIANT: The caller promises that no other list of this type and id exists.
        Self { list: List::new() }
    }

    /// Appends `item`.
    pub(crate) fn push_back(&mut self, item: ListArc<T, ID>) {
        self.list.push_back(item);
    }

    /// Takes the first item off the list.
    pub(crate) fn pop_front(&mut self) -> Option<ListArc<T, ID>> {
        self.list.pop_front()
    }

    /// Takes `item` off the list; `None` if it is not on it.
    pub(crate) fn remove(&mut self, item: &T) -> Option<ListArc<T, ID>> {
        // SAFETY: By the type invariant no other `List<T, ID>` exists: `item` is either in this
        // list or in no list of this id, which is what `remove` requires.
        unsafe { self.list.remove(item) }
    }
}

/// The empty [`SoleList`] of `$t` items (id 0), as the initial value of the static that holds
/// the crate's one list of them.
///
/// [`SoleList::new`] asks that no other `List<$t>` exist. That holds by the crate's rule (see
/// the module's documentation), which the user of this macro keeps: use it once per item type,
/// only as the initialiser of a static (in a function it would make a list per call), and make
/// no `List` anywhere else. Today it is used once, for the retry list of groups in
/// `crate::release`.
macro_rules! sole_list {
    ($t:ty) => {{
        // SAFETY: By the crate's rule (the module's documentation) this is the one list of `$t`
        // items: no code outside `list.rs` names `List`, and this macro is used once per item
        // type, in a static's initialiser. The compiler does not check this; review does.
        unsafe { $crate::list::SoleList::<$t>::new() }
    }};
}
pub(crate) use sole_list;
