// SPDX-License-Identifier: GPL-2.0

//! Hierarchies: the `tcgroup` filesystem type, its mount options and the hierarchy list.
//!
//! A hierarchy is a tree of groups with its options. Mounting finds an existing hierarchy or
//! creates one, following cgroup v1 (`cgroup1_get_tree()`): all mounts of a hierarchy share
//! one superblock, and a hierarchy outlives its last mount while it has child groups, so that
//! mounting it again by name brings the same tree back.

use crate::{
    compat::{
        atomic,
        lock::{
            GlobalGuard,
            GlobalLockedBy, //
        },
        prelude::*,
        CString, //
    },
    files::{
        self,
        CFile,
        Node,
        Open,
        RELEASE_AGENT_MAX, //
    },
    group::{
        Group,
        Name, //
    },
    sync::{
        this_module,
        TCGROUP_MUTEX, //
    },
    vfs::{
        self,
        Context,
        DirAttrs,
        DirEntry,
        Entry,
        FileCred,
        OptionWriter,
        Param,
        Parsed, //
    },
};
use kernel::{
    rbtree::RBTreeNodeReservation,
    sync::{
        Arc,
        SpinLock, //
    },
};

/// The `debug` subsystem's bit in a subsystem mask.
pub(crate) const SUBSYS_DEBUG: u32 = 1 << 0;

/// Every subsystem tcgroup provides.
const SUBSYS_ALL: u32 = SUBSYS_DEBUG;

/// The subsystems: name and bit, in `/proc/mounts` order.
const SUBSYSTEMS: [(&CStr, u32); 1] = [(c"debug", SUBSYS_DEBUG)];

/// The id of the next hierarchy.
static NEXT_ID: atomic::Atomic<u64> = atomic::Atomic::new(1);

/// The longest hierarchy name, as v1's `MAX_CGROUP_ROOT_NAMELEN - 1`.
const NAME_MAX: usize = 63;

/// The `tcgroup` filesystem type.
pub(crate) struct TcgroupFs;

/// The options of one mount or remount request.
///
/// Owned by the mount context; only touched by the VFS callbacks of that context, which the
/// VFS serialises.
#[derive(Default)]
pub(crate) struct MountOptions {
    /// `release_agent=PATH`.
    release_agent: Option<KVec<u8>>,
    /// `name=NAME`.
    name: Option<CString>,
    /// `none`.
    none: bool,
    /// `all`.
    all: bool,
    /// `noprefix`.
    noprefix: bool,
    /// `clone_children`.
    clone_children: bool,
    /// The subsystems named.
    subsys: u32,
}

/// The part of a hierarchy's state that [`TCGROUP_MUTEX`] protects.
pub(crate) struct HierState {
    /// A superblock is set up for the hierarchy (it is mounted somewhere).
    attached: bool,
    /// The hierarchy was destroyed and left the hierarchy list; it is never attached again.
    dead: bool,
}

/// One hierarchy.
///
/// Lifetime: created by a mount, on the hierarchy list (which holds a reference) until its last
/// superblock goes away while it has no child groups. Superblocks, control file inodes and open
/// files hold further references. While the hierarchy exists it holds a reference on the
/// module, so that unmounted hierarchies keep the module loaded as mounted ones do.
#[pin_data]
pub(crate) struct Hierarchy {
    /// A number no other hierarchy of this module load has.
    pub(crate) id: u64,
    /// `name=`, if any.
    name: Option<CString>,
    /// The subsystems bound to the hierarchy.
    pub(crate) subsys: u32,
    /// `noprefix`: subsystem files without the `debug.` prefix.
    pub(crate) noprefix: bool,
    /// The release agent's path; empty for none.
    ///
    /// A spinlock, as cgroup v1's `release_agent_path_lock`: readers copy the path out.
    #[pin]
    release_agent: SpinLock<KVec<u8>>,
    /// The root group.
    root: Arc<Group>,
    /// Attachment and destruction.
    state: GlobalLockedBy<HierState, TCGROUP_MUTEX>,
    /// Agent calls.
    pub(crate) stats: crate::release::Stats,
    /// The reference on the module.
    _module: vfs::ModuleRef,
}

/// The hierarchy `id` of the list `guard` holds; `None` if it was destroyed.
///
/// The list is in increasing id order (a hierarchy gets its id and is appended under the
/// mutex; removal keeps the order), so this is a binary search.
pub(crate) fn find(guard: &GlobalGuard<TCGROUP_MUTEX>, id: u64) -> Option<&Arc<Hierarchy>> {
    guard
        .binary_search_by_key(&id, |h| h.id)
        .ok()
        .map(|i| &guard[i])
}

impl Hierarchy {
    /// A copy of the release agent's path (empty for none).
    ///
    /// The buffer is allocated before the spinlock is taken, large enough for any path, so the
    /// copy under the lock never allocates (or sleeps).
    pub(crate) fn release_agent(&self) -> Result<KVec<u8>> {
        let mut v = KVec::with_capacity(RELEASE_AGENT_MAX, GFP_KERNEL)?;
        v.extend_from_slice(&self.release_agent.lock(), kernel::alloc::flags::GFP_NOWAIT)?;
        Ok(v)
    }

    /// Replaces the release agent's path.
    pub(crate) fn set_release_agent(&self, path: &[u8]) -> Result {
        if path.len() > RELEASE_AGENT_MAX {
            return Err(ENAMETOOLONG);
        }
        let mut v = KVec::with_capacity(path.len(), GFP_KERNEL)?;
        v.extend_from_slice(path, GFP_KERNEL)?;
        // The old path is freed after the lock is dropped.
        let _old = core::mem::replace(&mut *self.release_agent.lock(), v);
        Ok(())
    }
}

/// Checks a hierarchy name as v1 does: `[A-Za-z0-9._-]{1,63}`.
fn check_name(fc: &Context<'_>, name: &[u8]) -> Result {
    if name.is_empty() {
        return Err(fc.invalf(EINVAL, fmt!("Empty name")));
    }
    if name.len() > NAME_MAX {
        return Err(fc.invalf(EINVAL, fmt!("Name too long")));
    }
    if !name
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
    {
        return Err(fc.invalf(EINVAL, fmt!("Invalid name")));
    }
    Ok(())
}

/// Checks the name of a new or renamed group as v1 does: a newline would break the agent's
/// argument and every listing (`EINVAL`). The VFS has refused `/`, NUL, `.` and `..`.
fn check_dir_name(name: &[u8]) -> Result {
    if name.contains(&b'\n') {
        return Err(EINVAL);
    }
    Ok(())
}

impl MountOptions {
    /// `check_cgroupfs_options()`: resolves `all` and the default, and refuses combinations
    /// v1 refuses. Returns the subsystem mask the mount asks for.
    fn check(&self, fc: &Context<'_>) -> Result<u32> {
        let mut mask = self.subsys;
        // In the absence of `none`, `name=` and subsystem names, default to `all`.
        let all = self.all || (mask == 0 && !self.none && self.name.is_none());
        if all {
            if mask != 0 {
                return Err(fc.invalf(EINVAL, fmt!("subsys name conflicts with all")));
            }
            mask = SUBSYS_ALL;
        }
        if mask == 0 && self.name.is_none() {
            return Err(fc.invalf(EINVAL, fmt!("Need name or subsystem set")));
        }
        if mask != 0 && self.none {
            return Err(fc.invalf(EINVAL, fmt!("none used incorrectly")));
        }
        Ok(mask)
    }
}

/// Makes a flag option out of `param`, refusing a value.
fn flag(fc: &Context<'_>, param: &Param<'_>, opt: &mut bool) -> Result<Parsed> {
    if param.value.is_some() {
        return Err(fc.invalf(EINVAL, fmt!("Bad value for '{}'", param.key.to_str()?)));
    }
    *opt = true;
    Ok(Parsed::Accepted)
}

/// The value of a string option, refusing a flag or an empty value.
fn string<'a>(fc: &Context<'_>, param: &Param<'a>) -> Result<&'a CStr> {
    match param.value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(fc.invalf(EINVAL, fmt!("Bad value for '{}'", param.key.to_str()?))),
    }
}

impl vfs::FileSystem for TcgroupFs {
    const NAME: &'static CStr = c"tcgroup";

    type Options = MountOptions;
    type Data = Hierarchy;
    type Dir = Group;
    type Node = Node;
    type Open = Open;

    fn init_options() -> Result<MountOptions> {
        Ok(MountOptions::default())
    }

    fn parse_param(opts: &mut MountOptions, fc: &Context<'_>, param: Param<'_>) -> Result<Parsed> {
        match param.key.to_bytes() {
            b"none" => flag(fc, &param, &mut opts.none),
            b"all" => flag(fc, &param, &mut opts.all),
            b"noprefix" => flag(fc, &param, &mut opts.noprefix),
            b"clone_children" => flag(fc, &param, &mut opts.clone_children),
            b"release_agent" => {
                if opts.release_agent.is_some() {
                    return Err(fc.invalf(EINVAL, fmt!("release_agent respecified")));
                }
                // The agent runs with full privileges: only the initial namespace's
                // administrator may choose it (CVE-2022-0492).
                if !fc.initial_ns_admin() {
                    return Err(fc.invalf(EINVAL, fmt!("Setting release_agent not allowed")));
                }
                let value = string(fc, &param)?.to_bytes();
                if value.len() > RELEASE_AGENT_MAX {
                    return Err(fc.invalf(
                        ENAMETOOLONG,
                        fmt!("release_agent longer than {RELEASE_AGENT_MAX} bytes"),
                    ));
                }
                let mut v = KVec::with_capacity(value.len(), GFP_KERNEL)?;
                v.extend_from_slice(value, GFP_KERNEL)?;
                opts.release_agent = Some(v);
                Ok(Parsed::Accepted)
            }
            b"name" => {
                let value = string(fc, &param)?;
                check_name(fc, value.to_bytes())?;
                if opts.name.is_some() {
                    return Err(fc.invalf(EINVAL, fmt!("name respecified")));
                }
                opts.name = Some(CString::try_from(value)?);
                Ok(Parsed::Accepted)
            }
            key => match SUBSYSTEMS.iter().find(|(n, _)| n.to_bytes() == key) {
                Some(&(_, bit)) => {
                    let mut set = false;
                    flag(fc, &param, &mut set)?;
                    opts.subsys |= bit;
                    Ok(Parsed::Accepted)
                }
                None => Ok(Parsed::Unknown),
            },
        }
    }

    fn get_data(opts: &mut MountOptions, fc: &Context<'_>) -> Result<Arc<Hierarchy>> {
        let mask = opts.check(fc)?;
        let explicit = mask != 0 || opts.none;
        let mut list = TCGROUP_MUTEX.lock();
        for h in list.iter() {
            // A name asked for must match; a name match with other subsystems is EBUSY.
            let name_match = match &opts.name {
                Some(n) if h.name.as_deref() != Some(&**n) => continue,
                Some(_) => true,
                None => false,
            };
            if explicit && mask != h.subsys {
                if !name_match {
                    continue;
                }
                return Err(fc.invalf(EBUSY, fmt!("subsystems differ from the existing hierarchy")));
            }
            // Unlike v1, which ignores them with a warning, options that would make this mount
            // behave differently from the existing hierarchy are refused.
            if opts.noprefix != h.noprefix {
                return Err(fc.invalf(EBUSY, fmt!("noprefix differs from the existing hierarchy")));
            }
            if let Some(agent) = &opts.release_agent {
                if **agent != **h.release_agent.lock() {
                    return Err(fc.invalf(
                        EBUSY,
                        fmt!("release_agent differs from the existing hierarchy"),
                    ));
                }
            }
            return Ok(h.clone());
        }

        // No such hierarchy: create one. A name alone finds existing hierarchies only.
        if !explicit {
            return Err(fc.invalf(EINVAL, fmt!("No subsys list or none specified")));
        }
        if list.iter().any(|h| h.subsys & mask != 0) {
            return Err(fc.invalf(EBUSY, fmt!("subsystem already bound to another hierarchy")));
        }
        // As kernfs makes the root of a v1 hierarchy: `S_IRUGO | S_IXUGO`.
        let root_attrs = DirAttrs {
            ino: vfs::next_ino(),
            mode: 0o555,
            owner: fc.owner(),
        };
        let id = NEXT_ID.fetch_add(1, atomic::Relaxed);
        let root = Group::new(id, Name::new(b"")?, None, root_attrs, opts.clone_children)?;
        let agent = opts.release_agent.take().unwrap_or_default();
        let name = opts.name.take();
        let module = vfs::ModuleRef::new(this_module()?);
        let h = Arc::pin_init(
            try_pin_init!(Hierarchy {
                id,
                name,
                subsys: mask,
                noprefix: opts.noprefix,
                release_agent <- kernel::new_spinlock!(agent, "Hierarchy::release_agent"),
                root,
                state: GlobalLockedBy::new(HierState {
                    attached: false,
                    dead: false,
                }),
                stats: crate::release::Stats::new(),
                _module: module,
            }),
            GFP_KERNEL,
        )?;
        list.push(h.clone(), GFP_KERNEL)?;
        Ok(h)
    }

    fn attach(h: &Arc<Hierarchy>) -> Result {
        let mut guard = TCGROUP_MUTEX.lock();
        let state = h.state.as_mut(&mut guard);
        if state.dead {
            return Err(EAGAIN);
        }
        state.attached = true;
        Ok(())
    }

    fn detach(h: &Arc<Hierarchy>, attached: bool) {
        let mut guard = TCGROUP_MUTEX.lock();
        let has_children = h.root.tree.as_ref(&guard).has_children();
        let state = h.state.as_mut(&mut guard);
        if attached {
            state.attached = false;
        }
        if state.attached || state.dead || has_children {
            return;
        }
        // Unmounted and empty: destroy it. The list's reference is dropped after the lock.
        state.dead = true;
        let removed = match guard.iter().position(|x| Arc::ptr_eq(x, h)) {
            Some(i) => guard.remove(i).ok(),
            None => None,
        };
        drop(guard);
        drop(removed);
    }

    fn reconfigure(h: &Hierarchy, opts: &mut MountOptions, fc: &Context<'_>) -> Result {
        if opts.all && opts.subsys != 0 {
            return Err(fc.invalf(EINVAL, fmt!("subsys name conflicts with all")));
        }
        if opts.none && opts.subsys != 0 {
            return Err(fc.invalf(EINVAL, fmt!("none used incorrectly")));
        }
        // As v1: the flags and the name cannot change...
        let name_differs = matches!(&opts.name, Some(n) if h.name.as_deref() != Some(&**n));
        if opts.noprefix != h.noprefix || name_differs {
            return Err(fc.invalf(EINVAL, fmt!("option or name mismatch")));
        }
        // ... and a hierarchy with child groups cannot be remounted at all.
        {
            let guard = TCGROUP_MUTEX.lock();
            if h.root.tree.as_ref(&guard).has_children() {
                return Err(EBUSY);
            }
        }
        // Subsystems stay bound as they are: naming them again is fine, naming others is not.
        let mask = if opts.all { SUBSYS_ALL } else { opts.subsys };
        if (mask != 0 || opts.none) && mask != h.subsys {
            return Err(fc.invalf(EINVAL, fmt!("subsystems cannot change at remount")));
        }
        if let Some(agent) = opts.release_agent.take() {
            let _old = core::mem::replace(&mut *h.release_agent.lock(), agent);
        }
        Ok(())
    }

    fn show_options(h: &Hierarchy, m: &mut OptionWriter<'_>) -> Result {
        for (name, bit) in SUBSYSTEMS {
            if h.subsys & bit != 0 {
                m.option(name, None);
            }
        }
        if h.noprefix {
            m.option(c"noprefix", None);
        }
        let agent = h.release_agent()?;
        if !agent.is_empty() {
            m.option(c"release_agent", Some(&agent));
        }
        if h.root.clone_children.load(atomic::Relaxed) {
            m.option(c"clone_children", None);
        }
        if let Some(name) = &h.name {
            m.option(c"name", Some(name.to_bytes()));
        }
        Ok(())
    }

    fn root(h: &Hierarchy) -> Arc<Group> {
        h.root.clone()
    }

    fn dir_attrs(g: &Group) -> DirAttrs {
        g.attrs
    }

    fn parent_ino(g: &Group) -> u64 {
        g.parent.as_ref().map_or(g.attrs.ino, |p| p.attrs.ino)
    }

    fn subdirs(g: &Group) -> u32 {
        g.nr_children
            .load(atomic::Relaxed)
            .try_into()
            .unwrap_or(u32::MAX)
    }

    fn lookup(h: &Arc<Hierarchy>, g: &Arc<Group>, name: &[u8]) -> Result<Option<Entry<Self>>> {
        if let Some(f) = CFile::ALL
            .iter()
            .find(|f| f.exists_in(h, g) && f.is_named(h, name))
        {
            let node = files::node(h, g, *f)?;
            return Ok(Some(Entry::File(node, f.mode(), g.file_inos[f.index()])));
        }
        let key = Name::new(name)?;
        let guard = TCGROUP_MUTEX.lock();
        Ok(g.child(&guard, &key).map(Entry::Dir))
    }

    fn read_dir(h: &Hierarchy, g: &Group, out: &mut KVec<DirEntry>) -> Result {
        for f in CFile::ALL.iter().filter(|f| f.exists_in(h, g)) {
            let name = f.name(h)?;
            out.push(
                DirEntry {
                    name: crate::group::cstring(&name)?,
                    ino: g.file_inos[f.index()],
                    is_dir: false,
                },
                GFP_KERNEL,
            )?;
        }
        let guard = TCGROUP_MUTEX.lock();
        for c in g.tree.as_ref(&guard).children.values() {
            out.push(
                DirEntry {
                    name: CString::try_from(c.tree.as_ref(&guard).name.as_cstr())?,
                    ino: c.attrs.ino,
                    is_dir: true,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(())
    }

    fn mkdir(
        h: &Hierarchy,
        parent: &Arc<Group>,
        name: &[u8],
        attrs: DirAttrs,
    ) -> Result<Arc<Group>> {
        check_dir_name(name)?;
        if CFile::ALL
            .iter()
            .any(|f| f.exists_in(h, parent) && f.is_named(h, name))
        {
            return Err(EEXIST);
        }
        let key = Name::new(name)?;
        let group = Group::new(h.id, key.clone(), Some(parent.clone()), attrs, false)?;
        // The tree node is allocated before the lock: inserting cannot fail but for the name.
        let reservation = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let mut guard = TCGROUP_MUTEX.lock();
        let tree = parent.tree.as_mut(&mut guard);
        if tree.removed {
            return Err(ENOENT);
        }
        tree.insert(key, group.clone(), reservation)?;
        parent.nr_children.fetch_add(1, atomic::Relaxed);
        Ok(group)
    }

    fn rmdir(_h: &Hierarchy, parent: &Group, victim: &Group) -> Result {
        let mut guard = TCGROUP_MUTEX.lock();
        if victim.tree.as_ref(&guard).removed {
            return Err(ENOENT);
        }
        if victim.tree.as_ref(&guard).has_children()
            || victim.has_tasks()
            || victim.refs.load(atomic::Relaxed) != 0
        {
            return Err(EBUSY);
        }
        victim.tree.as_mut(&mut guard).removed = true;
        victim.removed.store(true, atomic::Relaxed);
        // A removed group gets no agent call: off the release list if it is on it.
        crate::release::unlist(victim);
        let name = victim.tree.as_ref(&guard).name.clone();
        let removed = parent.tree.as_mut(&mut guard).remove(victim, &name);
        if let Some(parent) = victim.parent.as_ref().filter(|_| removed.is_some()) {
            parent.nr_children.fetch_sub(1, atomic::Relaxed);
            // The parent had a child and lost it.
            parent.releasable.store(true, atomic::Relaxed);
            crate::release::check_locked(parent);
        }
        // The list's reference is dropped after the lock.
        drop(guard);
        drop(removed);
        // Pollers of the removed group's `cgroup.events` learn that it is gone.
        victim.populated_changed();
        Ok(())
    }

    fn rename(_h: &Hierarchy, parent: &Group, dir: &Group, name: &[u8]) -> Result {
        check_dir_name(name)?;
        let new = Name::new(name)?;
        // The node for the new key is allocated before the lock, as in `mkdir`.
        let reservation = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let mut guard = TCGROUP_MUTEX.lock();
        if dir.tree.as_ref(&guard).removed {
            return Err(ENOENT);
        }
        if parent.child(&guard, &new).is_some() {
            return Err(EEXIST);
        }
        let old = dir.tree.as_ref(&guard).name.clone();
        let tree = parent.tree.as_mut(&mut guard);
        let this = tree.remove(dir, &old).ok_or(ENOENT)?;
        // Cannot fail: `new` was found free under the same lock.
        tree.insert(new.clone(), this, reservation)?;
        dir.tree.as_mut(&mut guard).name = new;
        drop(guard);
        drop(old);
        Ok(())
    }

    fn open(node: &Arc<Node>, write: bool) -> Result<Open> {
        files::open(node, write)
    }

    fn show(node: &Node, open: &Open, out: &mut KVec<u8>) -> Result {
        files::show(node, open, out)
    }

    fn poll_queue(node: &Node) -> Option<&vfs::PollQueue> {
        (node.file == CFile::Events).then_some(&node.group.events)
    }

    fn poll_pending(node: &Node, open: &Open) -> bool {
        files::poll_pending(node, open)
    }

    fn max_write(node: &Node) -> Option<usize> {
        files::max_write(node)
    }

    fn write(node: &Node, _open: &Open, buf: &[u8], cred: &FileCred<'_>) -> Result {
        files::write(node, buf, cred)
    }
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_hierarchy)]
mod tests {
    use super::*;
    use crate::vfs::FileSystem;

    /// Parses `key[=value]` into `opts`: whether the option was `Accepted` (or `Unknown`).
    fn parse(
        opts: &mut MountOptions,
        fc: &Context<'_>,
        key: &CStr,
        value: Option<&CStr>,
    ) -> Result<bool> {
        let parsed = TcgroupFs::parse_param(opts, fc, Param { key, value })?;
        Ok(matches!(parsed, Parsed::Accepted))
    }

    /// Parses the options `list` into new options and returns them with their subsystem mask
    /// (`check()`), or the first error.
    fn mount(fc: &Context<'_>, list: &[(&CStr, Option<&CStr>)]) -> Result<(MountOptions, u32)> {
        let mut opts = TcgroupFs::init_options()?;
        for (key, value) in list {
            if !parse(&mut opts, fc, key, *value)? {
                return Err(ENOENT);
            }
        }
        let mask = opts.check(fc)?;
        Ok((opts, mask))
    }

    /// `len` times `c`, NUL-terminated.
    fn repeated(c: u8, len: usize) -> Result<KVec<u8>> {
        let mut v = KVec::with_capacity(len + 1, GFP_KERNEL)?;
        for _ in 0..len {
            v.push(c, GFP_KERNEL)?;
        }
        v.push(0, GFP_KERNEL)?;
        Ok(v)
    }

    /// A C string of the NUL-terminated `v`.
    fn cstr(v: &[u8]) -> Result<&CStr> {
        CStr::from_bytes_with_nul(v).map_err(|_| EINVAL)
    }

    #[test]
    fn flags_take_no_value() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut o = TcgroupFs::init_options()?;
            for key in [c"none", c"all", c"noprefix", c"clone_children", c"debug"] {
                assert_eq!(parse(&mut o, fc, key, None), Ok(true));
                assert_eq!(parse(&mut o, fc, key, Some(c"1")), Err(EINVAL));
            }
            assert!(o.none && o.all && o.noprefix && o.clone_children);
            assert_eq!(o.subsys, SUBSYS_DEBUG);
            Ok(())
        })?
    }

    #[test]
    fn unknown_options_go_back_to_the_vfs() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut o = TcgroupFs::init_options()?;
            // The VFS then refuses them ("Unknown parameter"), or takes `source`.
            assert_eq!(parse(&mut o, fc, c"foo", None), Ok(false));
            assert_eq!(parse(&mut o, fc, c"source", Some(c"none")), Ok(false));
            assert_eq!(parse(&mut o, fc, c"cpu", None), Ok(false));
            assert_eq!(parse(&mut o, fc, c"Debug", None), Ok(false));
            Ok(())
        })?
    }

    #[test]
    fn release_agent_once_and_not_empty() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut o = TcgroupFs::init_options()?;
            assert_eq!(parse(&mut o, fc, c"release_agent", None), Err(EINVAL));
            assert_eq!(parse(&mut o, fc, c"release_agent", Some(c"")), Err(EINVAL));
            assert!(o.release_agent.is_none());
            let a = c"/sbin/agent";
            assert_eq!(parse(&mut o, fc, c"release_agent", Some(a)), Ok(true));
            assert_eq!(o.release_agent.as_deref(), Some(a.to_bytes()));
            assert_eq!(parse(&mut o, fc, c"release_agent", Some(a)), Err(EINVAL));
            Ok(())
        })?
    }

    #[test]
    fn release_agent_up_to_path_max_minus_one() -> Result {
        let longest = repeated(b'a', RELEASE_AGENT_MAX)?;
        let too_long = repeated(b'a', RELEASE_AGENT_MAX + 1)?;
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut o = TcgroupFs::init_options()?;
            let v = Some(cstr(&too_long)?);
            assert_eq!(parse(&mut o, fc, c"release_agent", v), Err(ENAMETOOLONG));
            let v = Some(cstr(&longest)?);
            assert_eq!(parse(&mut o, fc, c"release_agent", v), Ok(true));
            assert_eq!(o.release_agent.as_ref().map(|a| a.len()), Some(4095));
            Ok(())
        })?
    }

    #[test]
    fn name_characters() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            for good in [c"a", c"jobs", c"A-Z_a.z-0.9", c"...", c"-"] {
                let mut o = TcgroupFs::init_options()?;
                assert_eq!(parse(&mut o, fc, c"name", Some(good)), Ok(true));
            }
            for bad in [
                c"a b",
                c"a/b",
                c"a\nb",
                c"jobs\n",
                c"a,b",
                c"a=b",
                c"\xc3\xa9",
            ] {
                let mut o = TcgroupFs::init_options()?;
                assert_eq!(parse(&mut o, fc, c"name", Some(bad)), Err(EINVAL));
                assert!(o.name.is_none());
            }
            Ok(())
        })?
    }

    #[test]
    fn name_empty_or_flag_is_einval() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut o = TcgroupFs::init_options()?;
            assert_eq!(parse(&mut o, fc, c"name", Some(c"")), Err(EINVAL));
            assert_eq!(parse(&mut o, fc, c"name", None), Err(EINVAL));
            Ok(())
        })?
    }

    #[test]
    fn name_up_to_63_bytes() -> Result {
        let longest = repeated(b'n', 63)?;
        let too_long = repeated(b'n', 64)?;
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut o = TcgroupFs::init_options()?;
            assert_eq!(
                parse(&mut o, fc, c"name", Some(cstr(&too_long)?)),
                Err(EINVAL)
            );
            assert_eq!(parse(&mut o, fc, c"name", Some(cstr(&longest)?)), Ok(true));
            Ok(())
        })?
    }

    #[test]
    fn name_respecified_is_einval() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut o = TcgroupFs::init_options()?;
            assert_eq!(parse(&mut o, fc, c"name", Some(c"x")), Ok(true));
            assert_eq!(parse(&mut o, fc, c"name", Some(c"x")), Err(EINVAL));
            assert_eq!(parse(&mut o, fc, c"name", Some(c"y")), Err(EINVAL));
            Ok(())
        })?
    }

    #[test]
    fn subsystems_default_to_all() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            assert_eq!(mount(fc, &[])?.1, SUBSYS_ALL);
            assert_eq!(mount(fc, &[(c"all", None)])?.1, SUBSYS_ALL);
            assert_eq!(mount(fc, &[(c"debug", None)])?.1, SUBSYS_DEBUG);
            assert_eq!(mount(fc, &[(c"noprefix", None)])?.1, SUBSYS_ALL);
            Ok(())
        })?
    }

    #[test]
    fn subsystems_none_needs_a_name() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            assert!(mount(fc, &[(c"none", None)]).err() == Some(EINVAL));
            assert_eq!(mount(fc, &[(c"none", None), (c"name", Some(c"x"))])?.1, 0);
            // A name alone binds nothing: it can only find an existing hierarchy.
            let (o, mask) = mount(fc, &[(c"name", Some(c"x"))])?;
            assert!(mask == 0 && !o.none);
            Ok(())
        })?
    }

    #[test]
    fn subsystems_conflicts_are_einval() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let all_debug = [(c"all", None), (c"debug", None)];
            assert!(mount(fc, &all_debug).err() == Some(EINVAL));
            let none_debug = [(c"none", None), (c"debug", None), (c"name", Some(c"x"))];
            assert!(mount(fc, &none_debug).err() == Some(EINVAL));
            let none_all = [(c"none", None), (c"all", None)];
            assert!(mount(fc, &none_all).err() == Some(EINVAL));
            Ok(())
        })?
    }

    #[test]
    fn group_names() {
        assert_eq!(check_dir_name(b"batch"), Ok(()));
        assert_eq!(check_dir_name(b"a b\t.c"), Ok(()));
        assert_eq!(check_dir_name(b"a\nb"), Err(EINVAL));
        assert_eq!(check_dir_name(b"\n"), Err(EINVAL));
        assert_eq!(check_dir_name(b"trailing\n"), Err(EINVAL));
    }
}
