// SPDX-License-Identifier: GPL-2.0

//! Changes of a group tree: `mkdir`, `rmdir` and `rename`.
//!
//! The shape of every tree is under [`static@TCGROUP_MUTEX`]. A group created by `mkdir` inherits
//! its parent's flags; `rmdir` refuses a group with a child, a task or a reference (`EBUSY`),
//! marks it removed (its pending agent call is then dropped) and checks its parent, which lost a
//! child; `rename` moves a group to another name under the same parent. The user ABI
//! ([`crate::fs`]) checks what only it knows (the names of the control files) before calling
//! these.

use crate::{
    compat::{
        atomic,
        prelude::*, //
    },
    group::{
        Group,
        Name, //
    },
    sync::TCGROUP_MUTEX,
    vfs::DirAttrs,
};
use kernel::{
    rbtree::RBTreeNodeReservation,
    sync::Arc, //
};

/// Checks the name of a new or renamed group as v1 does: a newline would break the agent's
/// argument and every listing (`EINVAL`). The VFS has refused `/`, NUL, `.` and `..`.
fn check_dir_name(name: &[u8]) -> Result {
    if name.contains(&b'\n') {
        return Err(EINVAL);
    }
    Ok(())
}

/// `mkdir`: creates the group `name` with the identity `attrs` under `parent`, in the hierarchy
/// `hier`.
///
/// The caller (the user ABI) has checked that no control file of `parent` has the name.
pub(crate) fn mkdir(
    hier: u64,
    parent: &Arc<Group>,
    name: &[u8],
    attrs: DirAttrs,
) -> Result<Arc<Group>> {
    check_dir_name(name)?;
    let key = Name::new(name)?;
    let group = Group::new(hier, key.clone(), Some(parent.clone()), attrs, false)?;
    // The tree node is allocated before the lock: inserting cannot fail but for the name.
    let reservation = RBTreeNodeReservation::new(GFP_KERNEL)?;
    let mut guard = TCGROUP_MUTEX.lock();
    let tree = parent.tree.as_mut(&mut guard);
    if tree.removed {
        return Err(ENOENT);
    }
    tree.insert(key, group.clone(), reservation)?;
    parent.nr_children.fetch_add(1, atomic::Relaxed);
    parent.busied();
    Ok(group)
}

/// `rmdir`: removes `victim`, a child of `parent`, if it has no child, task or reference
/// (`EBUSY`).
pub(crate) fn rmdir(parent: &Group, victim: &Group) -> Result {
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
    // A removed group gets no agent call: its pending work item, if any, finds it removed.
    let name = victim.tree.as_ref(&guard).name.clone();
    let removed = parent.tree.as_mut(&mut guard).remove(victim, &name);
    if let Some(parent) = victim.parent.as_ref().filter(|_| removed.is_some()) {
        parent.nr_children.fetch_sub(1, atomic::Relaxed);
        // The parent had a child and lost it.
        parent.releasable.store(true, atomic::Relaxed);
        crate::release::check_locked(parent);
    }
    // No idle css_set keeps the removed group.
    crate::membership::forget(victim);
    // The list's reference is dropped after the lock.
    drop(guard);
    drop(removed);
    // Pollers of the removed group's `cgroup.events` learn that it is gone.
    victim.populated_changed();
    Ok(())
}

/// `rename`: renames `dir`, a child of `parent`, to `name` (in the same parent).
pub(crate) fn rename(parent: &Group, dir: &Group, name: &[u8]) -> Result {
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

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_dir_ops)]
mod tests {
    use super::*;

    #[test]
    fn group_names() {
        assert_eq!(check_dir_name(b"batch"), Ok(()));
        assert_eq!(check_dir_name(b"a b\t.c"), Ok(()));
        assert_eq!(check_dir_name(b"a\nb"), Err(EINVAL));
        assert_eq!(check_dir_name(b"\n"), Err(EINVAL));
        assert_eq!(check_dir_name(b"trailing\n"), Err(EINVAL));
    }
}
