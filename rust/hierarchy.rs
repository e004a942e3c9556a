// SPDX-License-Identifier: GPL-2.0

//! Hierarchies: the hierarchy list, a hierarchy's release agent and the counts of its calls.
//!
//! A hierarchy is a tree of groups with its options. Mounting finds an existing hierarchy or
//! creates one, following cgroup v1 (`cgroup1_get_tree()`): all mounts of a hierarchy share
//! one superblock, and a hierarchy outlives its last mount while it has child groups, so that
//! mounting it again by name brings the same tree back. The mount options that choose or make a
//! hierarchy are the user ABI's, in [`crate::fs`]; this module is what they act on.

use crate::{
    agent::Stats,
    compat::{
        atomic,
        lock::{
            GlobalGuard,
            GlobalLockedBy, //
        },
        prelude::*,
        CString,
        SetOnce, //
    },
    group::{
        Group,
        Name, //
    },
    sync::TCGROUP_MUTEX,
    vfs::{
        self,
        DirAttrs,
        Owner, //
    },
};
use kernel::{
    sync::{
        Arc,
        SpinLock, //
    },
    ThisModule, //
};

/// The `debug` subsystem's bit in a subsystem mask.
pub(crate) const SUBSYS_DEBUG: u32 = 1 << 0;

/// The longest `release_agent` path, excluding the terminating NUL (`PATH_MAX - 1`, as v1's
/// buffer allows).
pub(crate) const RELEASE_AGENT_MAX: usize = kernel::bindings::PATH_MAX as usize - 1;

/// The id of the next hierarchy.
static NEXT_ID: atomic::Atomic<u64> = atomic::Atomic::new(1);

/// The hierarchy list, under [`static@TCGROUP_MUTEX`]: every hierarchy not destroyed, in increasing
/// id order. The list holds a reference on each.
pub(crate) static HIERARCHIES: GlobalLockedBy<KVec<Arc<Hierarchy>>, TCGROUP_MUTEX> =
    GlobalLockedBy::new(KVec::new());

/// The running module, for the references that hierarchies hold on it; set by
/// `crate::globals` at module init.
static MODULE: SetOnce<&'static ThisModule> = SetOnce::new();

/// Records the running module, once, at module init.
pub(crate) fn set_module(module: &'static ThisModule) {
    MODULE.populate(module);
}

/// The running module.
fn this_module() -> Result<&'static ThisModule> {
    MODULE.copy().ok_or(EINVAL)
}

/// Empties the hierarchy list, at module exit; the caller frees the list after the lock.
pub(crate) fn take_all(guard: &mut GlobalGuard<TCGROUP_MUTEX>) -> KVec<Arc<Hierarchy>> {
    core::mem::take(HIERARCHIES.as_mut(guard))
}

/// The part of a hierarchy's state that [`static@TCGROUP_MUTEX`] protects.
pub(crate) struct HierState {
    /// The superblocks set up for the hierarchy ([`Hierarchy::attach`]) and not yet shut down
    /// ([`Hierarchy::detach`]): the hierarchy is mounted while this is not zero.
    ///
    /// The VFS sets up a new superblock of a hierarchy only once the previous one is dead, and
    /// the previous one is detached before it dies (`Documentation/design.rst`, "Hierarchy"),
    /// so this is 0 or 1; it is a count, not a flag, so that no ordering of an attach and a
    /// detach can make a mounted hierarchy look unmounted.
    mounts: u32,
    /// The hierarchy was destroyed and left the hierarchy list; it is never attached again.
    destroyed: bool,
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
    pub(crate) name: Option<CString>,
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
    pub(crate) root: Arc<Group>,
    /// Attachment and destruction.
    state: GlobalLockedBy<HierState, TCGROUP_MUTEX>,
    /// Agent calls, shared with the calls pending.
    pub(crate) stats: Arc<Stats>,
    /// The reference on the module.
    _module: vfs::ModuleRef,
}

/// The hierarchy `id` of the list `guard` holds; `None` if it was destroyed.
///
/// The list is in increasing id order (a hierarchy gets its id and is appended under the
/// mutex; removal keeps the order), so this is a binary search.
pub(crate) fn find(guard: &GlobalGuard<TCGROUP_MUTEX>, id: u64) -> Option<&Arc<Hierarchy>> {
    let list = HIERARCHIES.as_ref(guard);
    list.binary_search_by_key(&id, |hier| hier.id)
        .ok()
        .map(|i| &list[i])
}

impl Hierarchy {
    /// Creates a hierarchy and its root group, and appends it to the list `guard` holds.
    ///
    /// The root directory is owned by `owner`; the other arguments are the hierarchy's options.
    pub(crate) fn create(
        guard: &mut GlobalGuard<TCGROUP_MUTEX>,
        name: Option<CString>,
        subsys: u32,
        noprefix: bool,
        release_agent: KVec<u8>,
        clone_children: bool,
        owner: Owner,
    ) -> Result<Arc<Self>> {
        // As kernfs makes the root of a v1 hierarchy: `S_IRUGO | S_IXUGO`.
        let root_attrs = DirAttrs {
            ino: vfs::next_ino(),
            mode: 0o555,
            owner,
        };
        let id = NEXT_ID.fetch_add(1, atomic::Relaxed);
        let root = Group::new(id, Name::new(b"")?, None, root_attrs, clone_children)?;
        let module = vfs::ModuleRef::new(this_module()?);
        let stats = Stats::new()?;
        // Nothing can write `release_agent` or release a group before the hierarchy is listed.
        root.stream.set_has_agent(!release_agent.is_empty());
        let hier = Arc::pin_init(
            try_pin_init!(Hierarchy {
                id,
                name,
                subsys,
                noprefix,
                release_agent <- kernel::new_spinlock!(release_agent, "Hierarchy::release_agent"),
                root,
                state: GlobalLockedBy::new(HierState {
                    mounts: 0,
                    destroyed: false,
                }),
                stats,
                _module: module,
            }),
            GFP_KERNEL,
        )?;
        HIERARCHIES.as_mut(guard).push(hier.clone(), GFP_KERNEL)?;
        Ok(hier)
    }

    /// A copy of the release agent's path (empty for none).
    ///
    /// The buffer is allocated before the spinlock is taken, large enough for any path, so the
    /// copy under the lock never allocates (or sleeps).
    pub(crate) fn release_agent(&self) -> Result<KVec<u8>> {
        let mut v = KVec::with_capacity(RELEASE_AGENT_MAX, GFP_KERNEL)?;
        v.extend_from_slice(&self.release_agent.lock(), kernel::alloc::flags::GFP_NOWAIT)?;
        Ok(v)
    }

    /// Whether the release agent's path is `path`.
    pub(crate) fn release_agent_is(&self, path: &[u8]) -> bool {
        **self.release_agent.lock() == *path
    }

    /// Replaces the release agent's path with `path`, whose length the caller checked.
    pub(crate) fn replace_release_agent(&self, path: KVec<u8>) {
        let mut agent = self.release_agent.lock();
        // Under the lock, so that the releases' flag follows the writes in their order.
        self.root.stream.set_has_agent(!path.is_empty());
        let old = core::mem::replace(&mut *agent, path);
        drop(agent);
        // The old path is freed after the lock is dropped.
        drop(old);
    }

    /// Replaces the release agent's path with a copy of `path`.
    pub(crate) fn set_release_agent(&self, path: &[u8]) -> Result {
        if path.len() > RELEASE_AGENT_MAX {
            return Err(ENAMETOOLONG);
        }
        let mut v = KVec::with_capacity(path.len(), GFP_KERNEL)?;
        v.extend_from_slice(path, GFP_KERNEL)?;
        self.replace_release_agent(v);
        Ok(())
    }

    /// Whether the root group has child groups.
    pub(crate) fn has_children(&self) -> bool {
        let guard = TCGROUP_MUTEX.lock();
        self.root.tree.as_ref(&guard).has_children()
    }

    /// Counts a superblock set up for the hierarchy (it is mounted); `EAGAIN` if it was
    /// destroyed meanwhile, for the mount to start over and find or create another.
    pub(crate) fn attach(&self) -> Result {
        let mut guard = TCGROUP_MUTEX.lock();
        let state = self.state.as_mut(&mut guard);
        if state.destroyed {
            return Err(EAGAIN);
        }
        // No overflow: each superblock takes an anonymous device number, of which there are
        // fewer than `u32::MAX`.
        state.mounts += 1;
        Ok(())
    }

    /// A superblock of the hierarchy is being shut down (`attached`: one that
    /// [`Hierarchy::attach`] counted), or a mount of it failed before its superblock was made:
    /// destroys the hierarchy if no other superblock is set up for it and it has no child
    /// groups (as cgroup v1 destroys a root that its failed mount created).
    ///
    /// Called before the superblock dies, while a concurrent mount of the hierarchy still
    /// finds it and waits for its death, so that the decision is taken before any new
    /// superblock can be attached: a mount that chose this hierarchy before it was destroyed
    /// then fails to attach and starts over, as in cgroup v1, whose `cgroup_kill_sb()` kills
    /// the root's reference before the superblock.
    pub(crate) fn detach(self: &Arc<Self>, attached: bool) {
        let mut guard = TCGROUP_MUTEX.lock();
        let has_children = self.root.tree.as_ref(&guard).has_children();
        let state = self.state.as_mut(&mut guard);
        if attached {
            // Never below zero: each attached superblock is detached once.
            state.mounts = state.mounts.saturating_sub(1);
        }
        if state.mounts != 0 || state.destroyed || has_children {
            return;
        }
        // Unmounted and empty: destroy it. The list's reference is dropped after the lock.
        state.destroyed = true;
        let list = HIERARCHIES.as_mut(&mut guard);
        let removed = match list.iter().position(|hier| Arc::ptr_eq(hier, self)) {
            Some(i) => list.remove(i).ok(),
            None => None,
        };
        drop(guard);
        drop(removed);
    }
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_hierarchy)]
mod tests {
    use super::*;

    #[test]
    fn release_agent_max_is_path_max_minus_one() {
        assert_eq!(RELEASE_AGENT_MAX, 4095);
    }
}
