// SPDX-License-Identifier: GPL-2.0

//! The `tcgroup` filesystem type: its mount options and the VFS callbacks, the user ABI over
//! the hierarchies of [`crate::hierarchy`] and the control files of [`crate::files`].
//!
//! Mounting parses the options (`release_agent=`, `name=`, `none`, `all`, `noprefix`,
//! `clone_children`, the subsystem names) as cgroup v1's `cgroup1_parse_param()` and
//! `check_cgroupfs_options()` do, and finds the hierarchy they name or creates one
//! (`cgroup1_get_tree()`). Directory operations check what only the ABI knows (the control
//! files' names) and leave the tree changes to [`crate::dir_ops`].

use crate::{
    compat::{
        atomic,
        prelude::*,
        CString, //
    },
    dir_ops,
    files::{
        self,
        CFile,
        Node,
        Open, //
    },
    group::{
        Group,
        Name, //
    },
    hierarchy::{
        Hierarchy,
        HIERARCHIES,
        RELEASE_AGENT_MAX,
        SUBSYS_DEBUG, //
    },
    sync::TCGROUP_MUTEX,
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
use kernel::sync::Arc;

/// Every subsystem tcgroup provides.
const SUBSYS_ALL: u32 = SUBSYS_DEBUG;

/// The subsystems: name and bit, in `/proc/mounts` order.
const SUBSYSTEMS: [(&CStr, u32); 1] = [(c"debug", SUBSYS_DEBUG)];

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
        let mut guard = TCGROUP_MUTEX.lock();
        for hier in HIERARCHIES.as_ref(&guard).iter() {
            // A name asked for must match; a name match with other subsystems is EBUSY.
            let name_match = match &opts.name {
                Some(n) if hier.name.as_deref() != Some(&**n) => continue,
                Some(_) => true,
                None => false,
            };
            if explicit && mask != hier.subsys {
                if !name_match {
                    continue;
                }
                return Err(fc.invalf(EBUSY, fmt!("subsystems differ from the existing hierarchy")));
            }
            // Unlike v1, which ignores them with a warning, options that would make this mount
            // behave differently from the existing hierarchy are refused.
            if opts.noprefix != hier.noprefix {
                return Err(fc.invalf(EBUSY, fmt!("noprefix differs from the existing hierarchy")));
            }
            if let Some(agent) = &opts.release_agent {
                if !hier.release_agent_is(agent) {
                    return Err(fc.invalf(
                        EBUSY,
                        fmt!("release_agent differs from the existing hierarchy"),
                    ));
                }
            }
            return Ok(hier.clone());
        }

        // No such hierarchy: create one. A name alone finds existing hierarchies only.
        if !explicit {
            return Err(fc.invalf(EINVAL, fmt!("No subsys list or none specified")));
        }
        if HIERARCHIES
            .as_ref(&guard)
            .iter()
            .any(|hier| hier.subsys & mask != 0)
        {
            return Err(fc.invalf(EBUSY, fmt!("subsystem already bound to another hierarchy")));
        }
        Hierarchy::create(
            &mut guard,
            opts.name.take(),
            mask,
            opts.noprefix,
            opts.release_agent.take().unwrap_or_default(),
            opts.clone_children,
            fc.owner(),
        )
    }

    fn attach(hier: &Arc<Hierarchy>) -> Result {
        hier.attach()
    }

    fn detach(hier: &Arc<Hierarchy>, attached: bool) {
        hier.detach(attached)
    }

    fn reconfigure(hier: &Hierarchy, opts: &mut MountOptions, fc: &Context<'_>) -> Result {
        if opts.all && opts.subsys != 0 {
            return Err(fc.invalf(EINVAL, fmt!("subsys name conflicts with all")));
        }
        if opts.none && opts.subsys != 0 {
            return Err(fc.invalf(EINVAL, fmt!("none used incorrectly")));
        }
        // As v1: the flags and the name cannot change...
        let name_differs = matches!(&opts.name, Some(n) if hier.name.as_deref() != Some(&**n));
        if opts.noprefix != hier.noprefix || name_differs {
            return Err(fc.invalf(EINVAL, fmt!("option or name mismatch")));
        }
        // ... and a hierarchy with child groups cannot be remounted at all.
        if hier.has_children() {
            return Err(EBUSY);
        }
        // Subsystems stay bound as they are: naming them again is fine, naming others is not.
        let mask = if opts.all { SUBSYS_ALL } else { opts.subsys };
        if (mask != 0 || opts.none) && mask != hier.subsys {
            return Err(fc.invalf(EINVAL, fmt!("subsystems cannot change at remount")));
        }
        if let Some(agent) = opts.release_agent.take() {
            hier.replace_release_agent(agent);
        }
        Ok(())
    }

    fn show_options(hier: &Hierarchy, writer: &mut OptionWriter<'_>) -> Result {
        for (name, bit) in SUBSYSTEMS {
            if hier.subsys & bit != 0 {
                writer.option(name, None);
            }
        }
        if hier.noprefix {
            writer.option(c"noprefix", None);
        }
        let agent = hier.release_agent()?;
        if !agent.is_empty() {
            writer.option(c"release_agent", Some(&agent));
        }
        if hier.root.clone_children.load(atomic::Relaxed) {
            writer.option(c"clone_children", None);
        }
        if let Some(name) = &hier.name {
            writer.option(c"name", Some(name.to_bytes()));
        }
        Ok(())
    }

    fn root(hier: &Hierarchy) -> Arc<Group> {
        hier.root.clone()
    }

    fn dir_attrs(group: &Group) -> DirAttrs {
        group.attrs
    }

    fn parent_ino(group: &Group) -> u64 {
        group
            .parent
            .as_ref()
            .map_or(group.attrs.ino, |parent| parent.attrs.ino)
    }

    fn subdirs(group: &Group) -> u32 {
        group
            .nr_children
            .load(atomic::Relaxed)
            .try_into()
            .unwrap_or(u32::MAX)
    }

    fn lookup(
        hier: &Arc<Hierarchy>,
        group: &Arc<Group>,
        name: &[u8],
    ) -> Result<Option<Entry<Self>>> {
        if let Some(file) = CFile::ALL
            .iter()
            .find(|file| file.exists_in(hier, group) && file.is_named(hier, name))
        {
            let node = files::node(hier, group, *file)?;
            return Ok(Some(Entry::File(
                node,
                file.mode(),
                group.file_inos[file.index()],
            )));
        }
        let key = Name::new(name)?;
        let guard = TCGROUP_MUTEX.lock();
        Ok(group.child(&guard, &key).map(Entry::Dir))
    }

    fn read_dir(hier: &Hierarchy, group: &Group, out: &mut KVec<DirEntry>) -> Result {
        for file in CFile::ALL.iter().filter(|file| file.exists_in(hier, group)) {
            let name = file.name(hier)?;
            out.push(
                DirEntry {
                    name: crate::group::cstring(&name)?,
                    ino: group.file_inos[file.index()],
                    is_dir: false,
                },
                GFP_KERNEL,
            )?;
        }
        let guard = TCGROUP_MUTEX.lock();
        for child in group.tree.as_ref(&guard).children.values() {
            out.push(
                DirEntry {
                    name: CString::try_from(child.tree.as_ref(&guard).name.as_cstr())?,
                    ino: child.attrs.ino,
                    is_dir: true,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(())
    }

    fn mkdir(
        hier: &Hierarchy,
        parent: &Arc<Group>,
        name: &[u8],
        attrs: DirAttrs,
    ) -> Result<Arc<Group>> {
        // A control file of the parent has the name: the user ABI's check, before the model's
        // (a name with a newline, which `dir_ops::mkdir` refuses, is no control file's).
        if CFile::ALL
            .iter()
            .any(|file| file.exists_in(hier, parent) && file.is_named(hier, name))
        {
            return Err(EEXIST);
        }
        dir_ops::mkdir(hier.id, parent, name, attrs)
    }

    fn rmdir(_hier: &Hierarchy, parent: &Group, victim: &Group) -> Result {
        dir_ops::rmdir(parent, victim)
    }

    fn rename(_hier: &Hierarchy, parent: &Group, dir: &Group, name: &[u8]) -> Result {
        dir_ops::rename(parent, dir, name)
    }

    fn open(node: &Arc<Node>, write: bool, cred: &FileCred<'_>) -> Result<Open> {
        files::open(node, write, cred)
    }

    fn is_stream(node: &Node) -> bool {
        node.file == CFile::ReleaseStream
    }

    fn read_stream(
        _node: &Node,
        open: &Open,
        nonblock: bool,
        out: &mut vfs::StreamWriter,
    ) -> Result<usize> {
        match open {
            Open::Stream(sub) => sub.read(nonblock, out),
            _ => Err(EINVAL),
        }
    }

    fn stream_ready(_node: &Node, open: &Open) -> vfs::StreamReady {
        match open {
            Open::Stream(sub) => sub.ready(),
            _ => vfs::StreamReady::Empty,
        }
    }

    fn show(node: &Node, open: &Open, out: &mut KVec<u8>) -> Result {
        files::show(node, open, out)
    }

    fn poll_queue(node: &Node) -> Option<&vfs::PollQueue> {
        match node.file {
            CFile::Events => Some(&node.group.events),
            CFile::ReleaseStream => Some(node.group.stream.queue()),
            _ => None,
        }
    }

    fn poll_pending(node: &Node, open: &Open) -> bool {
        files::poll_pending(node, open)
    }

    fn max_write(node: &Node) -> Option<usize> {
        files::max_write(node)
    }

    fn write(node: &Node, open: &Open, buf: &[u8], cred: &FileCred<'_>) -> Result {
        files::write(node, open, buf, cred)
    }
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_fs)]
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
            let mut opts = TcgroupFs::init_options()?;
            for key in [c"none", c"all", c"noprefix", c"clone_children", c"debug"] {
                assert_eq!(parse(&mut opts, fc, key, None), Ok(true));
                assert_eq!(parse(&mut opts, fc, key, Some(c"1")), Err(EINVAL));
            }
            assert!(opts.none && opts.all && opts.noprefix && opts.clone_children);
            assert_eq!(opts.subsys, SUBSYS_DEBUG);
            Ok(())
        })?
    }

    #[test]
    fn unknown_options_go_back_to_the_vfs() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut opts = TcgroupFs::init_options()?;
            // The VFS then refuses them ("Unknown parameter"), or takes `source`.
            assert_eq!(parse(&mut opts, fc, c"foo", None), Ok(false));
            assert_eq!(parse(&mut opts, fc, c"source", Some(c"none")), Ok(false));
            assert_eq!(parse(&mut opts, fc, c"cpu", None), Ok(false));
            assert_eq!(parse(&mut opts, fc, c"Debug", None), Ok(false));
            Ok(())
        })?
    }

    #[test]
    fn release_agent_once_and_not_empty() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut opts = TcgroupFs::init_options()?;
            assert_eq!(parse(&mut opts, fc, c"release_agent", None), Err(EINVAL));
            assert_eq!(
                parse(&mut opts, fc, c"release_agent", Some(c"")),
                Err(EINVAL)
            );
            assert!(opts.release_agent.is_none());
            let a = c"/sbin/agent";
            assert_eq!(parse(&mut opts, fc, c"release_agent", Some(a)), Ok(true));
            assert_eq!(opts.release_agent.as_deref(), Some(a.to_bytes()));
            assert_eq!(parse(&mut opts, fc, c"release_agent", Some(a)), Err(EINVAL));
            Ok(())
        })?
    }

    #[test]
    fn release_agent_up_to_path_max_minus_one() -> Result {
        let longest = repeated(b'a', RELEASE_AGENT_MAX)?;
        let too_long = repeated(b'a', RELEASE_AGENT_MAX + 1)?;
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut opts = TcgroupFs::init_options()?;
            let v = Some(cstr(&too_long)?);
            assert_eq!(parse(&mut opts, fc, c"release_agent", v), Err(ENAMETOOLONG));
            let v = Some(cstr(&longest)?);
            assert_eq!(parse(&mut opts, fc, c"release_agent", v), Ok(true));
            assert_eq!(opts.release_agent.as_ref().map(|a| a.len()), Some(4095));
            Ok(())
        })?
    }

    #[test]
    fn name_characters() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            for good in [c"a", c"jobs", c"A-Z_a.z-0.9", c"...", c"-"] {
                let mut opts = TcgroupFs::init_options()?;
                assert_eq!(parse(&mut opts, fc, c"name", Some(good)), Ok(true));
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
                let mut opts = TcgroupFs::init_options()?;
                assert_eq!(parse(&mut opts, fc, c"name", Some(bad)), Err(EINVAL));
                assert!(opts.name.is_none());
            }
            Ok(())
        })?
    }

    #[test]
    fn name_empty_or_flag_is_einval() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut opts = TcgroupFs::init_options()?;
            assert_eq!(parse(&mut opts, fc, c"name", Some(c"")), Err(EINVAL));
            assert_eq!(parse(&mut opts, fc, c"name", None), Err(EINVAL));
            Ok(())
        })?
    }

    #[test]
    fn name_up_to_63_bytes() -> Result {
        let longest = repeated(b'n', 63)?;
        let too_long = repeated(b'n', 64)?;
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut opts = TcgroupFs::init_options()?;
            assert_eq!(
                parse(&mut opts, fc, c"name", Some(cstr(&too_long)?)),
                Err(EINVAL)
            );
            assert_eq!(
                parse(&mut opts, fc, c"name", Some(cstr(&longest)?)),
                Ok(true)
            );
            Ok(())
        })?
    }

    #[test]
    fn name_respecified_is_einval() -> Result {
        vfs::with_mount_context(c"tcgroup", |fc| -> Result {
            let mut opts = TcgroupFs::init_options()?;
            assert_eq!(parse(&mut opts, fc, c"name", Some(c"x")), Ok(true));
            assert_eq!(parse(&mut opts, fc, c"name", Some(c"x")), Err(EINVAL));
            assert_eq!(parse(&mut opts, fc, c"name", Some(c"y")), Err(EINVAL));
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
            let (opts, mask) = mount(fc, &[(c"name", Some(c"x"))])?;
            assert!(mask == 0 && !opts.none);
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
}
