// SPDX-License-Identifier: GPL-2.0

//! A small VFS layer for a pseudo-filesystem: type registration, mount contexts and superblocks.
//!
//! The kernel crate of this kernel has no superblock, inode or `fs_context` abstraction, so this
//! module provides the part tcgroup needs, after the design of Wedson Almeida Filho's VFS
//! abstractions: a [`FileSystem`] trait whose implementor is pure safe Rust, a [`Registration`]
//! that registers it, and `extern "C"` trampolines that run the trait methods inside
//! [`from_result`] and justify each raw access with the callback contract of the VFS.
//!
//! This file and its `ffi` submodule are the only places of the crate that use `unsafe` or name
//! a binding.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h)

use core::marker::PhantomData;
use kernel::{
    error::{
        from_result,
        to_result, //
    },
    prelude::*,
    seq_file::SeqFile,
    str::{
        CStrExt,
        CString, //
    },
    sync::Arc,
    types::{
        ForeignOwnable,
        Opaque, //
    },
    ThisModule, //
};

mod ffi;

/// The magic number of tcgroup superblocks (`statfs(2)`'s `f_type`): "tcgr".
const SUPER_MAGIC: c_ulong = 0x7463_6772;

/// A mount option as the VFS hands it to [`FileSystem::parse_param`].
pub(crate) struct Param<'a> {
    /// The option's name, e.g. `release_agent`.
    pub(crate) key: &'a CStr,
    /// The value after `=`, or `None` for a flag such as `noprefix`.
    pub(crate) value: Option<&'a CStr>,
}

/// What [`FileSystem::parse_param`] made of a [`Param`].
pub(crate) enum Parsed {
    /// The option was consumed.
    Accepted,
    /// The option is not one of this filesystem's: the VFS then handles `source` itself and
    /// refuses anything else with `EINVAL` and "`<fs>: Unknown parameter '<key>'`".
    Unknown,
}

/// A mount request being set up (`struct fs_context`), as seen by a [`FileSystem`].
///
/// # Invariants
///
/// `inner` points at a valid `struct fs_context` for the lifetime `'a`.
pub(crate) struct Context<'a> {
    inner: *mut ffi::fs_context,
    _p: PhantomData<&'a ffi::fs_context>,
}

impl Context<'_> {
    /// Creates a [`Context`] from a pointer the VFS passed to a callback.
    ///
    /// # Safety
    ///
    /// `fc` must point at a valid `struct fs_context` for the lifetime of the returned value.
    unsafe fn from_raw<'a>(fc: *mut ffi::fs_context) -> Context<'a> {
        // INVARIANT: The caller guarantees that `fc` is valid for `'a`.
        Context {
            inner: fc,
            _p: PhantomData,
        }
    }

    /// Logs an error for this mount request and returns `err`.
    ///
    /// The message goes where the VFS sends mount errors: the `fsconfig(2)` log of the context
    /// for the new mount API, the kernel log (prefixed with the filesystem name) for `mount(2)`.
    pub(crate) fn invalf(&self, err: Error, args: core::fmt::Arguments<'_>) -> Error {
        if let Ok(msg) = CString::try_from_fmt(args) {
            // SAFETY: By the type invariant `self.inner` is valid; `log.log` and `log.prefix` are
            // owned by the context and may be passed to `logfc` as the `errorfc()` macro does.
            // The format string is a literal and the argument a NUL-terminated string that
            // outlives the call.
            unsafe {
                let log = &(*self.inner).log;
                ffi::logfc(
                    log.log,
                    log.prefix,
                    b'e',
                    c"%s".as_char_ptr(),
                    msg.as_char_ptr(),
                );
            }
        }
        err
    }

    /// Whether the mounting task acts in the initial user namespace with `CAP_SYS_ADMIN` there.
    ///
    /// This is the condition cgroup v1 places on `release_agent=`, since the agent runs with
    /// full privileges (the fix for CVE-2022-0492).
    pub(crate) fn initial_ns_admin(&self) -> bool {
        // SAFETY: By the type invariant `self.inner` is valid; `user_ns` is set for the whole
        // life of the context. `capable` only reads the current task's credentials.
        unsafe {
            core::ptr::eq((*self.inner).user_ns, &raw mut ffi::init_user_ns)
                && ffi::capable(ffi::CAP_SYS_ADMIN as c_int)
        }
    }
}

/// A pseudo-filesystem: the safe interface the VFS trampolines call.
pub(crate) trait FileSystem: Sized + 'static {
    /// The name of the filesystem type, as in `/proc/filesystems` and `mount -t`.
    const NAME: &'static CStr;

    /// What a mount request accumulates while its options are parsed; owned by the context.
    type Options: Send;

    /// Per-superblock state, shared with everything that outlives a call into the filesystem.
    type Data: Send + Sync;

    /// Creates the option state of a new mount request.
    fn init_options() -> Result<Self::Options>;

    /// Parses one mount option into `opts`.
    fn parse_param(opts: &mut Self::Options, fc: &Context<'_>, param: Param<'_>) -> Result<Parsed>;

    /// Creates the state of a new superblock from the parsed options.
    fn fill_super(opts: &mut Self::Options) -> Result<Arc<Self::Data>>;

    /// Prints the mount options of a superblock for `/proc/mounts`, each as `,key[=value]`.
    fn show_options(data: &Self::Data, m: &SeqFile) -> Result;
}

/// The C operation tables of a [`FileSystem`], with the trampolines that call into it.
struct Tables<T: FileSystem>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const CONTEXT_OPS: ffi::fs_context_operations = ffi::fs_context_operations {
        free: Some(Self::free_callback),
        dup: None,
        parse_param: Some(Self::parse_param_callback),
        parse_monolithic: None,
        get_tree: Some(Self::get_tree_callback),
        reconfigure: None,
    };

    const SUPER_OPS: ffi::super_operations = ffi::super_operations {
        statfs: Some(ffi::simple_statfs),
        drop_inode: Some(ffi::inode_just_drop),
        show_options: Some(Self::show_options_callback),
        // SAFETY: All-zero is a valid `super_operations`: every other operation is absent.
        ..unsafe { core::mem::zeroed() }
    };

    /// # Safety
    ///
    /// Callback contract of `file_system_type::init_fs_context`: `fc` is a valid context under
    /// construction whose `ops` and `fs_private` this filesystem may set.
    unsafe extern "C" fn init_fs_context_callback(fc: *mut ffi::fs_context) -> c_int {
        from_result(|| {
            let opts = KBox::new(T::init_options()?, GFP_KERNEL)?;
            // SAFETY: The callback contract guarantees that `fc` is valid. `fs_private` is owned
            // by `free_callback` from now on, which the VFS calls exactly once for a context
            // whose `ops` are set; `CONTEXT_OPS` is a promoted constant and lives forever.
            unsafe {
                (*fc).fs_private = opts.into_foreign().cast();
                (*fc).ops = &Self::CONTEXT_OPS;
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Callback contract of `fs_context_operations::free`: `fc` is valid and is being destroyed.
    unsafe extern "C" fn free_callback(fc: *mut ffi::fs_context) {
        // SAFETY: The callback contract guarantees that `fc` is valid. `fs_private` was set by
        // `init_fs_context_callback` from a `KBox<T::Options>` and nothing else owns it.
        drop(unsafe { KBox::<T::Options>::from_foreign((*fc).fs_private.cast()) });
    }

    /// # Safety
    ///
    /// Callback contract of `fs_context_operations::parse_param`: `fc` and `param` are valid
    /// for the duration of the call; the context's `uapi_mutex` serialises it.
    unsafe extern "C" fn parse_param_callback(
        fc: *mut ffi::fs_context,
        param: *mut ffi::fs_parameter,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The callback contract guarantees that `fc` is valid for the call.
            let ctx = unsafe { Context::from_raw(fc) };
            // SAFETY: The callback contract guarantees that `param` is valid; `key` is always a
            // NUL-terminated string.
            let key = unsafe { CStr::from_char_ptr((*param).key) };
            // SAFETY: As above; the active member of the union is given by `type_`.
            let value = match unsafe { (*param).type_() } {
                ffi::fs_value_type_fs_value_is_flag => None,
                // SAFETY: For `fs_value_is_string` the union holds a NUL-terminated string.
                ffi::fs_value_type_fs_value_is_string => unsafe {
                    Some(CStr::from_char_ptr((*param).__bindgen_anon_1.string))
                },
                _ => {
                    return Err(
                        ctx.invalf(EINVAL, fmt!("option '{}' takes a string", key.to_str()?))
                    )
                }
            };
            // SAFETY: `fs_private` holds the `KBox<T::Options>` of `init_fs_context_callback`;
            // `uapi_mutex` makes this the only access while the callback runs.
            let opts = unsafe { &mut *(*fc).fs_private.cast::<T::Options>() };
            match T::parse_param(opts, &ctx, Param { key, value })? {
                Parsed::Accepted => Ok(0),
                Parsed::Unknown => Err(ENOPARAM),
            }
        })
    }

    /// # Safety
    ///
    /// Callback contract of `fs_context_operations::get_tree`: `fc` is valid and its parameters
    /// are final.
    unsafe extern "C" fn get_tree_callback(fc: *mut ffi::fs_context) -> c_int {
        // SAFETY: The callback contract guarantees that `fc` is valid; `fill_super_callback`
        // has the signature `get_tree_nodev` expects.
        unsafe { ffi::get_tree_nodev(fc, Some(Self::fill_super_callback)) }
    }

    /// # Safety
    ///
    /// Callback contract of `get_tree_nodev`'s `fill_super`: `sb` is a new, locked superblock
    /// not yet visible to anyone else, and `fc` the context it is created for. On failure the
    /// VFS destroys `sb` through `kill_sb`.
    unsafe extern "C" fn fill_super_callback(
        sb: *mut ffi::super_block,
        fc: *mut ffi::fs_context,
    ) -> c_int {
        from_result(|| {
            // An empty file list (terminated by an empty name): a root directory with the simple
            // directory operations and no files.
            let files = [ffi::tree_descr {
                name: c"".as_char_ptr(),
                ops: core::ptr::null(),
                mode: 0,
            }];
            // SAFETY: The callback contract guarantees that `sb` is valid and exclusively ours;
            // `files` is a terminated list that `simple_fill_super` only reads during the call.
            to_result(unsafe { ffi::simple_fill_super(sb, SUPER_MAGIC, files.as_ptr()) })?;
            // SAFETY: As above. `SUPER_OPS` is a promoted constant and lives forever.
            unsafe { (*sb).s_op = &Self::SUPER_OPS };

            // SAFETY: `fc` is valid per the callback contract and its `fs_private` holds our
            // options; `get_tree` runs under the context's `uapi_mutex`.
            let opts = unsafe { &mut *(*fc).fs_private.cast::<T::Options>() };
            let data = T::fill_super(opts)?;
            // SAFETY: `sb` is exclusively ours; `s_fs_info` owns the `Arc` until `kill_sb`.
            unsafe { (*sb).s_fs_info = data.into_foreign().cast() };
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Callback contract of `super_operations::show_options`: `root` is the valid root dentry
    /// of one of our mounted superblocks, whose `s_fs_info` is set, and `m` a valid seq_file.
    unsafe extern "C" fn show_options_callback(
        m: *mut ffi::seq_file,
        root: *mut ffi::dentry,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The callback contract guarantees that `root` and its superblock are valid
            // and that `s_fs_info` holds the `Arc` stored by `fill_super_callback`, which is only
            // released by `kill_sb` after the superblock is no longer mounted.
            let data = unsafe { Arc::<T::Data>::borrow((*(*root).d_sb).s_fs_info.cast()) };
            // SAFETY: The callback contract guarantees that `m` is valid for the call.
            let m = unsafe { SeqFile::from_raw(m) };
            T::show_options(&data, m)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Callback contract of `file_system_type::kill_sb`: `sb` is one of our superblocks, being
    /// shut down for the last time.
    unsafe extern "C" fn kill_sb_callback(sb: *mut ffi::super_block) {
        // SAFETY: The callback contract guarantees that `sb` is valid.
        let info = unsafe { (*sb).s_fs_info };
        // SAFETY: As above; `kill_anon_super` releases the root dentry and the anonymous device
        // number `get_tree_nodev` allocated.
        unsafe { ffi::kill_anon_super(sb) };
        if !info.is_null() {
            // SAFETY: A non-null `s_fs_info` holds the `Arc` stored by `fill_super_callback`,
            // and nothing can reach it any more: the superblock is gone.
            drop(unsafe { Arc::<T::Data>::from_foreign(info.cast()) });
        }
    }
}

/// The registration of a [`FileSystem`] with the VFS.
///
/// # Invariants
///
/// `fs_type` is registered with `register_filesystem` for as long as the value exists, and its
/// `owner` is the module that holds the registration, so the VFS pins that module while any
/// superblock of the type exists.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: FileSystem> {
    #[pin]
    fs_type: Opaque<ffi::file_system_type>,
    _p: PhantomData<T>,
}

// SAFETY: A registration only refers to static operation tables and the module; it may be
// dropped (unregistered) from any thread.
unsafe impl<T: FileSystem> Send for Registration<T> {}

// SAFETY: A registration has no `&self` methods that touch the registered type.
unsafe impl<T: FileSystem> Sync for Registration<T> {}

impl<T: FileSystem> Registration<T> {
    /// Registers `T` as a filesystem type owned by `module`.
    pub(crate) fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fs_type <- Opaque::try_ffi_init(move |slot: *mut ffi::file_system_type| {
                // SAFETY: The initializer may write to `slot`; all-zero is a valid start for a
                // `file_system_type` (no flags, empty lists).
                unsafe {
                    slot.write(core::mem::zeroed());
                    (*slot).name = T::NAME.as_char_ptr();
                    (*slot).owner = module.as_ptr();
                    (*slot).init_fs_context = Some(Tables::<T>::init_fs_context_callback_raw);
                    (*slot).kill_sb = Some(Tables::<T>::kill_sb_callback);
                }
                // SAFETY: `slot` is pinned and initialised above; the drop of `Self` unregisters
                // it before the memory goes away.
                // INVARIANT: On success the type is registered with `owner` set to `module`.
                to_result(unsafe { ffi::register_filesystem(slot) })
            }),
            _p: PhantomData,
        })
    }
}

impl<T: FileSystem> Tables<T> {
    /// `init_fs_context` as `file_system_type` declares it: the kernel crate only knows the
    /// opaque `struct fs_context`, which is the same C type as the full one of `ffi`.
    ///
    /// # Safety
    ///
    /// As for [`Tables::init_fs_context_callback`].
    unsafe extern "C" fn init_fs_context_callback_raw(
        fc: *mut kernel::bindings::fs_context,
    ) -> c_int {
        // SAFETY: Both pointer types name the same C `struct fs_context`; the contract is
        // forwarded unchanged.
        unsafe { Self::init_fs_context_callback(fc.cast()) }
    }
}

#[pinned_drop]
impl<T: FileSystem> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the type is registered. The module cannot be unloaded
        // (and so this cannot run) while a superblock of the type exists.
        unsafe { ffi::unregister_filesystem(self.fs_type.get()) };
    }
}

/// An empty directory `/sys/fs/<name>` on which a filesystem can be mounted, as cgroup has
/// `/sys/fs/cgroup`.
///
/// # Invariants
///
/// The directory `name` exists under `fs_kobj` from creation until this value is dropped.
pub(crate) struct SysfsMountPoint {
    name: &'static CStr,
}

impl SysfsMountPoint {
    /// Creates `/sys/fs/<name>`; fails with `EEXIST` if something already has that name.
    pub(crate) fn new(name: &'static CStr) -> Result<Self> {
        // SAFETY: `fs_kobj` is the `/sys/fs` kobject, created at boot and never freed; `name` is
        // a valid NUL-terminated string that outlives the directory.
        to_result(unsafe { ffi::sysfs_create_mount_point(ffi::fs_kobj, name.as_char_ptr()) })?;
        // INVARIANT: The directory was just created.
        Ok(Self { name })
    }
}

impl Drop for SysfsMountPoint {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the directory exists and was created by this value.
        unsafe { ffi::sysfs_remove_mount_point(ffi::fs_kobj, self.name.as_char_ptr()) };
    }
}
