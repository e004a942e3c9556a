// SPDX-License-Identifier: GPL-2.0

//! Intrusive lists: `impl_list_item!` in the shape of newer kernel crates.

/// Implements `ListItem<ID>` for a type through its `ListLinks<ID>` field, in 7.3's
/// `impl_list_item!` form (which also implements `HasListLinks`).
#[cfg(tcgroup_list_item_field)]
macro_rules! impl_list_item {
    (impl ListItem<$num:tt> for $t:ident { using ListLinks { self.$field:ident }; }) => {
        ::kernel::list::impl_list_item! {
            impl ListItem<$num> for $t { using ListLinks { self.$field }; }
        }
    };
}

/// Implements `ListItem<ID>` for a type through its `ListLinks<ID>` field: `HasListLinks` and
/// `ListItem` separately, as 6.12's macros take them.
#[cfg(not(tcgroup_list_item_field))]
macro_rules! impl_list_item {
    (impl ListItem<$num:tt> for $t:ident { using ListLinks { self.$field:ident }; }) => {
        ::kernel::list::impl_has_list_links! {
            impl HasListLinks<$num> for $t { self.$field }
        }
        ::kernel::list::impl_list_item! {
            impl ListItem<$num> for $t { using ListLinks; }
        }
    };
}
pub(crate) use impl_list_item;
