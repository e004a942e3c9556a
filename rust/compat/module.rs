// SPDX-License-Identifier: GPL-2.0

//! The module: `InPlaceModule` and `module!` in the shape of newer kernel crates.

use super::prelude::*;

/// A module initialised in place (`kernel::InPlaceModule`).
#[cfg(not(tcgroup_in_place_module))]
pub(crate) trait InPlaceModule: Sync + Send {
    /// Creates the module's state in place.
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error>;
}

/// Static storage for the state of an [`InPlaceModule`], which [`module!`] declares.
///
/// The state must be in static memory, as newer kernel crates' `module!` puts it: lockdep only
/// accepts the lock class keys that live in it (those of a `file_system_type`, for one) if they
/// are static.
///
/// # Invariants
///
/// The storage holds an initialised `T` while a [`PinnedModule<T>`] exists.
#[cfg(not(tcgroup_in_place_module))]
pub(crate) struct ModuleStorage<T>(core::cell::UnsafeCell<core::mem::MaybeUninit<T>>);

// SAFETY: The value is written once by `PinnedModule::init`, before anything can share it, and
// dropped by `PinnedModule::drop`, after; in between it is only shared, and `T` is `Sync`.
#[cfg(not(tcgroup_in_place_module))]
unsafe impl<T: Sync> Sync for ModuleStorage<T> {}

#[cfg(not(tcgroup_in_place_module))]
impl<T> ModuleStorage<T> {
    /// Empty storage.
    pub(crate) const fn new() -> Self {
        Self(core::cell::UnsafeCell::new(core::mem::MaybeUninit::uninit()))
    }
}

/// An [`InPlaceModule`] with its [`ModuleStorage`]; implemented by [`module!`].
#[cfg(not(tcgroup_in_place_module))]
pub(crate) trait HasModuleStorage: InPlaceModule + Sized + 'static {
    /// The module's storage, used by [`PinnedModule`] only.
    fn storage() -> &'static ModuleStorage<Self>;
}

/// An [`InPlaceModule`] as this kernel crate's `Module`: the state is initialised in place in
/// its [`ModuleStorage`] and dropped there when the module is unloaded.
///
/// # Invariants
///
/// `T::storage()` holds an initialised `T`, owned by this value (the kernel crate's `module!`
/// makes one `PinnedModule` per module).
#[cfg(not(tcgroup_in_place_module))]
pub(crate) struct PinnedModule<T: HasModuleStorage> {
    _p: core::marker::PhantomData<T>,
}

#[cfg(not(tcgroup_in_place_module))]
impl<T: HasModuleStorage> kernel::Module for PinnedModule<T> {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let slot = T::storage().0.get().cast::<T>();
        // SAFETY: `slot` is static, so pinned, and empty: `module!` calls `init` once, before
        // any other use of the storage. On error `__pinned_init` leaves it uninitialised.
        unsafe { T::init(module).__pinned_init(slot)? };
        // INVARIANT: The storage was just initialised.
        Ok(Self {
            _p: core::marker::PhantomData,
        })
    }
}

#[cfg(not(tcgroup_in_place_module))]
impl<T: HasModuleStorage> Drop for PinnedModule<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the storage holds a `T` that this value owns; it is
        // dropped once, in place (it is pinned).
        unsafe { core::ptr::drop_in_place(T::storage().0.get().cast::<T>()) };
    }
}

/// Declares the module (`kernel::prelude::module!`), with one author and one alias, whose type
/// is an `InPlaceModule`.
macro_rules! module {
    (
        type: $type:ident,
        name: $name:tt,
        authors: [$author:tt],
        description: $description:tt,
        license: $license:tt,
        alias: [$alias:tt],
    ) => {
        $crate::compat::module_type!($type);
        $crate::compat::module_decl!(ModuleType, $name, $author, $description, $license, $alias);
    };
}

/// Declares `ModuleType`, the type `module!` takes.
#[cfg(tcgroup_in_place_module)]
macro_rules! module_type {
    ($type:ident) => {
        /// The module type `module!` takes.
        type ModuleType = $type;
    };
}

/// Declares `ModuleType`, the type `module!` takes: the module, initialised in place in a
/// static [`ModuleStorage`].
#[cfg(not(tcgroup_in_place_module))]
macro_rules! module_type {
    ($type:ident) => {
        /// The module type `module!` takes: the module in its static storage.
        type ModuleType = $crate::compat::PinnedModule<$type>;

        impl $crate::compat::HasModuleStorage for $type {
            fn storage() -> &'static $crate::compat::ModuleStorage<Self> {
                static STORAGE: $crate::compat::ModuleStorage<$type> =
                    $crate::compat::ModuleStorage::new();
                &STORAGE
            }
        }
    };
}

/// `module!` with the list of authors.
#[cfg(tcgroup_module_authors)]
macro_rules! module_decl {
    ($type:ident, $name:tt, $author:tt, $description:tt, $license:tt, $alias:tt) => {
        ::kernel::prelude::module! {
            type: $type,
            name: $name,
            authors: [$author],
            description: $description,
            license: $license,
            alias: [$alias],
        }
    };
}

/// `module!` with one author.
#[cfg(not(tcgroup_module_authors))]
macro_rules! module_decl {
    ($type:ident, $name:tt, $author:tt, $description:tt, $license:tt, $alias:tt) => {
        ::kernel::prelude::module! {
            type: $type,
            name: $name,
            author: $author,
            description: $description,
            license: $license,
            alias: [$alias],
        }
    };
}
pub(crate) use module;
pub(crate) use module_decl;
pub(crate) use module_type;
