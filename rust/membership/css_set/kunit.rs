// SPDX-License-Identifier: GPL-2.0

//! The KUnit suite of the css_set table: look-up by groups, the links to the groups, the
//! idle ring. It works on the module's own table, with groups of no hierarchy (detached, as
//! [`test_group`] makes them), which no real css_set holds.
//!
//! [`test_group`]: crate::group::test_group

use crate::compat::prelude::*;

#[kunit_tests(tcgroup_css_set)]
mod tests {
    use crate::group::test_group;
    use crate::membership::css_set::*;

    /// A css_set of `groups`, listed with its links, as a move lists one.
    fn listed(groups: &[&Arc<Group>]) -> Result<Arc<CssSet>> {
        let mut v = KVec::with_capacity(groups.len(), GFP_KERNEL)?;
        for g in groups {
            v.push((*g).clone(), GFP_KERNEL)?;
        }
        let cset = CssSet::new(v)?;
        Membership::reserve(1)?;
        reserve_links(cset.groups.iter())?;
        Membership::list(&mut CSS_SET_LOCK.lock(), cset.clone())?;
        Ok(cset)
    }

    /// Whether `cset` is listed, and is what the table finds for its groups.
    fn found(cset: &Arc<CssSet>) -> bool {
        let guard = CSS_SET_LOCK.lock();
        let by_groups = Membership::find_groups(&guard, cset.hash, cset.groups.iter())
            .is_some_and(|c| Arc::ptr_eq(c, cset));
        Membership::find(&guard, cset).is_some_and(|c| Arc::ptr_eq(c, cset)) && by_groups
    }

    /// How many of `group`'s css_set links name `cset`'s slot.
    fn links(group: &Group, cset: &CssSet) -> usize {
        let guard = CSS_SET_LOCK.lock();
        let slot = *cset.slot.as_ref(&guard);
        group
            .csets
            .as_ref(&guard)
            .iter()
            .filter(|&&s| s == slot)
            .count()
    }

    #[test]
    fn listed_css_set_is_found_by_its_groups_and_linked() -> Result {
        let root = test_group(None, b"")?;
        let a = test_group(Some(&root), b"a")?;
        let b = test_group(Some(&root), b"b")?;
        let ab = listed(&[&a, &b])?;
        assert!(found(&ab));
        assert_eq!(links(&a, &ab), 1);
        assert_eq!(links(&b, &ab), 1);
        assert_eq!(a.csets.as_ref(&CSS_SET_LOCK.lock()).len(), 1);
        // The same groups in the other order, or fewer of them, are another css_set.
        {
            let guard = CSS_SET_LOCK.lock();
            let ba = [b.clone(), a.clone()];
            assert!(Membership::find_groups(&guard, hash(ba.iter()), ba.iter()).is_none());
            let only = [a.clone()];
            assert!(Membership::find_groups(&guard, hash(only.iter()), only.iter()).is_none());
        }
        // Where a move takes a css_set's tasks: found by the hash of the groups, not built.
        let only_a = listed(&[&a])?;
        {
            let guard = CSS_SET_LOCK.lock();
            let table = CssSetTable::of(MEMBERSHIP.as_ref(&guard));
            assert!(matches!(
                table.destination(Some(&only_a), b.hier, &b),
                Destination::Unused
            ));
            assert!(matches!(
                table.destination(None, a.hier, &a),
                Destination::InUse(c) if Arc::ptr_eq(c, &only_a)
            ));
            assert!(matches!(
                table.destination(Some(&only_a), root.hier, &root),
                Destination::Root
            ));
        }
        assert_eq!(a.csets.as_ref(&CSS_SET_LOCK.lock()).len(), 2);
        // Unused: unlisted, and unlinked from its groups only.
        for c in [&ab, &only_a] {
            Membership::drop_if_unused(&mut CSS_SET_LOCK.lock(), c);
        }
        assert!(!found(&ab) && !found(&only_a));
        assert!(a.csets.as_ref(&CSS_SET_LOCK.lock()).is_empty());
        assert!(b.csets.as_ref(&CSS_SET_LOCK.lock()).is_empty());
        Ok(())
    }

    #[test]
    fn used_css_set_is_not_dropped_and_counts_its_tasks() -> Result {
        let root = test_group(None, b"")?;
        let a = test_group(Some(&root), b"a")?;
        let c = listed(&[&a])?;
        {
            let mut guard = CSS_SET_LOCK.lock();
            Membership::get_ref(&mut guard, &c, 3);
            assert_eq!(*a.nr_tasks.as_ref(&guard), 3);
            Membership::drop_if_unused(&mut guard, &c);
        }
        assert!(found(&c));
        {
            let mut guard = CSS_SET_LOCK.lock();
            Membership::put(&mut guard, &c, 2);
            assert_eq!(*a.nr_tasks.as_ref(&guard), 1);
            assert!(!*c.parked.as_ref(&guard));
            Membership::put(&mut guard, &c, 1);
            assert_eq!(*a.nr_tasks.as_ref(&guard), 0);
        }
        // Idle: parked, still listed and linked, for the next move to the same groups.
        assert!(found(&c));
        assert!(*c.parked.as_ref(&CSS_SET_LOCK.lock()));
        assert_eq!(links(&a, &c), 1);
        // `rmdir` of its group evicts it.
        forget(&a);
        assert!(!found(&c));
        assert!(!*c.parked.as_ref(&CSS_SET_LOCK.lock()));
        assert!(a.csets.as_ref(&CSS_SET_LOCK.lock()).is_empty());
        Ok(())
    }

    #[test]
    fn idle_ring_evicts_the_oldest() -> Result {
        let root = test_group(None, b"")?;
        let mut groups = KVec::with_capacity(IDLE_MAX + 1, GFP_KERNEL)?;
        let mut csets = KVec::with_capacity(IDLE_MAX + 1, GFP_KERNEL)?;
        for _ in 0..=IDLE_MAX {
            let g = test_group(Some(&root), b"g")?;
            let c = listed(&[&g])?;
            let mut guard = CSS_SET_LOCK.lock();
            Membership::get_ref(&mut guard, &c, 1);
            Membership::put(&mut guard, &c, 1);
            drop(guard);
            groups.push(g, GFP_KERNEL)?;
            csets.push(c, GFP_KERNEL)?;
        }
        // The ring holds the last `IDLE_MAX`: the first was pushed out and unlisted.
        assert!(!found(&csets[0]));
        assert!(groups[0].csets.as_ref(&CSS_SET_LOCK.lock()).is_empty());
        for c in csets.iter().skip(1) {
            assert!(found(c));
        }
        // A parked css_set taken up again by a task, then idle again, keeps its place.
        {
            let mut guard = CSS_SET_LOCK.lock();
            Membership::get_ref(&mut guard, &csets[1], 1);
            Membership::put(&mut guard, &csets[1], 1);
        }
        assert!(found(&csets[1]));
        for g in groups.iter() {
            forget(g);
        }
        for c in csets.iter() {
            assert!(!found(c));
        }
        Ok(())
    }
}
