// SPDX-License-Identifier: GPL-2.0

//! css_sets: the tuples of groups tasks share, their table, and their links to the groups.

use crate::membership::{
    MEMBERSHIP,
    TASKS, //
};
use crate::{
    compat::{
        atomic::Relaxed,
        lock::{
            GlobalGuard,
            GlobalLockedBy, //
        },
        prelude::*, //
    },
    group::Group,
    rcu_free::{
        drop_after_gp,
        RcuHead, //
    },
    sync::CSS_SET_LOCK,
    task_map::{
        Members,
        RefillWork,
        Writer, //
    },
    workqueue::OwnedQueue, //
};
use kernel::sync::Arc;

/// No css_set: the end of a chain of [`Membership::next`], an empty bucket.
pub(super) const NONE: usize = usize::MAX;

/// The fewest buckets of the css_set table.
pub(super) const MIN_BUCKETS: usize = 64;

/// How many css_sets that lost their last task stay listed, *idle*, for the next move that
/// wants the same groups ([`Membership::park`]).
pub(super) const IDLE_MAX: usize = 16;

/// A set of groups shared by the tasks that are in exactly these (non-root) groups.
///
/// Immutable once published, except the use count.
pub(crate) struct CssSet {
    /// The groups, in increasing hierarchy id; never empty.
    pub(super) groups: KVec<Arc<Group>>,
    /// The hash of `groups` ([`hash`]), which picks its bucket in [`Membership::buckets`].
    pub(super) hash: usize,
    /// The tasks using it.
    users: GlobalLockedBy<usize, CSS_SET_LOCK>,
    /// Its slot in [`Membership::csets`] while listed, so that finding and unlisting it take
    /// O(1); meaningless while it is not listed (checked by [`Membership::find`]).
    slot: GlobalLockedBy<usize, CSS_SET_LOCK>,
    /// In [`Membership::idle`].
    parked: GlobalLockedBy<bool, CSS_SET_LOCK>,
    /// The task-map entries of its tasks (v1's `css_set->tasks`), under
    /// [`static@CSS_SET_LOCK`], which guards the task map's writer.
    members: Members<CssSet>,
    /// For the free after a grace period.
    rcu: RcuHead,
}

crate::rcu_free::impl_has_rcu_head! {
    impl HasRcuHead for CssSet { self.rcu }
}

crate::task_map::impl_has_members! {
    impl HasMembers for CssSet { self.members } in TASKS
}

/// The hash of a css_set's groups (the identity of each group, as v1's `css_set_hash()`
/// hashes the subsystem states).
pub(super) fn hash<'a>(groups: impl Iterator<Item = &'a Arc<Group>>) -> usize {
    groups.fold(0usize, |h, g| {
        (h ^ (core::ptr::from_ref::<Group>(g) as usize >> 4))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as usize)
    })
}

/// The groups of the css_set `old` (`None`: the root groups only) with `hier`'s replaced by
/// `group` (left out if it is the root), in increasing hierarchy id, as [`replaced`] builds
/// them, but without building them: a move looks its css_set up without allocating.
///
/// [`replaced`]: super::migration::replaced
pub(super) fn replaced_iter<'a>(
    old: Option<&'a CssSet>,
    hier: u64,
    group: &'a Arc<Group>,
) -> impl Iterator<Item = &'a Arc<Group>> + Clone {
    let groups: &[Arc<Group>] = old.map_or(&[], |o| &o.groups);
    let below = groups.iter().take_while(move |g| g.hier < hier);
    let above = groups.iter().skip_while(move |g| g.hier <= hier);
    let mid = (!group.is_root()).then_some(group);
    Iterator::chain(Iterator::chain(below, mid), above)
}

impl CssSet {
    /// A css_set of `groups` (in increasing hierarchy id), not listed yet.
    pub(super) fn new(groups: KVec<Arc<Group>>) -> Result<Arc<Self>> {
        Ok(Arc::new(
            CssSet {
                hash: hash(groups.iter()),
                groups,
                users: GlobalLockedBy::new(0),
                slot: GlobalLockedBy::new(0),
                parked: GlobalLockedBy::new(false),
                members: Members::new(),
                rcu: RcuHead::new(),
            },
            GFP_KERNEL,
        )?)
    }

    /// The group of hierarchy `hier` in this set, if not the root.
    pub(super) fn group_of(&self, hier: u64) -> Option<&Arc<Group>> {
        self.groups.iter().find(|g| g.hier == hier)
    }

    /// Whether the set holds exactly `groups`, whose hash is `hash`.
    fn is<'a>(&self, hash: usize, groups: impl Iterator<Item = &'a Arc<Group>>) -> bool {
        if self.hash != hash {
            return false;
        }
        let mut mine = self.groups.iter();
        for g in groups {
            match mine.next() {
                Some(m) if Arc::ptr_eq(m, g) => {}
                _ => return false,
            }
        }
        mine.next().is_none()
    }
}

/// The state protected by [`static@CSS_SET_LOCK`], in [`MEMBERSHIP`].
///
/// The css_sets in use are a hash table, as v1's `css_set_table`: [`Membership::find_groups`]
/// finds the css_set of a tuple of groups in O(1). They are kept in slots (`csets`), whose
/// indices the buckets chain, so that every buffer is allocated in process context, before
/// the lock, by the move that lists new css_sets ([`Membership::reserve`]). Unlisting one is
/// O(1) and touches no other css_set: its slot becomes a hole, which the next css_set listed
/// fills (an exit that frees its css_set unlists one, so that is the exit path's cost).
pub(crate) struct Membership {
    /// Every css_set in use, in a slot of its own: the references that keep published
    /// css_sets alive. In no order: each knows its slot ([`CssSet::slot`]); `None` is a hole.
    pub(super) csets: KVec<Option<Arc<CssSet>>>,
    /// Parallel to `csets`: for a css_set, the slot of the next css_set of the same bucket;
    /// for a hole, the next hole; or [`NONE`].
    pub(super) next: KVec<usize>,
    /// The first hole, or [`NONE`].
    free: usize,
    /// The holes.
    holes: usize,
    /// The first css_set of each bucket, or [`NONE`]; a power of two of them, at least as many
    /// as css_sets (none before the first).
    pub(super) buckets: KVec<usize>,
    /// The css_sets that went idle last, in a ring ([`Membership::park`]): each is listed and
    /// [`CssSet::parked`], and none holds a removed group ([`forget`]).
    idle: [Option<Arc<CssSet>>; IDLE_MAX],
    /// The ring's next slot.
    idle_next: usize,
    /// The task map's writer, while the module is live.
    pub(crate) tasks: Option<Writer<CssSet>>,
    /// The work that refills the task map's reserve, and its workqueue, while the module is
    /// live.
    pub(crate) refill: Option<Refiller>,
}

/// What [`Membership::take`] leaves for module exit to free after the lock.
pub(crate) struct Leftovers {
    /// The idle css_sets.
    pub(crate) idle: [Option<Arc<CssSet>>; IDLE_MAX],
    /// The css_set slots (no css_set is left in use by then), their chain links and the
    /// buckets: their buffers.
    pub(crate) csets: KVec<Option<Arc<CssSet>>>,
    pub(crate) next: KVec<usize>,
    pub(crate) buckets: KVec<usize>,
    /// The task map's writer, for `TaskMap::destroy`.
    pub(crate) writer: Option<Writer<CssSet>>,
    /// The refill work, whose workqueue is destroyed when it is dropped.
    pub(crate) refill: Option<Refiller>,
}

/// The task map's refill work and the workqueue it runs on (of its own, so that module exit
/// can wait for it by destroying the queue).
pub(crate) struct Refiller {
    queue: OwnedQueue,
    work: Arc<RefillWork>,
}

impl Refiller {
    /// The work item and its queue, for [`init()`].
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            queue: OwnedQueue::new(c"tcgroup_refill", 1)?,
            work: RefillWork::new(refill)?,
        })
    }
}

impl Membership {
    /// An empty state, for [`MEMBERSHIP`].
    pub(crate) const fn new() -> Self {
        Self {
            csets: KVec::new(),
            next: KVec::new(),
            free: NONE,
            holes: 0,
            buckets: KVec::new(),
            idle: [const { None }; IDLE_MAX],
            idle_next: 0,
            tasks: None,
            refill: None,
        }
    }

    /// Empties the state for module exit, returning what the caller frees after the lock: the
    /// idle css_sets and the lists (empty by then, since no non-root group is left), their
    /// buffers, the task map's writer and the refill work.
    pub(crate) fn take(&mut self) -> Leftovers {
        self.free = NONE;
        self.holes = 0;
        Leftovers {
            idle: core::mem::replace(&mut self.idle, [const { None }; IDLE_MAX]),
            csets: core::mem::take(&mut self.csets),
            next: core::mem::take(&mut self.next),
            buckets: core::mem::take(&mut self.buckets),
            writer: self.tasks.take(),
            refill: self.refill.take(),
        }
    }

    /// Asks process context to refill the task map's reserve (or resize its table) if it
    /// needs it. Any context; never allocates.
    pub(super) fn refill_if_low(&self) {
        if !TASKS.wants_refill() {
            return;
        }
        if let Some(r) = self.refill.as_ref() {
            r.work.queue(r.queue.queue());
        }
    }

    /// The slot of `cset`, if it is listed.
    fn index(guard: &GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) -> Option<usize> {
        let i = *cset.slot.as_ref(guard);
        MEMBERSHIP
            .as_ref(guard)
            .csets
            .get(i)
            .and_then(Option::as_ref)
            .is_some_and(|c| core::ptr::eq(&**c, cset))
            .then_some(i)
    }

    /// The list's reference on `cset`, if it is listed.
    pub(super) fn find<'a>(
        guard: &'a GlobalGuard<CSS_SET_LOCK>,
        cset: &CssSet,
    ) -> Option<&'a Arc<CssSet>> {
        Self::index(guard, cset).and_then(|i| MEMBERSHIP.as_ref(guard).csets[i].as_ref())
    }

    /// The listed css_set of exactly `groups`, whose hash is `hash`.
    pub(super) fn find_groups<'a, 'g>(
        guard: &'a GlobalGuard<CSS_SET_LOCK>,
        hash: usize,
        groups: impl Iterator<Item = &'g Arc<Group>> + Clone,
    ) -> Option<&'a Arc<CssSet>> {
        let m = MEMBERSHIP.as_ref(guard);
        CssSetTable::of(m).find(hash, groups)
    }

    /// The bucket of `hash` among `n` (a power of two, or 0 with no css_set).
    fn bucket(n: usize, hash: usize) -> usize {
        hash & n.wrapping_sub(1)
    }

    /// The buckets wanted for `n` css_sets.
    fn buckets_for(n: usize) -> usize {
        n.next_power_of_two().max(MIN_BUCKETS)
    }

    /// The slots free for css_sets to be listed without growing the lists: the holes and the
    /// room left in the lists' buffers.
    fn room(&self) -> usize {
        let cap = self.csets.capacity().min(self.next.capacity());
        cap - self.csets.len() + self.holes
    }

    /// Makes room, in process context, for `more` css_sets to be listed by a move: reserves
    /// the lists' room and, if the table would get more css_sets than buckets, rehashes it
    /// into a larger one allocated before the lock. Only moves list css_sets, and the caller's
    /// [`static@TCGROUP_MUTEX`] serialises them: the room stays reserved until the move lists them.
    ///
    /// [`static@TCGROUP_MUTEX`]: static@crate::sync::TCGROUP_MUTEX
    pub(super) fn reserve(more: usize) -> Result {
        if more == 0 {
            return Ok(());
        }
        let (len, room, live, nb) = {
            let guard = CSS_SET_LOCK.lock();
            let state = MEMBERSHIP.as_ref(&guard);
            (
                state.csets.len(),
                state.room(),
                state.csets.len() - state.holes,
                state.buckets.len(),
            )
        };
        let need = len + more;
        let want = Self::buckets_for(live + more);
        if more <= room && want <= nb {
            // The usual case: nothing to allocate.
            return Ok(());
        }
        let mut fresh = KVec::new();
        let mut csets_room = KVec::<Option<Arc<CssSet>>>::new();
        let mut next_room = KVec::<usize>::new();
        if want > nb {
            fresh = KVec::from_elem(NONE, want, GFP_KERNEL)?;
        }
        if more > room {
            // The lists grow by doubling, outside the lock: their contents move into buffers
            // allocated here.
            csets_room.reserve(need.max(2 * len), GFP_KERNEL)?;
            next_room.reserve(need.max(2 * len), GFP_KERNEL)?;
        }
        let mut guard = CSS_SET_LOCK.lock();
        let state = MEMBERSHIP.as_mut(&mut guard);
        // Exits only unlist (they make holes, never slots), so the buffers fit and these
        // copies do not allocate; the old list's references are dropped after the lock, never
        // the last ones.
        if state.room() < more && csets_room.capacity() > 0 {
            csets_room.extend_from_slice(&state.csets, GFP_ATOMIC)?;
            core::mem::swap(&mut state.csets, &mut csets_room);
            next_room.extend_from_slice(&state.next, GFP_ATOMIC)?;
            core::mem::swap(&mut state.next, &mut next_room);
        }
        if fresh.len() > state.buckets.len() {
            // Rechained css_sets only: a hole's `next` is the list of holes.
            for (i, c) in state.csets.iter().enumerate() {
                if let Some(c) = c {
                    let b = Self::bucket(fresh.len(), c.hash);
                    state.next[i] = fresh[b];
                    fresh[b] = i;
                }
            }
            core::mem::swap(&mut state.buckets, &mut fresh);
        }
        drop(guard);
        // The old buffers (and the unused new ones) are freed here, outside the lock.
        Ok(())
    }

    /// Lists `cset`, which is not listed yet, in the first hole or a new slot. Does not
    /// allocate: [`Membership::reserve`] made room for it.
    pub(super) fn list(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: Arc<CssSet>) -> Result {
        let (i, b) = {
            let m = MEMBERSHIP.as_ref(guard);
            let b = Self::bucket(m.buckets.len(), cset.hash);
            if b >= m.buckets.len() || m.room() == 0 {
                // The caller did not reserve: never reached.
                return Err(ENOMEM);
            }
            let i = if m.free != NONE {
                m.free
            } else {
                m.csets.len()
            };
            (i, b)
        };
        // The groups' lists first: the only step that can fail, before anything changed.
        Self::link_groups(guard, &cset, i)?;
        *cset.slot.as_mut(guard) = i;
        let m = MEMBERSHIP.as_mut(guard);
        let head = m.buckets[b];
        if i == m.free {
            m.free = m.next[i];
            m.holes -= 1;
            m.next[i] = head;
            m.csets[i] = Some(cset);
        } else {
            m.next.push(head, GFP_ATOMIC)?;
            m.csets.push(Some(cset), GFP_ATOMIC)?;
        }
        m.buckets[b] = i;
        Ok(())
    }

    /// Adds slot `i`, where `cset` is being listed, to the css_set list of each of its groups
    /// ([`Group::csets`], v1's `cgrp_cset_link`). Does not allocate: [`reserve_links`] made
    /// room (`ENOMEM`, with nothing changed, if it did not).
    fn link_groups(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet, i: usize) -> Result {
        let short = cset.groups.iter().any(|g| {
            let v = g.csets.as_ref(guard);
            v.len() == v.capacity()
        });
        if short {
            return Err(ENOMEM);
        }
        for g in cset.groups.iter() {
            // Within the room checked above: no allocation.
            g.csets.as_mut(guard).push(i, GFP_ATOMIC)?;
        }
        Ok(())
    }

    /// Takes slot `i`, of `cset`, off the css_set list of each of its groups, the list's last
    /// taking its place. A scan of each group's list, O(the group's css_sets): a css_set is
    /// unlisted only when it was idle and is evicted (or was never used), not per task, and a
    /// group has one css_set per combination of the other hierarchies' groups of its tasks,
    /// mostly one. Keeping each css_set's place in its groups' lists would make it O(1), for
    /// 8 bytes and a buffer per css_set, which would take the memory per task of a task in a
    /// group of its own past half of v1's. Never allocates.
    fn unlink_groups(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet, i: usize) {
        for g in cset.groups.iter() {
            let v = g.csets.as_mut(guard);
            if let Some(pos) = v.iter().position(|&s| s == i) {
                let len = v.len();
                v[pos] = v[len - 1];
                v.truncate(len - 1);
            }
        }
    }

    /// Takes slot `i`, of a css_set whose hash is `hash`, out of its bucket's chain.
    fn unchain(&mut self, i: usize, hash: usize) {
        let b = Self::bucket(self.buckets.len(), hash);
        if self.buckets[b] == i {
            self.buckets[b] = self.next[i];
            return;
        }
        let mut j = self.buckets[b];
        while j != NONE {
            if self.next[j] == i {
                self.next[j] = self.next[i];
                return;
            }
            j = self.next[j];
        }
    }

    /// Takes `cset` off the list, returning the list's reference; `None` if it is not listed.
    /// Its slot becomes a hole: no other css_set is touched.
    fn unlist(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) -> Option<Arc<CssSet>> {
        let i = Self::index(guard, cset)?;
        Self::unlink_groups(guard, cset, i);
        let m = MEMBERSHIP.as_mut(guard);
        m.unchain(i, cset.hash);
        let removed = m.csets[i].take();
        m.next[i] = m.free;
        m.free = i;
        m.holes += 1;
        removed
    }

    /// Takes `n` tasks' uses of `cset` away: they moved out of its groups or exited. When they
    /// were the last, the css_set leaves the list and is freed after a grace period (the
    /// caller has unpublished it). O(groups), whatever `n`.
    pub(super) fn put(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet, n: usize) {
        if n == 0 {
            return;
        }
        for g in cset.groups.iter() {
            let nr = g.nr_tasks.as_mut(guard);
            *nr -= n;
            if *nr == 0 {
                g.populated_changed();
            }
            // The group had a task and lost it.
            g.releasable.store(true, Relaxed);
            crate::release::check(guard, g);
        }
        let users = cset.users.as_mut(guard);
        *users -= n;
        if *users == 0 {
            Self::park(guard, cset);
        }
    }

    /// Keeps `cset`, which has just lost its last task, listed for the next move to the same
    /// groups: a task moving back and forth between two groups, or between the root and a
    /// group, then finds its css_set in use instead of allocating one and freeing the other
    /// (after a grace period) every time. The ring holds the last [`IDLE_MAX`] of them; the
    /// one it pushes out is evicted. Any context; never allocates.
    fn park(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) {
        if *cset.parked.as_ref(guard) {
            // Idle again before the ring evicted it: it keeps its place.
            return;
        }
        let Some(c) = Self::find(guard, cset).cloned() else {
            return;
        };
        *cset.parked.as_mut(guard) = true;
        let m = MEMBERSHIP.as_mut(guard);
        let i = m.idle_next;
        m.idle_next = (i + 1) % IDLE_MAX;
        if let Some(old) = m.idle[i].replace(c) {
            Self::evict(guard, old);
        }
    }

    /// Takes `cset` out of the idle ring: unlisted (and freed a grace period later) if it is
    /// still idle, left listed if a move took it up again.
    fn evict(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: Arc<CssSet>) {
        *cset.parked.as_mut(guard) = false;
        Self::drop_if_unused(guard, &cset);
        // Never the last reference: the list holds one, or `drop_after_gp` does until a grace
        // period has passed.
        drop(cset);
    }

    /// Unlists `cset` if no task uses it, and frees it a grace period later: an idle css_set
    /// evicted from the ring, or one a move listed for tasks that all turned out to be exiting.
    pub(super) fn drop_if_unused(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) {
        if *cset.users.as_ref(guard) == 0 {
            if let Some(c) = Self::unlist(guard, cset) {
                drop_after_gp(c);
            }
        }
    }

    /// Adds `n` tasks' uses of `cset`. O(groups), whatever `n`.
    pub(super) fn get_ref(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet, n: usize) {
        if n == 0 {
            return;
        }
        for g in cset.groups.iter() {
            let nr = g.nr_tasks.as_mut(guard);
            *nr += n;
            if *nr == n {
                g.populated_changed();
            }
        }
        *cset.users.as_mut(guard) += n;
    }
}

/// Makes room, in process context, in the css_set list ([`Group::csets`]) of each group of
/// `groups` for as many more css_sets as the group appears there: `groups` are the groups of
/// the css_sets a move may list. Only moves list css_sets and the caller's [`static@TCGROUP_MUTEX`]
/// serialises them; the probes only unlist: the room stays until the move lists them.
///
/// [`static@TCGROUP_MUTEX`]: static@crate::sync::TCGROUP_MUTEX
pub(super) fn reserve_links<'a>(groups: impl Iterator<Item = &'a Arc<Group>> + Clone) -> Result {
    for (n, g) in groups.clone().enumerate() {
        // Each group once, at its first appearance, with the count of all of them.
        if groups.clone().take(n).any(|x| Arc::ptr_eq(x, g)) {
            continue;
        }
        let more = groups.clone().filter(|x| Arc::ptr_eq(x, g)).count();
        let (len, cap) = {
            let guard = CSS_SET_LOCK.lock();
            let v = g.csets.as_ref(&guard);
            (v.len(), v.capacity())
        };
        if cap - len >= more {
            continue;
        }
        // The list grows by doubling, its contents copied into a buffer allocated here.
        let mut room = KVec::<usize>::with_capacity((len + more).max(2 * cap), GFP_KERNEL)?;
        let mut guard = CSS_SET_LOCK.lock();
        let v = g.csets.as_mut(&mut guard);
        if v.capacity() - v.len() < more && room.capacity() >= v.len() + more {
            // Within the new buffer's capacity: no allocation.
            room.extend_from_slice(v, GFP_ATOMIC)?;
            core::mem::swap(v, &mut room);
        }
        drop(guard);
        // The old buffer is freed here, outside the lock.
    }
    Ok(())
}

/// The css_set table of a [`Membership`], borrowed apart from its other fields: a move looks
/// css_sets up while it holds the task map's writer.
pub(super) struct CssSetTable<'a> {
    pub(super) csets: &'a KVec<Option<Arc<CssSet>>>,
    pub(super) next: &'a KVec<usize>,
    pub(super) buckets: &'a KVec<usize>,
}

impl<'a> CssSetTable<'a> {
    /// The table of `m`.
    pub(super) fn of(m: &'a Membership) -> Self {
        Self {
            csets: &m.csets,
            next: &m.next,
            buckets: &m.buckets,
        }
    }

    /// Where a move to `group` of `hier` takes the tasks of `from` (`None`: the root groups
    /// only): the css_set of those groups with `hier`'s replaced, looked up by their hash
    /// without building them.
    pub(super) fn destination(
        &self,
        from: Option<&CssSet>,
        hier: u64,
        group: &Arc<Group>,
    ) -> Destination<'a> {
        let groups = replaced_iter(from, hier, group);
        if groups.clone().next().is_none() {
            return Destination::Root;
        }
        match self.find(hash(groups.clone()), groups) {
            Some(c) => Destination::InUse(c),
            None => Destination::Unused,
        }
    }

    /// The listed css_set of exactly `groups`, whose hash is `hash`.
    pub(super) fn find<'g>(
        &self,
        hash: usize,
        groups: impl Iterator<Item = &'g Arc<Group>> + Clone,
    ) -> Option<&'a Arc<CssSet>> {
        let mut i = *self
            .buckets
            .get(Membership::bucket(self.buckets.len(), hash))?;
        while i != NONE {
            // A chained slot holds a css_set.
            let c = self.csets[i].as_ref()?;
            if c.is(hash, groups.clone()) {
                return Some(c);
            }
            i = self.next[i];
        }
        None
    }
}

/// What [`CssSetTable::destination`] found.
pub(super) enum Destination<'a> {
    /// The root groups only: no css_set.
    Root,
    /// This css_set, in use (listed).
    InUse(&'a Arc<CssSet>),
    /// None in use: it has to be allocated.
    Unused,
}

/// The task map's refill work: tops its reserve up and resizes its table, in process context.
pub(super) fn refill() {
    let r = TASKS.refill(|f| {
        let mut guard = CSS_SET_LOCK.lock();
        if let Some(w) = MEMBERSHIP.as_mut(&mut guard).tasks.as_mut() {
            f(w);
        }
    });
    if r.is_err() {
        // The next writer that finds the reserve low asks again.
        crate::compat::pr_warn_once!("cannot refill the task map's reserve; retrying later\n");
    }
}

/// Evicts the idle css_sets that hold `group`, which `rmdir` has just removed: its memory
/// goes with its last reference, and no idle css_set outlives the groups it holds.
pub(crate) fn forget(group: &Group) {
    let mut guard = CSS_SET_LOCK.lock();
    for i in 0..IDLE_MAX {
        let m = MEMBERSHIP.as_mut(&mut guard);
        let holds = m.idle[i]
            .as_ref()
            .is_some_and(|c| c.groups.iter().any(|g| core::ptr::eq(&**g, group)));
        if holds {
            if let Some(c) = m.idle[i].take() {
                Membership::evict(&mut guard, c);
            }
        }
    }
}

/// Hands the task map's writer and refill work to [`Membership`]; from the module's init.
pub(crate) fn init(writer: Writer<CssSet>, refill: Refiller) {
    let mut guard = CSS_SET_LOCK.lock();
    let state = MEMBERSHIP.as_mut(&mut guard);
    state.tasks = Some(writer);
    state.refill = Some(refill);
}

/// The number of css_sets listed (in use, or idle in the ring), for the root's
/// `membership.stats`.
pub(crate) fn css_sets() -> usize {
    let guard = CSS_SET_LOCK.lock();
    let m = MEMBERSHIP.as_ref(&guard);
    m.csets.len() - m.holes
}

#[cfg(tcgroup_kunit_tests)]
mod kunit;
