// SPDX-License-Identifier: GPL-2.0

//! Groups: the directories of a hierarchy.
//!
//! A group is created by `mkdir` (the root with its hierarchy) and lives, in an [`Arc`], as
//! long as its parent's list of children, an inode, an open file, a child, its pending agent-call
//! work item or its entry on the retry list refers to it. Everything its release needs (the work
//! item, list links) is allocated with it, so that a release never allocates.
//! `rmdir` marks it removed and unlinks it from its parent; the memory goes with the last
//! reference.
//!
//! A group's children are in a red-black tree keyed by [`Name`], so that `lookup`, `mkdir`,
//! `rename` and `rmdir` take O(log n) in the number of siblings, as kernfs does for cgroup v1.

use crate::{
    compat::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        lock::{
            GlobalGuard,
            GlobalLockedBy, //
        },
        prelude::*,
        CString, //
    },
    stream::{
        escaped_len,
        write_escaped,
        Released,
        Stream, //
    },
    sync::{
        CSS_SET_LOCK,
        RELEASE_LIST,
        TCGROUP_MUTEX, //
    },
    vfs::{
        DirAttrs,
        PollQueue, //
    },
    workqueue::ArcDelayedWork,
};
use core::cmp::Ordering;
use kernel::{
    list::{
        AtomicTracker,
        ListLinks, //
    },
    rbtree::{
        self,
        RBTree,
        RBTreeNodeReservation, //
    },
    sync::Arc, //
};

/// The number of control files in a group directory, one inode number each.
///
/// The control files themselves are the user ABI's (`CFile` in `crate::files`, whose list has
/// exactly this many entries): the model only keeps their inode numbers, so that a group keeps
/// them for its life.
pub(crate) const NR_FILES: usize = 17;

/// The name of a group: the key of its parent's [`Tree::children`].
///
/// Names order by their bytes. kernfs orders a v1 directory by a hash of the name first; the
/// order shows only in `readdir`, which promises none. Clones share the string, so that the
/// tree can be keyed without copying the name or allocating under [`static@TCGROUP_MUTEX`].
///
/// # Invariants
///
/// The string holds no NUL but its terminator (it comes from [`cstring`]).
#[derive(Clone)]
pub(crate) struct Name(Arc<CString>);

impl Name {
    /// Makes the name `bytes`, which hold no NUL (as names from the VFS).
    pub(crate) fn new(bytes: &[u8]) -> Result<Self> {
        Ok(Self(Arc::new(cstring(bytes)?, GFP_KERNEL)?))
    }

    /// The name without its terminator.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.to_bytes()
    }

    /// The name as a C string.
    pub(crate) fn as_cstr(&self) -> &CStr {
        &self.0
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Name {}

/// The shape of the tree around a group, protected by [`static@TCGROUP_MUTEX`].
pub(crate) struct Tree {
    /// The directory name; empty for the root. `rename` changes it (and its key in the
    /// parent's `children`).
    pub(crate) name: Name,
    /// The child groups, by name; the count is in [`Group::nr_children`].
    pub(crate) children: RBTree<Name, Arc<Group>>,
    /// Set by `rmdir`; a removed group has no children and is not in its parent's tree.
    pub(crate) removed: bool,
}

impl Tree {
    /// Whether the group has child groups.
    pub(crate) fn has_children(&self) -> bool {
        self.children.values().next().is_some()
    }

    /// Adds `group`, named `name`, with the node `reservation`; `EEXIST` if the name is taken.
    pub(crate) fn insert(
        &mut self,
        name: Name,
        group: Arc<Group>,
        reservation: RBTreeNodeReservation<Name, Arc<Group>>,
    ) -> Result {
        match self.children.entry(name) {
            rbtree::Entry::Occupied(_) => Err(EEXIST),
            rbtree::Entry::Vacant(slot) => {
                slot.insert(group, reservation);
                Ok(())
            }
        }
    }

    /// Takes `child`, named `name`, out of the tree; `None` if it is not there.
    pub(crate) fn remove(&mut self, child: &Group, name: &Name) -> Option<Arc<Group>> {
        let entry = self.children.find_mut(name)?;
        core::ptr::eq(&**entry.get(), child).then(|| entry.remove())
    }
}

/// A group of tasks: one directory of a hierarchy.
#[pin_data]
pub(crate) struct Group {
    /// The id of the hierarchy the group is in.
    pub(crate) hier: u64,
    /// The parent group; `None` for the root.
    pub(crate) parent: Option<Arc<Group>>,
    /// The identity every inode of the directory gets.
    pub(crate) attrs: DirAttrs,
    /// The inode numbers of the control files, by `CFile::index` (`crate::files`).
    pub(crate) file_inos: [u64; NR_FILES],
    /// `notify_on_release`: run the release agent when the group becomes idle.
    pub(crate) notify_on_release: Atomic<bool>,
    /// `cgroup.clone_children` (kept for cgroup v1 compatibility; no subsystem uses it).
    pub(crate) clone_children: Atomic<bool>,
    /// Whether the group had something (a task, a child, a reference) and lost it.
    pub(crate) releasable: Atomic<bool>,
    /// Outstanding subsystem-state references: open `debug.hold` files.
    pub(crate) refs: Atomic<usize>,
    /// The number of child groups (mirrors `tree.children`, for atomic-context readers).
    pub(crate) nr_children: Atomic<usize>,
    /// Removed by `rmdir` (mirrors `tree.removed`, for atomic-context readers).
    pub(crate) removed: Atomic<bool>,
    /// The group's links on the retry list ([`crate::release`]), under [`static@RELEASE_LIST`].
    #[pin]
    pub(crate) release_links: ListLinks,
    /// Whether the group is on the retry list (a `ListArc` of it exists).
    #[pin]
    pub(crate) release_tracker: AtomicTracker,
    /// The work item that builds and runs the group's release agent call, allocated with it, as
    /// cgroup v1's `release_agent_work`; it holds a reference to the group while pending.
    #[pin]
    pub(crate) release_work: ArcDelayedWork<Group>,
    /// The delay before `release_work` retries after running out of memory, in milliseconds; 0
    /// when its last run built its call. Used by that work item only, which never runs twice at
    /// once.
    pub(crate) release_retry_ms: Atomic<u64>,
    /// The release stream of the hierarchy ([`crate::stream`]), shared by all its groups: a
    /// release records itself there without finding the hierarchy. Immutable.
    pub(crate) stream: Arc<Stream<Group>>,
    /// Children and removal.
    pub(crate) tree: GlobalLockedBy<Tree, TCGROUP_MUTEX>,
    /// The number of tasks in the group (not counted for the root group).
    pub(crate) nr_tasks: GlobalLockedBy<usize, CSS_SET_LOCK>,
    /// The slots (in `crate::membership`'s css_set table) of the listed css_sets that hold the
    /// group, in no order, as v1's `cgrp->cset_links`: listing the group's tasks visits these
    /// alone. Empty for a root group, which no css_set holds.
    pub(crate) csets: GlobalLockedBy<KVec<usize>, CSS_SET_LOCK>,
    /// Changes of `populated` (`cgroup.events`), counted for pollers.
    pub(crate) events_seq: Atomic<u64>,
    /// Child groups and `debug.hold` references gained, counted: with `events_seq`, what tells
    /// a release of the group from the next ([`Group::stream_key`]).
    pub(crate) busy_seq: Atomic<u64>,
    /// `events_seq` and `busy_seq` when the group's last release was recorded in the stream,
    /// under [`static@RELEASE_LIST`]: a release event that finds them unchanged belongs to the same
    /// release (two events that saw the group become idle at once), and is not recorded again.
    pub(crate) stream_key: GlobalLockedBy<Option<(u64, u64)>, RELEASE_LIST>,
    /// Where `cgroup.events` pollers wait.
    #[pin]
    pub(crate) events: PollQueue,
}

impl Group {
    /// Creates a group named `name` under `parent` (the root if `None`), inheriting the
    /// parent's `notify_on_release` and `cgroup.clone_children` as cgroup v1 does.
    pub(crate) fn new(
        hier: u64,
        name: Name,
        parent: Option<Arc<Group>>,
        attrs: DirAttrs,
        clone_children: bool,
    ) -> Result<Arc<Self>> {
        let (notify, clone) = match &parent {
            Some(p) => (
                p.notify_on_release.load(Relaxed),
                p.clone_children.load(Relaxed),
            ),
            None => (false, clone_children),
        };
        let stream = match &parent {
            Some(p) => p.stream.clone(),
            None => Stream::new()?,
        };
        let mut file_inos = [0; NR_FILES];
        for ino in file_inos.iter_mut() {
            *ino = crate::vfs::next_ino();
        }
        Arc::pin_init(
            pin_init!(Group {
                hier,
                parent,
                attrs,
                file_inos,
                notify_on_release: Atomic::new(notify),
                clone_children: Atomic::new(clone),
                releasable: Atomic::new(false),
                refs: Atomic::new(0),
                nr_children: Atomic::new(0),
                removed: Atomic::new(false),
                release_links <- ListLinks::new(),
                release_tracker <- AtomicTracker::new(),
                release_work <- ArcDelayedWork::new(),
                release_retry_ms: Atomic::new(0),
                stream,
                tree: GlobalLockedBy::new(Tree {
                    name,
                    children: RBTree::new(),
                    removed: false,
                }),
                nr_tasks: GlobalLockedBy::new(0),
                csets: GlobalLockedBy::new(KVec::new()),
                events_seq: Atomic::new(0),
                busy_seq: Atomic::new(0),
                stream_key: GlobalLockedBy::new(None),
                events <- PollQueue::new(),
            }),
            GFP_KERNEL,
        )
    }

    /// Tells `cgroup.events` pollers that the group became populated or empty. Any context.
    pub(crate) fn populated_changed(&self) {
        self.events_seq.fetch_add(1, Relaxed);
        self.events.wake();
    }

    /// Counts a child group or a `debug.hold` reference gained: the group's next release is a
    /// new one for the stream.
    pub(crate) fn busied(&self) {
        self.busy_seq.fetch_add(1, Relaxed);
    }

    /// Whether this is the root group of its hierarchy.
    pub(crate) fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    /// Whether tasks are in the group (never asked of a root group, which always has some).
    pub(crate) fn has_tasks(&self) -> bool {
        *self.nr_tasks.as_ref(&CSS_SET_LOCK.lock()) != 0
    }

    /// The names on the group's path from its hierarchy's root, the group's own first (none
    /// for a root): the one walk up the tree that the agent's argument and the stream's
    /// records are built from. O(depth).
    pub(crate) fn names_up<'a>(
        &'a self,
        tree: &'a GlobalGuard<TCGROUP_MUTEX>,
    ) -> impl Iterator<Item = &'a Name> + Clone + 'a {
        let mut cur = Some(self);
        core::iter::from_fn(move || {
            let g = cur?;
            let parent = g.parent.as_deref()?;
            cur = Some(parent);
            Some(&g.tree.as_ref(tree).name)
        })
    }

    /// Appends the group's path from its hierarchy's root, `/a/b` (nothing for a root), to
    /// `buf`: each name takes `len(name)` bytes, written by `write` into a slice that long. Two
    /// walks up, and no allocation but `buf`'s growth, once: the first sizes the path, the
    /// second writes its names from its end. `ENAMETOOLONG` if the path would take `max` bytes
    /// or more: the first walk stops there, however deep the tree goes above. The one builder
    /// of the agent's argument ([`crate::release::path`]) and of the stream's records.
    pub(crate) fn write_path(
        &self,
        tree: &GlobalGuard<TCGROUP_MUTEX>,
        buf: &mut KVec<u8>,
        max: usize,
        len: impl Fn(&[u8]) -> usize,
        write: impl Fn(&mut [u8], &[u8]),
    ) -> Result {
        let mut total = 0usize;
        for name in self.names_up(tree) {
            total += 1 + len(name.as_bytes());
            if total >= max {
                return Err(ENAMETOOLONG);
            }
        }
        let start = buf.len();
        buf.extend_with(total, 0, GFP_KERNEL)?;
        // Filled from the end, the group's own name last.
        let mut end = start + total;
        for name in self.names_up(tree) {
            let name = name.as_bytes();
            let n = len(name);
            write(&mut buf[end - n..end], name);
            buf[end - n - 1] = b'/';
            end -= n + 1;
        }
        Ok(())
    }

    /// Finds the child `name`.
    pub(crate) fn child(
        &self,
        guard: &GlobalGuard<TCGROUP_MUTEX>,
        name: &Name,
    ) -> Option<Arc<Group>> {
        self.tree.as_ref(guard).children.get(name).cloned()
    }
}

impl Released for Group {
    /// The group's path from its hierarchy's root, `/a/b`, its names escaped: O(depth), of
    /// any length.
    fn push_path(&self, tree: &GlobalGuard<TCGROUP_MUTEX>, buf: &mut KVec<u8>) -> Result {
        self.write_path(tree, buf, usize::MAX, escaped_len, write_escaped)
    }
}

/// Makes a C string of `bytes`, which hold no NUL (as names from the VFS).
pub(crate) fn cstring(bytes: &[u8]) -> Result<CString> {
    let mut v = KVec::with_capacity(bytes.len() + 1, GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    v.push(0, GFP_KERNEL)?;
    let s = CStr::from_bytes_with_nul(&v).map_err(|_| EINVAL)?;
    Ok(CString::try_from(s)?)
}

/// A group named `name` under `parent`, in no hierarchy, for the KUnit tests.
#[cfg(tcgroup_kunit_tests)]
pub(crate) fn test_group(parent: Option<&Arc<Group>>, name: &[u8]) -> Result<Arc<Group>> {
    let attrs = DirAttrs {
        ino: crate::vfs::next_ino(),
        mode: 0o755,
        owner: crate::vfs::Owner::GLOBAL_ROOT,
    };
    Group::new(0, Name::new(name)?, parent.cloned(), attrs, false)
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_group)]
mod tests {
    use super::*;

    #[test]
    fn stream_path_escapes_separators_in_octal() -> Result {
        let root = test_group(None, b"")?;
        let a = test_group(Some(&root), b"a b")?;
        let g = test_group(Some(&a), b"x\ny\\z\t")?;
        let mut buf = KVec::new();
        g.push_path(&TCGROUP_MUTEX.lock(), &mut buf)?;
        assert_eq!(&buf[..], b"/a\\040b/x\\012y\\134z\\011");
        // Appended after what the buffer holds; the root's path is empty.
        let mut line = KVec::new();
        line.extend_from_slice(b"7 ", GFP_KERNEL)?;
        root.push_path(&TCGROUP_MUTEX.lock(), &mut line)?;
        a.push_path(&TCGROUP_MUTEX.lock(), &mut line)?;
        assert_eq!(&line[..], b"7 /a\\040b");
        Ok(())
    }

    #[test]
    fn cstring_of_a_name() -> Result {
        assert_eq!(cstring(b"")?.to_bytes_with_nul(), b"\0");
        assert_eq!(cstring(b"a b\n")?.to_bytes_with_nul(), b"a b\n\0");
        Ok(())
    }

    #[test]
    fn name_with_a_nul_is_einval() {
        assert!(Name::new(b"a\0b").err() == Some(EINVAL));
        assert!(Name::new(b"\0").err() == Some(EINVAL));
    }

    #[test]
    fn names_order_by_bytes() -> Result {
        let (a, b, ab, upper) = (
            Name::new(b"a")?,
            Name::new(b"b")?,
            Name::new(b"ab")?,
            Name::new(b"B")?,
        );
        assert!(a < ab && ab < b);
        assert!(upper < a);
        assert!(a == Name::new(b"a")?);
        assert_eq!(ab.as_bytes(), b"ab");
        assert_eq!(ab.as_cstr().to_bytes(), b"ab");
        Ok(())
    }
}
