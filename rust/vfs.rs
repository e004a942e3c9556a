// SPDX-License-Identifier: GPL-2.0

//! A small VFS layer for a pseudo-filesystem: type registration, mount contexts, superblocks,
//! directories and control files.
//!
//! The kernel crate of this kernel has no superblock, inode or `fs_context` abstraction, so this
//! module provides the part tcgroup needs, after the design of Wedson Almeida Filho's VFS
//! abstractions: a [`FileSystem`] trait whose implementor is pure safe Rust, a [`Registration`]
//! that registers it, and `extern "C"` trampolines (in [`tables`]) that run the trait methods
//! inside `from_result` and justify each raw access with the callback contract of the VFS.
//!
//! The model is that of procfs: the filesystem keeps its own tree of directories and answers
//! `lookup` and `readdir` from it; inodes and dentries are a cache of that tree, created on
//! lookup and freed by the VFS when unused. Each directory inode owns a reference on its
//! [`FileSystem::Dir`], each file inode one on its [`FileSystem::Node`].
//!
//! This is the main abstraction file of the kernel-facing layer (`Documentation/design.rst`,
//! "The layers"), where all the crate's `unsafe` code is: the filesystem type, mount options
//! and control files above it ([`crate::fs`], [`crate::files`]) are safe Rust.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h)

use crate::compat::{
    prelude::*,
    CString, //
};
use core::marker::PhantomData;
use kernel::{
    error::to_result,
    sync::Arc,
    types::Opaque,
    ThisModule, //
};

mod poll;
mod tables;

pub(crate) use poll::PollQueue;
use poll::{
    POLL_EVENT,
    POLL_READABLE, //
};

use crate::ffi;

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

    /// The filesystem uid and gid of the mounting task, as owner of a new root directory.
    pub(crate) fn owner(&self) -> Owner {
        // SAFETY: By the type invariant `self.inner` is valid; `cred` holds the mounter's
        // credentials for the whole life of the context.
        unsafe {
            let cred = (*self.inner).cred;
            Owner {
                uid: (*cred).fsuid,
                gid: (*cred).fsgid,
            }
        }
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

/// The owner of a directory and of the files in it, as `mkdir` found it (the creator's
/// filesystem uid and gid).
#[derive(Clone, Copy)]
pub(crate) struct Owner {
    uid: ffi::kuid_t,
    gid: ffi::kgid_t,
}

impl Owner {
    /// The initial namespace's root, for the KUnit suites' groups.
    #[cfg(all(tcgroup_kunit_tests, CONFIG_KUNIT = "y"))]
    pub(crate) const GLOBAL_ROOT: Owner = Owner {
        uid: ffi::kuid_t { val: 0 },
        gid: ffi::kgid_t { val: 0 },
    };
}

// SAFETY: `Owner` is two plain integers, which any thread may own.
unsafe impl Send for Owner {}
// SAFETY: `Owner` is two plain integers, never changed through a shared reference.
unsafe impl Sync for Owner {}

/// A new directory's identity, chosen by the VFS layer when `mkdir` runs: the filesystem keeps
/// it with its directory so that every later inode of the directory looks the same.
#[derive(Clone, Copy)]
pub(crate) struct DirAttrs {
    /// The inode number.
    pub(crate) ino: u64,
    /// The permission bits (`mkdir`'s mode after the umask).
    pub(crate) mode: u16,
    /// The owner.
    pub(crate) owner: Owner,
}

/// What a name in a directory is.
pub(crate) enum Entry<T: FileSystem> {
    /// A subdirectory.
    Dir(Arc<T::Dir>),
    /// A file: its node, permission bits and inode number.
    File(Arc<T::Node>, u16, u64),
}

/// One entry of a directory listing.
pub(crate) struct DirEntry {
    /// The name.
    pub(crate) name: CString,
    /// The inode number.
    pub(crate) ino: u64,
    /// Whether it is a directory (otherwise a regular file).
    pub(crate) is_dir: bool,
}

/// The credentials a file was opened with, for permission checks at write time.
///
/// # Invariants
///
/// `file` points at a valid open `struct file` for the lifetime `'a`.
pub(crate) struct FileCred<'a> {
    file: *mut kernel::bindings::file,
    _p: PhantomData<&'a ()>,
}

impl FileCred<'_> {
    /// Whether the opener may move `task`, as cgroup v1's `__cgroup1_procs_write()` checks with
    /// the file's credentials, not the writer's (against inherited-descriptor attacks): its
    /// effective uid is root, or the target's real or saved uid.
    pub(crate) fn may_move(&self, task: &kernel::task::Task) -> bool {
        // SAFETY: By the type invariant `self.file` is valid; its `f_cred` is set for the life
        // of the file. `task` is a valid task; the helper reads its credentials under RCU.
        unsafe { ffi::tcgroup_may_move((*self.file).f_cred.cast(), task.as_ptr().cast()) }
    }

    /// Whether the opener acted in the initial user namespace with `CAP_SYS_ADMIN` there, as
    /// cgroup v1 requires for writing `release_agent`.
    pub(crate) fn initial_ns_admin(&self) -> bool {
        // SAFETY: By the type invariant `self.file` is valid; its `f_cred` is set for the life
        // of the file.
        unsafe {
            core::ptr::eq((*(*self.file).f_cred).user_ns, &raw mut ffi::init_user_ns)
                && ffi::file_ns_capable(
                    self.file,
                    &raw mut ffi::init_user_ns,
                    ffi::CAP_SYS_ADMIN as c_int,
                )
        }
    }
}

/// Writes the mount options of a superblock into `/proc/mounts` (a `seq_file`).
///
/// # Invariants
///
/// `m` points at a valid `struct seq_file` for the lifetime `'a`.
pub(crate) struct OptionWriter<'a> {
    m: *mut ffi::seq_file,
    _p: PhantomData<&'a ()>,
}

/// `ESCAPE_OCTAL` of `include/linux/string_helpers.h` (`BIT(3)`, which bindgen cannot evaluate).
const ESCAPE_OCTAL: c_uint = 1 << 3;

impl OptionWriter<'_> {
    /// Writes `,name` or `,name=value`, escaped as `seq_show_option()` does.
    pub(crate) fn option(&mut self, name: &CStr, value: Option<&[u8]>) {
        // SAFETY: By the type invariant `self.m` is valid. The escape sets are NUL-terminated
        // literals and `name`/`value` valid for the lengths passed.
        unsafe {
            ffi::seq_putc(self.m, b',');
            ffi::seq_escape_mem(
                self.m,
                name.as_char_ptr(),
                name.to_bytes().len(),
                ESCAPE_OCTAL,
                c",= \t\n\\".as_char_ptr(),
            );
            if let Some(value) = value {
                ffi::seq_putc(self.m, b'=');
                ffi::seq_escape_mem(
                    self.m,
                    value.as_ptr(),
                    value.len(),
                    ESCAPE_OCTAL,
                    c", \t\n\\".as_char_ptr(),
                );
            }
        }
    }
}

/// What `poll()` reports for a stream file ([`FileSystem::is_stream`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum StreamReady {
    /// Nothing to read: a read would block (no event reported).
    Empty,
    /// A read returns data (`EPOLLIN | EPOLLRDNORM`).
    Readable,
}

/// Where a read of a stream file copies its bytes: the reader's buffer in user memory.
pub(crate) struct StreamWriter {
    inner: kernel::uaccess::UserSliceWriter,
}

impl StreamWriter {
    /// The room left in the reader's buffer.
    pub(crate) fn room(&self) -> usize {
        self.inner.len()
    }

    /// Copies `data`, which fits [`StreamWriter::room`], to the reader's buffer; `EFAULT` if
    /// the buffer is not writable (what was copied before stays copied).
    pub(crate) fn write(&mut self, data: &[u8]) -> Result {
        self.inner.write_slice(data)
    }
}

/// A pseudo-filesystem: the safe interface the VFS trampolines call.
///
/// The VFS serialises the directory operations of one directory: `mkdir` and `rmdir` run with
/// the parent directory locked exclusively, `rmdir` also with the victim locked, and `lookup`
/// and `read_dir` with the directory locked shared.
pub(crate) trait FileSystem: Sized + 'static {
    /// The name of the filesystem type, as in `/proc/filesystems` and `mount -t`.
    const NAME: &'static CStr;

    /// What a mount request accumulates while its options are parsed; owned by the context.
    type Options: Send;

    /// Per-superblock state. Superblocks are keyed by it: mounting the same `Data` again shares
    /// the superblock.
    type Data: Send + Sync;

    /// A directory.
    type Dir: Send + Sync;

    /// What a file is: the object an inode of a regular file refers to.
    type Node: Send + Sync;

    /// The state of one open file description.
    type Open: Send + Sync;

    /// Creates the option state of a new mount request.
    fn init_options() -> Result<Self::Options>;

    /// Parses one mount option into `opts`.
    fn parse_param(opts: &mut Self::Options, fc: &Context<'_>, param: Param<'_>) -> Result<Parsed>;

    /// Chooses the state a new mount refers to: an existing one (the mount then shares its
    /// superblock, if one exists) or a new one.
    fn get_data(opts: &mut Self::Options, fc: &Context<'_>) -> Result<Arc<Self::Data>>;

    /// A new superblock is being set up for `data`. `EAGAIN` makes the mount start over with
    /// [`FileSystem::get_data`], for `data` that went away in the meantime.
    fn attach(data: &Arc<Self::Data>) -> Result;

    /// The superblock of `data` is being shut down; `attached` tells whether
    /// [`FileSystem::attach`] had succeeded for it. Also called, with `attached` false, when a
    /// mount of `data` failed before any superblock was made for it (no memory for one), so
    /// that `data` made for that mount by [`FileSystem::get_data`] does not stay behind.
    ///
    /// Called before the superblock dies: no other superblock of `data` is set up (and
    /// attached) until this returns, so a `data` that this call ends is never attached again
    /// unless [`FileSystem::attach`] allows it.
    fn detach(data: &Arc<Self::Data>, attached: bool);

    /// Applies the options of a remount (`mount -o remount`, `fsconfig(FSCONFIG_CMD_RECONFIGURE)`).
    fn reconfigure(data: &Self::Data, opts: &mut Self::Options, fc: &Context<'_>) -> Result;

    /// Prints the mount options of a superblock for `/proc/mounts`.
    fn show_options(data: &Self::Data, m: &mut OptionWriter<'_>) -> Result;

    /// The root directory of `data`.
    fn root(data: &Self::Data) -> Arc<Self::Dir>;

    /// The attributes of a directory.
    fn dir_attrs(dir: &Self::Dir) -> DirAttrs;

    /// The inode number of a directory's parent (its own for the root).
    fn parent_ino(dir: &Self::Dir) -> u64;

    /// The number of subdirectories of `dir` (for its link count).
    fn subdirs(dir: &Self::Dir) -> u32;

    /// Finds `name` in `dir`: `None` if it does not exist. An error (`ENOMEM`) must not be
    /// reported as a missing name, which the dcache would remember.
    fn lookup(
        data: &Arc<Self::Data>,
        dir: &Arc<Self::Dir>,
        name: &[u8],
    ) -> Result<Option<Entry<Self>>>;

    /// Lists `dir`, without `.` and `..`.
    fn read_dir(data: &Self::Data, dir: &Self::Dir, out: &mut KVec<DirEntry>) -> Result;

    /// Creates the subdirectory `name` of `parent`.
    fn mkdir(
        data: &Self::Data,
        parent: &Arc<Self::Dir>,
        name: &[u8],
        attrs: DirAttrs,
    ) -> Result<Arc<Self::Dir>>;

    /// Removes the subdirectory `dir` of `parent`.
    fn rmdir(data: &Self::Data, parent: &Self::Dir, dir: &Self::Dir) -> Result;

    /// Renames the subdirectory `dir` of `parent` to `name` (a name not in use in `parent`).
    fn rename(data: &Self::Data, parent: &Self::Dir, dir: &Self::Dir, name: &[u8]) -> Result;

    /// Opens a file; `write` tells whether it is opened for writing, `cred` holds the opener's
    /// credentials.
    fn open(node: &Arc<Self::Node>, write: bool, cred: &FileCred<'_>) -> Result<Self::Open>;

    /// Whether the file is a stream: opened with `stream_open()` (no position, `lseek()` fails
    /// with `ESPIPE`), read through [`FileSystem::read_stream`] instead of
    /// [`FileSystem::show`], and polled through [`FileSystem::stream_ready`].
    fn is_stream(node: &Self::Node) -> bool;

    /// Reads from a stream file into `out`: the number of bytes written, 0 at its end. Blocks
    /// unless `nonblock` (then `EAGAIN` when there is nothing to read).
    fn read_stream(
        node: &Self::Node,
        open: &Self::Open,
        nonblock: bool,
        out: &mut StreamWriter,
    ) -> Result<usize>;

    /// What `poll()` reports for a stream file.
    fn stream_ready(node: &Self::Node, open: &Self::Open) -> StreamReady;

    /// Generates the contents of a file for reading.
    fn show(node: &Self::Node, open: &Self::Open, out: &mut KVec<u8>) -> Result;

    /// The longest write the file takes in one piece: a longer one fails with `E2BIG`. `None`
    /// cuts writes to one page, as kernfs does for files without a limit.
    fn max_write(node: &Self::Node) -> Option<usize>;

    /// The wait queue a `poll()` of the file waits on, if the file can be polled.
    fn poll_queue(node: &Self::Node) -> Option<&PollQueue>;

    /// Whether the file changed since this open file description last read it (`poll()`
    /// then reports `EPOLLPRI | EPOLLERR`, as kernfs does).
    fn poll_pending(node: &Self::Node, open: &Self::Open) -> bool;

    /// Handles a write of `buf`, which holds the bytes up to the first NUL of what was written.
    /// An empty write (zero bytes) succeeds without a call, as in kernfs.
    fn write(node: &Self::Node, open: &Self::Open, buf: &[u8], cred: &FileCred<'_>) -> Result;
}

/// The registration of a [`FileSystem`] with the VFS.
///
/// Unregistering does not wait for the superblocks of the type: each keeps pointing at
/// `fs_type` (`s_type`) and calls through it (`kill_sb`, then `module_put()` of its `owner`)
/// until it is gone. So the memory of a registration must outlive every superblock of its
/// type. The holder's contract, which the type cannot check: keep the registration in the state
/// of the module `new` was given, dropped by that module's exit -- the VFS takes a reference on
/// `owner` for every superblock, and the module's exit runs only when none is left -- and make
/// its registration the last step of the module's init that can fail: a mount can succeed as
/// soon as the type is registered, and a module whose init fails is freed whatever references
/// it has.
///
/// # Invariants
///
/// `fs_type` is registered with `register_filesystem` for as long as the value exists, and its
/// `owner` is the module given to [`Registration::new`].
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
    /// Registers `T` as a filesystem type owned by `module`, for the state of `module`, as
    /// the last step of its init that can fail (see the type's documentation).
    pub(crate) fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fs_type <- Opaque::try_ffi_init(move |slot: *mut ffi::file_system_type| {
                // SAFETY: The initializer may write to `slot`; all-zero is a valid start for a
                // `file_system_type` (no flags, empty lists).
                unsafe {
                    slot.write(core::mem::zeroed());
                    (*slot).name = T::NAME.as_char_ptr();
                    (*slot).owner = module.as_ptr();
                    (*slot).init_fs_context = Some(tables::Tables::<T>::init_fs_context_raw);
                    (*slot).kill_sb = Some(tables::Tables::<T>::kill_sb_callback);
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

#[pinned_drop]
impl<T: FileSystem> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the type is registered, which is all that
        // `unregister_filesystem` asks. That no superblock of the type is left to use
        // `fs_type` once its memory goes is the holder's contract (the type's documentation):
        // dropped by the exit of the module that owns the type, with none left.
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

/// A reference on a module that keeps it loaded (`__module_get()`/`module_put()`).
///
/// # Invariants
///
/// The value owns one reference on `module`.
pub(crate) struct ModuleRef {
    module: &'static ThisModule,
}

impl ModuleRef {
    /// Takes a reference on `module`, which the caller runs in (so it is live).
    pub(crate) fn new(module: &'static ThisModule) -> Self {
        // SAFETY: `module` is the running module: its code is executing, so it is live, and
        // `__module_get` only increments its count.
        unsafe { ffi::__module_get(module.as_ptr()) };
        // INVARIANT: The reference was just taken.
        Self { module }
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: By the type invariant this value owns a reference.
        unsafe { ffi::module_put(self.module.as_ptr()) };
    }
}

/// Allocates an inode number, as `new_inode_pseudo` users do (`get_next_ino()`).
pub(crate) fn next_ino() -> u64 {
    // SAFETY: `get_next_ino` has no preconditions.
    u64::from(unsafe { ffi::get_next_ino() })
}

/// `s` with a NUL appended, for the kernel's string parsers.
fn nul_terminated(s: &[u8]) -> Result<KVec<u8>> {
    let mut buf = KVec::with_capacity(s.len() + 1, GFP_KERNEL)?;
    buf.extend_from_slice(s, GFP_KERNEL)?;
    buf.push(0, GFP_KERNEL)?;
    Ok(buf)
}

/// The longest number [`with_nul`] copies to the stack rather than to the heap.
const SMALL_NUMBER: usize = 63;

/// Calls `f` with `s` NUL-terminated: on the stack if it is short, as every number is.
fn with_nul<R>(s: &[u8], f: impl FnOnce(*const u8) -> R) -> Result<R> {
    if s.len() <= SMALL_NUMBER {
        let mut buf = [0u8; SMALL_NUMBER + 1];
        buf[..s.len()].copy_from_slice(s);
        return Ok(f(buf.as_ptr()));
    }
    Ok(f(nul_terminated(s)?.as_ptr()))
}

/// Parses an unsigned number as `kstrtoull(s, 0, &v)`: decimal, `0` octal or `0x` hex, an
/// optional `+` and one trailing newline. `EINVAL` if it is not a number, `ERANGE` if it
/// overflows.
pub(crate) fn parse_u64(s: &[u8]) -> Result<u64> {
    let mut v: u64 = 0;
    // SAFETY: `p` is NUL-terminated and `v` a valid place for the result.
    to_result(with_nul(s, |p| unsafe { ffi::kstrtoull(p, 0, &mut v) })?)?;
    Ok(v)
}

/// Parses a signed number as `kstrtoint(s, 0, &v)`: as [`parse_u64`] with an optional `-`
/// (so `-0` is `0`). `EINVAL` if it is not a number, `ERANGE` if it does not fit an `i32`.
pub(crate) fn parse_i32(s: &[u8]) -> Result<i32> {
    let mut v: kernel::ffi::c_int = 0;
    // SAFETY: `p` is NUL-terminated and `v` a valid place for the result.
    to_result(with_nul(s, |p| unsafe { ffi::kstrtoint(p, 0, &mut v) })?)?;
    Ok(v)
}

/// Runs `f` with a new mount context of the registered filesystem type `fs`, made as `mount(2)`
/// makes one (`fs_context_for_mount()`, with the calling task's credentials), and destroyed
/// after `f` without mounting anything: the KUnit suites parse mount options in it.
///
/// Only for a running KUnit test: the context is destroyed by a KUnit action, so that it does
/// not leak when a failed assertion in `f` ends the test. `EINVAL` outside a test, `ENODEV` if
/// no filesystem `fs` is registered.
#[cfg(all(tcgroup_kunit_tests, CONFIG_KUNIT = "y"))]
pub(crate) fn with_mount_context<R>(fs: &CStr, f: impl FnOnce(&Context<'_>) -> R) -> Result<R> {
    /// The KUnit action that destroys the context.
    ///
    /// # Safety
    ///
    /// `fc` is a context from `fs_context_for_mount` that nothing uses after this call.
    unsafe extern "C" fn put(fc: *mut c_void) {
        // SAFETY: Per the function's contract.
        unsafe { ffi::put_fs_context(fc.cast()) };
    }

    // SAFETY: `kunit_get_current_test` may be called from any task.
    let test = unsafe { ffi::kunit_get_current_test() };
    if test.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: `fs` is NUL-terminated. A type that is found comes with a reference on its
    // module, which keeps it registered.
    let ty = unsafe { ffi::get_fs_type(fs.as_char_ptr()) };
    if ty.is_null() {
        return Err(ENODEV);
    }
    // SAFETY: `ty` is a registered type, held by the module reference `get_fs_type` took.
    let fc = unsafe { ffi::fs_context_for_mount(ty, 0) };
    // SAFETY: Drops the module reference `get_fs_type` took (its `put_filesystem()`); a context
    // that was made holds one of its own.
    unsafe { ffi::module_put((*ty).owner) };
    let fc = kernel::error::from_err_ptr(fc)?;
    // SAFETY: `test` is the running test. From here `put` owns `fc`: KUnit calls it when the
    // test ends, however it ends, unless it is released (and called) below; if it cannot be
    // added it is called at once.
    to_result(unsafe { ffi::kunit_add_action_or_reset(test, Some(put), fc.cast()) })?;
    // SAFETY: `fc` is a valid context until `put` runs, and the `Context` does not outlive
    // this call.
    let r = f(&unsafe { Context::from_raw(fc) });
    // SAFETY: The action added above, for this test and context: it runs `put` now.
    unsafe { ffi::kunit_release_action(test, Some(put), fc.cast()) };
    Ok(r)
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_vfs)]
mod tests {
    use super::*;

    #[test]
    fn parse_numbers_on_the_stack_and_on_the_heap() -> Result {
        // The longest number copied to the stack, and one byte more, which goes to the heap.
        for len in [SMALL_NUMBER, SMALL_NUMBER + 1] {
            let mut v = KVec::with_capacity(len, GFP_KERNEL)?;
            for _ in 1..len {
                v.push(b'0', GFP_KERNEL)?;
            }
            v.push(b'7', GFP_KERNEL)?;
            assert_eq!(parse_u64(&v), Ok(7));
            assert_eq!(parse_i32(&v), Ok(7));
        }
        Ok(())
    }

    #[test]
    fn parse_u64_bases() {
        assert_eq!(parse_u64(b"0"), Ok(0));
        assert_eq!(parse_u64(b"42"), Ok(42));
        assert_eq!(parse_u64(b"+5"), Ok(5));
        // `0` octal, `0x` hex, as `kstrtoull(buf, 0)`.
        assert_eq!(parse_u64(b"010"), Ok(8));
        assert_eq!(parse_u64(b"0x1f"), Ok(31));
        assert_eq!(parse_u64(b"0X1F"), Ok(31));
    }

    #[test]
    fn parse_u64_one_trailing_newline() {
        assert_eq!(parse_u64(b"1\n"), Ok(1));
        assert_eq!(parse_u64(b"1\n\n"), Err(EINVAL));
        assert_eq!(parse_u64(b"\n"), Err(EINVAL));
    }

    #[test]
    fn parse_u64_rejects_junk_and_space() {
        assert_eq!(parse_u64(b""), Err(EINVAL));
        assert_eq!(parse_u64(b" 1"), Err(EINVAL));
        assert_eq!(parse_u64(b"1 "), Err(EINVAL));
        assert_eq!(parse_u64(b"1x"), Err(EINVAL));
        assert_eq!(parse_u64(b"0x"), Err(EINVAL));
        assert_eq!(parse_u64(b"08"), Err(EINVAL));
        assert_eq!(parse_u64(b"yes"), Err(EINVAL));
        // No sign but `+` for an unsigned number.
        assert_eq!(parse_u64(b"-1"), Err(EINVAL));
        assert_eq!(parse_u64(b"-0"), Err(EINVAL));
    }

    #[test]
    fn parse_u64_overflow() {
        assert_eq!(parse_u64(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_u64(b"0xffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), Err(ERANGE));
        assert_eq!(parse_u64(b"0x10000000000000000"), Err(ERANGE));
    }

    #[test]
    fn parse_i32_signs() {
        assert_eq!(parse_i32(b"-0"), Ok(0));
        assert_eq!(parse_i32(b"+0"), Ok(0));
        assert_eq!(parse_i32(b"-1"), Ok(-1));
        assert_eq!(parse_i32(b"+5"), Ok(5));
        assert_eq!(parse_i32(b"-0x10"), Ok(-16));
        assert_eq!(parse_i32(b"--1"), Err(EINVAL));
        assert_eq!(parse_i32(b"+-1"), Err(EINVAL));
        assert_eq!(parse_i32(b"-"), Err(EINVAL));
    }

    #[test]
    fn parse_i32_range() {
        assert_eq!(parse_i32(b"2147483647"), Ok(i32::MAX));
        assert_eq!(parse_i32(b"-2147483648"), Ok(i32::MIN));
        assert_eq!(parse_i32(b"2147483648"), Err(ERANGE));
        assert_eq!(parse_i32(b"-2147483649"), Err(ERANGE));
        assert_eq!(parse_i32(b"0x80000000"), Err(ERANGE));
        assert_eq!(parse_i32(b"99999999999999999999"), Err(ERANGE));
    }

    #[test]
    fn nul_terminated_appends_one_nul() -> Result {
        assert_eq!(&*nul_terminated(b"")?, b"\0");
        assert_eq!(&*nul_terminated(b"ab")?, b"ab\0");
        Ok(())
    }
}
