// SPDX-License-Identifier: GPL-2.0

//! Task membership: css_sets, the task map, attaching, listing, fork and exit.
//!
//! Every task is in one group of each hierarchy. A [`CssSet`] is the tuple of a task's
//! non-root groups, one per hierarchy at most; tasks with the same tuple share one. A task in
//! root groups only has no entry and costs no memory.
//!
//! Readers find a task's css_set in [`TASKS`] under RCU, without locks. Writers -- the fork
//! and exit probes, which run in atomic context, and moves -- hold [`static@CSS_SET_LOCK`], a
//! spinlock, which also protects the css_set list and every use count; moves also hold
//! [`static@TCGROUP_MUTEX`] (taken first), which serialises every change of a task's css_set other
//! than exit. A css_set that loses its last task is taken off the list and unpublished, and
//! freed only after a grace period ([`drop_after_gp`]), since readers may still hold it.

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
        rcu,
        ARef, //
    },
    group::Group,
    rcu::{
        drop_after_gp,
        Members,
        RcuHead,
        RefillWork,
        Source,
        TaskMap,
        Writer,
        RESERVE, //
    },
    sync::{
        CSS_SET_LOCK,
        TCGROUP_MUTEX, //
    },
    task::{
        self,
        TaskKey, //
    },
    tracepoint::ForkExit,
    vfs::FileCred,
    workqueue::OwnedQueue,
};
use kernel::{
    sync::Arc,
    task::Task, //
};

/// The css_set table and the task map's writer, under [`static@CSS_SET_LOCK`].
///
/// Set up by `crate::globals` at module init (the writer and the refill work) and emptied by it
/// at module exit ([`Membership::take`]).
pub(crate) static MEMBERSHIP: GlobalLockedBy<Membership, CSS_SET_LOCK> =
    GlobalLockedBy::new(Membership::new());

/// Every task's css_set, by task, for readers under RCU; initialised and destroyed by
/// `crate::globals`.
pub(crate) static TASKS: TaskMap<CssSet> = TaskMap::uninit();

/// How often a listing is retried when tasks appear faster than its buffer grows.
const LIST_RETRIES: usize = 8;

/// How often moving a thread group re-checks for threads created during the move.
const PROCS_RETRIES: usize = 16;

/// Forks whose child found the task map's reserve empty and got its entry from a `GFP_ATOMIC`
/// allocation.
static FORK_ALLOCATED: Atomic<u64> = Atomic::new(0);

/// Forks whose child could not be given its parent's groups: the reserve was empty and the
/// `GFP_ATOMIC` allocation failed. The child stays in the root groups.
static FORK_FAILED: Atomic<u64> = Atomic::new(0);

/// No css_set: the end of a chain of [`Membership::next`], an empty bucket.
const NONE: usize = usize::MAX;

/// The fewest buckets of the css_set table.
const MIN_BUCKETS: usize = 64;

/// How many css_sets that lost their last task stay listed, *idle*, for the next move that
/// wants the same groups ([`Membership::park`]).
const IDLE_MAX: usize = 16;

/// A set of groups shared by the tasks that are in exactly these (non-root) groups.
///
/// Immutable once published, except the use count.
pub(crate) struct CssSet {
    /// The groups, in increasing hierarchy id; never empty.
    groups: KVec<Arc<Group>>,
    /// The hash of `groups` ([`hash`]), which picks its bucket in [`Membership::buckets`].
    hash: usize,
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

crate::rcu::impl_has_rcu_head! {
    impl HasRcuHead for CssSet { self.rcu }
}

crate::rcu::impl_has_members! {
    impl HasMembers for CssSet { self.members } in TASKS
}

/// The hash of a css_set's groups (the identity of each group, as v1's `css_set_hash()`
/// hashes the subsystem states).
fn hash<'a>(groups: impl Iterator<Item = &'a Arc<Group>>) -> usize {
    groups.fold(0usize, |h, g| {
        (h ^ (core::ptr::from_ref::<Group>(g) as usize >> 4))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as usize)
    })
}

/// The groups of the css_set `old` (`None`: the root groups only) with `hier`'s replaced by
/// `group` (left out if it is the root), in increasing hierarchy id, as [`replaced`] builds
/// them, but without building them: a move looks its css_set up without allocating.
fn replaced_iter<'a>(
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
    fn new(groups: KVec<Arc<Group>>) -> Result<Arc<Self>> {
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
    fn group_of(&self, hier: u64) -> Option<&Arc<Group>> {
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

/// Whether the task of `key` is in `group` of `hier`, as its css_set (found under `rcu`) says.
fn is_member(rcu: &rcu::Guard, key: TaskKey, hier: u64, group: &Arc<Group>) -> bool {
    match TASKS.load(rcu, key).and_then(|c| c.group_of(hier)) {
        Some(g) => Arc::ptr_eq(g, group),
        None => group.is_root(),
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
    csets: KVec<Option<Arc<CssSet>>>,
    /// Parallel to `csets`: for a css_set, the slot of the next css_set of the same bucket;
    /// for a hole, the next hole; or [`NONE`].
    next: KVec<usize>,
    /// The first hole, or [`NONE`].
    free: usize,
    /// The holes.
    holes: usize,
    /// The first css_set of each bucket, or [`NONE`]; a power of two of them, at least as many
    /// as css_sets (none before the first).
    buckets: KVec<usize>,
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
pub(crate) type Leftovers = (
    [Option<Arc<CssSet>>; IDLE_MAX],
    KVec<Option<Arc<CssSet>>>,
    KVec<usize>,
    KVec<usize>,
    Option<Writer<CssSet>>,
    Option<Refiller>,
);

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
        (
            core::mem::replace(&mut self.idle, [const { None }; IDLE_MAX]),
            core::mem::take(&mut self.csets),
            core::mem::take(&mut self.next),
            core::mem::take(&mut self.buckets),
            self.tasks.take(),
            self.refill.take(),
        )
    }

    /// Asks process context to refill the task map's reserve (or resize its table) if it
    /// needs it. Any context; never allocates.
    fn refill_if_low(&self) {
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
    fn find<'a>(guard: &'a GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) -> Option<&'a Arc<CssSet>> {
        Self::index(guard, cset).and_then(|i| MEMBERSHIP.as_ref(guard).csets[i].as_ref())
    }

    /// The listed css_set of exactly `groups`, whose hash is `hash`.
    fn find_groups<'a, 'g>(
        guard: &'a GlobalGuard<CSS_SET_LOCK>,
        hash: usize,
        groups: impl Iterator<Item = &'g Arc<Group>> + Clone,
    ) -> Option<&'a Arc<CssSet>> {
        let m = MEMBERSHIP.as_ref(guard);
        Table::of(m).find(hash, groups)
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
    fn reserve(more: usize) -> Result {
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
    fn list(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: Arc<CssSet>) -> Result {
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
    fn put(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet, n: usize) {
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
    fn drop_if_unused(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet) {
        if *cset.users.as_ref(guard) == 0 {
            if let Some(c) = Self::unlist(guard, cset) {
                drop_after_gp(c);
            }
        }
    }

    /// Adds `n` tasks' uses of `cset`. O(groups), whatever `n`.
    fn get_ref(guard: &mut GlobalGuard<CSS_SET_LOCK>, cset: &CssSet, n: usize) {
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
fn reserve_links<'a>(groups: impl Iterator<Item = &'a Arc<Group>> + Clone) -> Result {
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
struct Table<'a> {
    csets: &'a KVec<Option<Arc<CssSet>>>,
    next: &'a KVec<usize>,
    buckets: &'a KVec<usize>,
}

impl<'a> Table<'a> {
    /// The table of `m`.
    fn of(m: &'a Membership) -> Self {
        Self {
            csets: &m.csets,
            next: &m.next,
            buckets: &m.buckets,
        }
    }

    /// Where a move to `group` of `hier` takes the tasks of `from` (`None`: the root groups
    /// only): the css_set of those groups with `hier`'s replaced, looked up by their hash
    /// without building them.
    fn destination(&self, from: Option<&CssSet>, hier: u64, group: &Arc<Group>) -> Destination<'a> {
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
    fn find<'g>(
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

/// What [`Table::destination`] found.
enum Destination<'a> {
    /// The root groups only: no css_set.
    Root,
    /// This css_set, in use (listed).
    InUse(&'a Arc<CssSet>),
    /// None in use: it has to be allocated.
    Unused,
}

/// How many css_sets the threads of a process may have for [`move_shared`] to move them: the
/// written task's and this many minus one others.
const SOURCES: usize = 4;

/// The threads [`move_shared`] moves from one css_set: `from` (`None`: the root groups only)
/// to `to`.
struct Migration<'a> {
    from: Option<&'a CssSet>,
    to: Option<Arc<CssSet>>,
    moved: usize,
}

/// The task map's refill work: tops its reserve up and resizes its table, in process context.
fn refill() {
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

/// The fork probe's counts, for the root's `membership.stats`: forks whose child's entry came
/// from an atomic allocation, forks whose child was left in the root groups, and the task
/// map's reserve.
pub(crate) fn fork_stats() -> (u64, u64, usize) {
    (
        FORK_ALLOCATED.load(Relaxed),
        FORK_FAILED.load(Relaxed),
        TASKS.reserved(),
    )
}

/// The fork and exit probes' side of membership.
pub(crate) struct Tracker;

impl ForkExit for Tracker {
    fn fork(parent: &Task, child: &Task) {
        // Most tasks are in root groups only: find that out without the global lock. A move
        // that gives the parent its first entry meanwhile either is seen here, or sees the
        // child on the thread list, which `copy_process()` put it on before this probe: the
        // barrier pairs with the move's after it publishes the entry (`task::fork_barrier`).
        task::fork_barrier();
        let rcu = rcu::read_lock();
        let parent_key = task::key(parent);
        if TASKS.load(&rcu, parent_key).is_none() {
            return;
        }
        let mut guard = CSS_SET_LOCK.lock();
        let Some(cset) = TASKS.load(&rcu, parent_key) else {
            // The parent is in root groups only, and so is the child.
            return;
        };
        let child_key = task::key(child);
        // No move gives an entry to a task that has not started and has none (it waits for
        // it, see `attach`): the child has none. Were it otherwise, the entry would be kept.
        if TASKS.load(&rcu, child_key).is_some() {
            return;
        }
        let Some(w) = MEMBERSHIP.as_mut(&mut guard).tasks.as_mut() else {
            return;
        };
        // The entry comes from the reserve, which process context refills: no allocation
        // unless the reserve ran dry.
        match TASKS.store(w, child_key, child, cset, None) {
            Ok(Source::Allocated) => {
                FORK_ALLOCATED.fetch_add(1, Relaxed);
            }
            Ok(_) => {}
            Err(_) => {
                FORK_FAILED.fetch_add(1, Relaxed);
                MEMBERSHIP.as_ref(&guard).refill_if_low();
                crate::compat::pr_warn_once!(
                    "fork: task map reserve empty and allocation failed; child left in the root groups (counted in membership.stats)\n"
                );
                return;
            }
        }
        // A published css_set is listed while it has users (the parent is one), so the
        // reference is the list's.
        Membership::get_ref(&mut guard, cset, 1);
        MEMBERSHIP.as_ref(&guard).refill_if_low();
    }

    fn exit(task: &Task) {
        // Most tasks are in root groups only: they have no entry, and their exit takes no
        // global lock. A move that gives a task its first entry tests `PF_EXITING` after
        // publishing it (`task::is_exiting_after_store`), and this probe runs after the flag
        // is set and issues the pairing barrier before its look-up: either the move sees the
        // flag and takes the entry back, or this sees the entry and waits for the move's lock.
        // An entry that changes css_set stays in place, and a task's last entry is removed
        // only here or by a move: the look-up below then finds what the lock protects.
        task::exit_barrier();
        let rcu = rcu::read_lock();
        let key = task::key(task);
        if TASKS.load(&rcu, key).is_none() {
            return;
        }
        let mut guard = CSS_SET_LOCK.lock();
        let Some(w) = MEMBERSHIP.as_mut(&mut guard).tasks.as_mut() else {
            return;
        };
        // One walk of the entry's chain finds and unpublishes it; the entry goes back to the
        // reserve with a batch of others (one `call_rcu()` per batch, not per exit).
        let Some(cset) = TASKS.remove(w, &rcu, key) else {
            return;
        };
        Membership::put(&mut guard, cset, 1);
        MEMBERSHIP.as_ref(&guard).refill_if_low();
    }
}

/// The css_set a move gives the tasks that have `old` (`None`: the root groups only).
struct Plan {
    old: Option<Arc<CssSet>>,
    new: Option<Arc<CssSet>>,
    /// Some task of the plan is moved (not all found exiting).
    live: bool,
    /// `new` was allocated by this move, not found in use when planned.
    fresh: bool,
    /// `new` was listed by this move (it had no equal in use).
    listed: bool,
    /// The tasks of the plan that are moved.
    moved: usize,
}

impl Plan {
    /// The address of `old`, as [`TASKS`] holds it.
    fn old_ptr(&self) -> Option<*const CssSet> {
        self.old.as_deref().map(core::ptr::from_ref)
    }
}

/// One planned move: a task and its [`Plan`], an index into the move's plans.
struct Move {
    task: ARef<Task>,
    plan: usize,
    /// Found exiting under the lock, in a move that leaves exiting tasks where they are.
    skip: bool,
}

/// The groups of `old` with `hier`'s replaced by `group` (left out if it is the root).
fn replaced(old: Option<&Arc<CssSet>>, hier: u64, group: &Arc<Group>) -> Result<KVec<Arc<Group>>> {
    let mut v = KVec::with_capacity(old.map_or(0, |o| o.groups.len()) + 1, GFP_KERNEL)?;
    if let Some(old) = old {
        for g in old.groups.iter().filter(|g| g.hier != hier) {
            v.push(g.clone(), GFP_KERNEL)?;
        }
    }
    if !group.is_root() {
        v.push(group.clone(), GFP_KERNEL)?;
    }
    v.sort_unstable_by_key(|g| g.hier);
    Ok(v)
}

/// The css_set `task` uses, with a reference.
fn current_cset(task: &Task) -> Option<Arc<CssSet>> {
    let guard = CSS_SET_LOCK.lock();
    let rcu = rcu::read_lock();
    TASKS
        .load(&rcu, task::key(task))
        .and_then(|c| Membership::find(&guard, c).cloned())
}

/// Where a task is in one hierarchy, as the task map says ([`place_in`]).
pub(crate) enum Place<'a> {
    /// No task-map entry: the root group of every hierarchy, or, for a task that has not
    /// started ([`task::is_started`]), not placed by its fork probe yet.
    NoEntry,
    /// The root group of this hierarchy; a group of another one.
    Root,
    /// This group.
    Group(&'a Arc<Group>),
}

/// Where the task of `key` is in the hierarchy `hier`, as its css_set (found under `rcu`) says.
pub(crate) fn place_in<'a>(rcu: &'a rcu::Guard, key: TaskKey, hier: u64) -> Place<'a> {
    match TASKS.load(rcu, key) {
        None => Place::NoEntry,
        Some(c) => c.group_of(hier).map_or(Place::Root, Place::Group),
    }
}

/// The non-root groups `task` is in, at most one per hierarchy, in increasing hierarchy id;
/// none for a task in the root groups only, or one whose exit probe has run. O(hierarchies),
/// whatever the tasks and groups: the task map finds its css_set.
pub(crate) fn groups_of(task: &Task) -> Result<KVec<Arc<Group>>> {
    let Some(cset) = current_cset(task) else {
        return Ok(KVec::new());
    };
    let mut groups = KVec::with_capacity(cset.groups.len(), GFP_KERNEL)?;
    for g in cset.groups.iter() {
        groups.push(g.clone(), GFP_KERNEL)?;
    }
    Ok(groups)
}

/// The plan for the tasks that now use `old`: the css_set of `old`'s groups with `hier`'s
/// replaced by `group`, found in use (O(1), by the hash of its groups) or allocated.
fn plan(old: Option<Arc<CssSet>>, hier: u64, group: &Arc<Group>) -> Result<Plan> {
    let groups = replaced(old.as_ref(), hier, group)?;
    let mut fresh = false;
    let new = if groups.is_empty() {
        None
    } else {
        let groups_hash = hash(groups.iter());
        let found =
            Membership::find_groups(&CSS_SET_LOCK.lock(), groups_hash, groups.iter()).cloned();
        match found {
            Some(c) => Some(c),
            None => {
                fresh = true;
                Some(CssSet::new(groups)?)
            }
        }
    };
    Ok(Plan {
        old,
        new,
        live: false,
        fresh,
        listed: false,
        moved: 0,
    })
}

/// Which tasks of a move may be exiting.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Exiting {
    /// None: an exiting task fails the move with `ESRCH` (`tasks`).
    Fail,
    /// Any: those stay where they are, as v1's `cgroup_migrate_add_task()` leaves them
    /// (`cgroup.procs`, where a thread may exit while its group moves).
    Skip,
}

/// How often [`move_tasks`] plans again when fork probes keep changing its tasks.
const MOVE_RETRIES: usize = 16;

/// Moves `tasks` into `group` of `hier`, all at once for readers.
///
/// The caller holds [`static@TCGROUP_MUTEX`], so no other move changes these tasks' css_sets. The
/// fork probe may, though: a new thread found by pid before its probe ran gets its creator's
/// css_set between the planning (without the spinlock, as it allocates) and the publication. The
/// plan is then stale, and made again.
fn move_tasks(hier: u64, group: &Arc<Group>, tasks: KVec<ARef<Task>>, exiting: Exiting) -> Result {
    // A task that has not started may still be waiting for its fork probe to give it its
    // creator's groups: its groups are known once it has started, which is for good.
    for t in tasks.iter() {
        task::wait_started(t)?;
    }
    for _ in 0..MOVE_RETRIES {
        if try_move_tasks(hier, group, &tasks, exiting)? {
            return Ok(());
        }
    }
    Err(EAGAIN)
}

/// One attempt of [`move_tasks`]: `Ok(false)` if a task's css_set changed since it was read.
fn try_move_tasks(
    hier: u64,
    group: &Arc<Group>,
    tasks: &[ARef<Task>],
    exiting: Exiting,
) -> Result<bool> {
    // Plan once per css_set the tasks have, not per task: the threads of a process moved by
    // `cgroup.procs` mostly share one. A task's css_set is read under RCU alone; the plan is
    // checked against it under the lock below, so a race only costs a retry. Comparing with
    // the address of a plan's `old` is sound: the plan holds a reference on it.
    let mut moves = KVec::with_capacity(tasks.len(), GFP_KERNEL)?;
    let mut plans: KVec<Plan> = KVec::new();
    // Tasks that have no entry in the task map and get one.
    let mut entries = 0;
    for t in tasks.iter().cloned() {
        let now = {
            let rcu = rcu::read_lock();
            TASKS.load(&rcu, task::key(&t)).map(core::ptr::from_ref)
        };
        let plan = match plans.iter().rposition(|p| p.old_ptr() == now) {
            Some(i) => i,
            None => {
                plans.push(plan(current_cset(&t), hier, group)?, GFP_KERNEL)?;
                plans.len() - 1
            }
        };
        let now = now.is_some();
        if !now && plans[plan].new.is_some() {
            entries += 1;
        }
        moves.push(
            Move {
                task: t,
                plan,
                skip: false,
            },
            GFP_KERNEL,
        )?;
    }
    // Everything the lock's section may need is allocated here: the css_set table's room
    // and the task map's entries.
    Membership::reserve(plans.iter().filter(|p| p.fresh).count())?;
    reserve_links(
        plans
            .iter()
            .filter(|p| p.fresh)
            .filter_map(|p| p.new.as_deref())
            .flat_map(|c| c.groups.iter()),
    )?;
    // The reserve above half its size gives some; the stores fall back to it (and to an
    // atomic allocation) only if forks took it meanwhile.
    let pooled = TASKS.reserved().saturating_sub(RESERVE / 2).min(entries);
    let mut spare = TASKS.spare(entries - pooled)?;

    let mut guard = CSS_SET_LOCK.lock();
    // Under the lock the fork and exit probes take: each task still has the css_set planned
    // from, or the plan (its `new` groups, the reference it puts) is wrong.
    {
        let rcu = rcu::read_lock();
        let stale = moves.iter().any(|m| {
            let now = TASKS
                .load(&rcu, task::key(&m.task))
                .map(core::ptr::from_ref);
            now != plans[m.plan].old_ptr()
        });
        if stale {
            return Ok(false);
        }
    }
    // As v1: a task that is exiting cannot be moved. The exit probe takes this lock too, so a
    // task seen alive here is moved before its probe runs, and the probe undoes the move.
    for m in moves.iter_mut() {
        if task::is_exiting(&m.task) {
            if exiting == Exiting::Fail {
                return Err(ESRCH);
            }
            m.skip = true;
        } else {
            plans[m.plan].live = true;
            plans[m.plan].moved += 1;
        }
    }
    // Share existing css_sets with the same groups; list the new ones (unused for now). A plan
    // whose tasks all exit lists nothing. A css_set found in use when planned may have lost
    // its last task since: then another with the same groups may be listed, or none, and the
    // move is planned again (an unlisted css_set is being freed and is never listed again).
    for p in plans.iter_mut().filter(|p| p.live) {
        let Some(n) = &p.new else {
            continue;
        };
        if Membership::find(&guard, n).is_some() {
            continue;
        }
        if let Some(c) = Membership::find_groups(&guard, n.hash, n.groups.iter()).cloned() {
            p.new = Some(c);
        } else if p.fresh {
            // Room was reserved above: this does not fail.
            Membership::list(&mut guard, n.clone())?;
            p.listed = true;
        } else {
            // The plans listed so far have no user yet.
            unlist_unused(&mut guard, &plans);
            return Ok(false);
        }
    }
    // Publish: first the stores, which take entries and so could fail (not with the
    // entries reserved above, unless a task gained an entry since), putting back what was
    // stored if one does; then the erasures, which cannot fail.
    let mut failed = None;
    // A task given its first entry was found exiting after it was published.
    let mut exited = false;
    {
        let Some(w) = MEMBERSHIP.as_mut(&mut guard).tasks.as_mut() else {
            unlist_unused(&mut guard, &plans);
            return Err(ENODEV);
        };
        let mut done = 0;
        for m in moves.iter().filter(|m| !m.skip) {
            let Some(n) = &plans[m.plan].new else {
                continue;
            };
            if let Err(e) = TASKS.store(w, task::key(&m.task), &m.task, n, Some(&mut spare)) {
                failed = Some(e);
                break;
            }
            done += 1;
        }
        if failed.is_some() {
            let stored = moves
                .iter()
                .filter(|m| !m.skip && plans[m.plan].new.is_some());
            for m in stored.take(done) {
                let key = task::key(&m.task);
                match &plans[m.plan].old {
                    // The task kept its entry: restoring it does not allocate.
                    Some(o) => {
                        let _ = TASKS.store(w, key, &m.task, o, None);
                    }
                    None => TASKS.erase(w, key),
                }
            }
        } else {
            for m in moves.iter_mut().filter(|m| !m.skip) {
                let p = &mut plans[m.plan];
                if p.new.is_none() {
                    TASKS.erase(w, task::key(&m.task));
                } else if p.old.is_none() && task::is_exiting_after_store(&m.task) {
                    // A first entry, for a task that started exiting after the test above: its
                    // exit probe may have looked without the lock and found none (see
                    // `Tracker::exit`). Take it back: the task stays in the root groups.
                    TASKS.erase(w, task::key(&m.task));
                    m.skip = true;
                    p.moved -= 1;
                    exited = true;
                }
            }
        }
    }
    if let Some(e) = failed {
        // The css_sets this move listed have no user: unlist them. They were published for a
        // moment, and readers may hold them.
        unlist_unused(&mut guard, &plans);
        return Err(e);
    }
    // The use counts, once per plan: O(groups) per source css_set, whatever the threads.
    for p in plans.iter().filter(|p| p.moved > 0) {
        if let Some(n) = &p.new {
            Membership::get_ref(&mut guard, n, p.moved);
        }
        if let Some(o) = &p.old {
            Membership::put(&mut guard, o, p.moved);
        }
    }
    if exited {
        // Listed by this move for tasks that all turned out to be exiting (no other plan
        // shares it, or it has users now): unused.
        unlist_unused(&mut guard, &plans);
    }
    MEMBERSHIP.as_ref(&guard).refill_if_low();
    drop(guard);
    // Unused entries go to the task map's reserve (or are freed), outside the lock.
    drop(spare);
    if exited && exiting == Exiting::Fail {
        // As the test above would have: an exiting task cannot be moved.
        return Err(ESRCH);
    }
    Ok(true)
}

/// Takes the css_sets that a move listed for `plans` off the list again if no task uses them:
/// the move failed or was planned again after listing them, or their tasks turned out to be
/// exiting. Listed and neither used nor parked, nothing else would ever unlist them.
fn unlist_unused(guard: &mut GlobalGuard<CSS_SET_LOCK>, plans: &[Plan]) {
    for p in plans.iter().filter(|p| p.listed) {
        if let Some(n) = p.new.as_deref() {
            Membership::drop_if_unused(guard, n);
        }
    }
}

/// The task a write of `pid` to a file opened with `cred` names (`0`: the writer); with
/// `threadgroup` (`cgroup.procs`), its thread-group leader, as v1's
/// `cgroup_procs_write_start()` takes: the leader's credentials decide whether its process may
/// be moved, whichever thread's id was written.
fn target(pid: i32, threadgroup: bool, cred: &FileCred<'_>) -> Result<ARef<Task>> {
    let mut task = if pid == 0 {
        ARef::from(crate::compat::current_task!())
    } else {
        task::find_by_vpid(pid).ok_or(ESRCH)?
    };
    if threadgroup {
        task = task::group_leader(&task).ok_or(ESRCH)?;
    }
    if task::is_kthread(&task) {
        return Err(EINVAL);
    }
    if !cred.may_move(&task) {
        return Err(EACCES);
    }
    Ok(task)
}

/// `echo PID > tasks` (`threadgroup` false) or `> cgroup.procs` (true), through a file opened
/// with `cred`: moves the task `pid` (0: the writer), or its whole thread group, into `group`
/// of the hierarchy `hier`.
pub(crate) fn attach(
    hier: u64,
    group: &Arc<Group>,
    pid: i32,
    threadgroup: bool,
    cred: &FileCred<'_>,
) -> Result {
    let task = target(pid, threadgroup, cred)?;
    // A task found by pid may not have started, its fork probe still to give it its creator's
    // groups: a move now would start from the root groups and lose them.
    task::wait_started(&task)?;
    let tree = TCGROUP_MUTEX.lock();
    if group.tree.as_ref(&tree).removed {
        return Err(ENODEV);
    }
    if move_shared(hier, group, &task, threadgroup)? == Shared::Done {
        return Ok(());
    }
    if !threadgroup {
        let mut v = KVec::new();
        v.push(task, GFP_KERNEL)?;
        return move_tasks(hier, group, v, Exiting::Fail);
    }
    // Threads created while the group moves start in their creator's css_set of the moment:
    // repeat until every thread of the group is in `group`.
    for _ in 0..PROCS_RETRIES {
        let pending = pending_threads(&task, hier, group)?;
        if pending.is_empty() {
            return Ok(());
        }
        move_tasks(hier, group, pending, Exiting::Skip)?;
    }
    Err(EAGAIN)
}

/// What [`move_shared`] left to do.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shared {
    /// Nothing: every thread it was asked to move is in the group.
    Done,
    /// Threads for [`move_tasks`]: some had a css_set beyond the [`SOURCES`] the pass moves
    /// from, or one whose destination is not in use, or the entries ran out; or a thread had
    /// not started and had no entry (its fork probe may not have run: its groups are not
    /// known yet).
    Partly,
}

/// The common case of a move, in one pass under [`static@CSS_SET_LOCK`]: `task`, or with
/// `threadgroup` every thread of its group, goes to the css_set of its groups with `hier`'s
/// replaced by `group`, per source css_set as v1's `cgroup_migrate()` moves a thread group:
/// the written task's, and up to [`SOURCES`] `- 1` others whose destination is in use. The
/// destination is found by the hash of its groups (the written task's is allocated if it is
/// not in use); each thread costs one look-up in the task map (two for the other sources),
/// with no allocation (its entry is reused, or taken from entries allocated before the
/// lock), and the use counts change once per source css_set.
///
/// The caller holds [`static@TCGROUP_MUTEX`]. `ESRCH` if `task` alone is moved and is exiting.
fn move_shared(hier: u64, group: &Arc<Group>, task: &Task, threadgroup: bool) -> Result<Shared> {
    // The task-map entries the last attempt could not take from the reserve.
    let mut short = 0;
    for _ in 0..MOVE_RETRIES {
        if let Some(r) = try_move_shared(hier, group, task, threadgroup, &mut short)? {
            if short == 0 {
                return Ok(r);
            }
            // Threads left in the root groups for want of an entry: the next attempt brings
            // them, allocated before the lock; the threads moved already stay.
        }
    }
    // The task's css_set kept changing under fork probes: the general path copes with that.
    Ok(Shared::Partly)
}

/// One attempt of [`move_shared`]: `Ok(None)` if `task`'s css_set changed since it was read.
/// `short` brings the number of task-map entries to allocate before the lock (those the last
/// attempt found short of) and takes back those this one found short of.
fn try_move_shared(
    hier: u64,
    group: &Arc<Group>,
    task: &Task,
    threadgroup: bool,
    short: &mut usize,
) -> Result<Option<Shared>> {
    let key = task::key(task);
    let rooted = TASKS.load(&rcu::read_lock(), key).is_none();
    // Threads in the root groups only have no entry in the task map: each one moved out of
    // them needs one. They are not counted ahead (that was a walk of the thread group, as
    // long as the move's own): the entries come from the reserve until it is low, and the
    // threads that find none are counted and left for the next attempt, which allocates that
    // many here, before the lock. The written task, if it is in the root groups, is known to
    // need one: allocated at once if the reserve is low, rather than found short of by a
    // first attempt, which would make a process that moves itself out of the root walk its
    // threads twice (the reserve stays low until the refill work has run). Nothing is
    // allocated under the lock.
    let own = rooted && !group.is_root() && TASKS.reserve_low();
    // A process that another moves out of the root groups (a supervisor placing the process
    // it has just started) mostly has every thread there: its thread count, read in O(1),
    // sizes the entries, so that the first attempt does not walk the thread group only to
    // find how many it is short of. Not when the writer is in the process (`echo $$`), whose
    // other threads may be in groups already.
    let ahead = if rooted && threadgroup && !group.is_root() {
        let pooled = TASKS.reserved().saturating_sub(RESERVE / 2);
        task::nr_threads_elsewhere(task).saturating_sub(pooled)
    } else {
        0
    };
    let first = core::mem::take(short).max(usize::from(own)).max(ahead);
    let mut spare = TASKS.spare_within(first)?;
    // A css_set allocated for the move, with the css_set it was planned from.
    let mut fresh: Option<(Arc<CssSet>, Option<Arc<CssSet>>)> = None;
    'again: loop {
        // Under the lock the fork and exit probes take, which alone change a css_set of a
        // task behind the caller's `TCGROUP_MUTEX`.
        let mut guard = CSS_SET_LOCK.lock();
        let rcu = rcu::read_lock();
        // Listed while the task uses it: valid while the lock is held.
        let old = TASKS.load(&rcu, key);
        if old.is_none() != rooted {
            return Ok(None);
        }
        if let Some((_, from)) = &fresh {
            if old.map(core::ptr::from_ref) != from.as_deref().map(core::ptr::from_ref) {
                return Ok(None);
            }
        }
        if !threadgroup {
            if task::is_exiting(task) {
                // As v1: an exiting task cannot be moved. The exit probe takes this lock too,
                // so a task seen alive here is moved before its probe runs, which undoes it.
                return Err(ESRCH);
            }
            // In `group` already: nothing to do, as v1 skips a migration to the same css_set.
            if old
                .and_then(|o| o.group_of(hier))
                .map_or(group.is_root(), |g| Arc::ptr_eq(g, group))
            {
                return Ok(Some(Shared::Done));
            }
        }
        // The css_set of the groups wanted: found in use by their hash (no allocation), or the
        // one allocated on a previous turn, or allocated now, outside the lock.
        let found = Table::of(MEMBERSHIP.as_ref(&guard)).destination(old, hier, group);
        // `new` was listed by this attempt: unlisted again below if it gets no user.
        let mut listed = false;
        let new = match found {
            Destination::Root => None,
            Destination::InUse(c) => Some(c.clone()),
            Destination::Unused => match fresh.take() {
                Some((f, _)) => {
                    // Room was reserved when it was allocated, and only moves list css_sets:
                    // this does not fail.
                    Membership::list(&mut guard, f.clone())?;
                    listed = true;
                    Some(f)
                }
                None => {
                    let from = old.and_then(|o| Membership::find(&guard, o).cloned());
                    drop(rcu);
                    drop(guard);
                    let f = CssSet::new(replaced(from.as_ref(), hier, group)?)?;
                    Membership::reserve(1)?;
                    reserve_links(f.groups.iter())?;
                    fresh = Some((f, from));
                    continue 'again;
                }
            },
        };
        // The threads go per css_set they have (v1's migration per source css_set): the
        // written task's first, then up to `SOURCES - 1` others met on the walk whose css_set of
        // destination is in use (found without allocating). A thread with yet another, or
        // whose destination is not in use, is left to the general path.
        let mut moves: [Migration<'_>; SOURCES] = [const {
            Migration {
                from: None,
                to: None,
                moved: 0,
            }
        }; SOURCES];
        moves[0].from = old;
        moves[0].to = new.clone();
        let mut nr_moves = 1;
        let mut left = false;
        // A thread other than the writer that left the root groups: it may have forked during
        // the move (see below). The writer cannot fork while it writes.
        // The lone task started exiting while it was moved, and stays where it was.
        let mut exited = false;
        // A thread without an entry had not started: the caller waits for it.
        let mut unstarted = false;
        {
            let m = MEMBERSHIP.as_mut(&mut guard);
            let Some(w) = m.tasks.as_mut() else {
                return Err(ENODEV);
            };
            // Not `Table::of(m)`: `w` borrows another field of `m`.
            let table = Table {
                csets: &m.csets,
                next: &m.next,
                buckets: &m.buckets,
            };
            // A thread, its key, and whether the walk saw it exiting and started.
            let mut one = |th: &Task, key: TaskKey, exiting: bool, started: bool| {
                // An exiting thread stays where it is, as v1's `cgroup_migrate_add_task()`
                // leaves it (a lone task was checked above).
                if threadgroup && exiting {
                    return;
                }
                // One look-up of the thread's entry reads its css_set and changes it.
                let entry = TASKS.entry(w, &rcu, key);
                let now = entry.get();
                let same =
                    |c: Option<&CssSet>| c.map(core::ptr::from_ref) == now.map(core::ptr::from_ref);
                if same(new.as_deref()) {
                    return;
                }
                // A thread that has not started and has no entry may be waiting for its fork
                // probe, which takes this lock and will give it its creator's css_set of
                // then: moved already if the creator is in this thread group. Taken as being
                // in the root groups, it would lose its creator's other groups. The caller
                // waits for it to start and looks again (`pending_threads`).
                if now.is_none() && !started {
                    unstarted = true;
                    return;
                }
                // The written task's css_set, one of the others met already, or a new source.
                let i = match moves[..nr_moves].iter().position(|mv| same(mv.from)) {
                    Some(i) => i,
                    None if nr_moves == SOURCES => {
                        left = true;
                        return;
                    }
                    None => {
                        let to = match table.destination(now, hier, group) {
                            Destination::Root => None,
                            Destination::InUse(c) => Some(c.clone()),
                            Destination::Unused => {
                                left = true;
                                return;
                            }
                        };
                        moves[nr_moves] = Migration {
                            from: now,
                            to,
                            moved: 0,
                        };
                        nr_moves += 1;
                        nr_moves - 1
                    }
                };
                match entry.set(moves[i].to.as_deref(), th, Some(&mut spare)) {
                    // A first entry, for a thread that started exiting after the test above:
                    // its exit probe may have looked without the lock and found none (see
                    // `Tracker::exit`). Take it back: the thread stays in the root groups, as
                    // if the test had seen the flag.
                    Ok(true) if now.is_none() && task::is_exiting_after_store(th) => {
                        TASKS.erase(w, key);
                        exited |= !threadgroup;
                    }
                    Ok(true) => {
                        moves[i].moved += 1;
                    }
                    Ok(false) => {}
                    // No entry to be had.
                    Err(_) => left = true,
                }
            };
            if threadgroup {
                task::for_each_thread_of(task, |th| {
                    one(th, th.key(), th.is_exiting(), th.is_started())
                });
            } else {
                one(task, key, false, task::is_started(task));
            }
            // The entries of the threads moved to the root groups, after one grace period.
            TASKS.flush(w);
        }
        // The use counts, once per source css_set, whatever its threads.
        for mv in moves[..nr_moves].iter() {
            if let Some(t) = &mv.to {
                Membership::get_ref(&mut guard, t, mv.moved);
            }
            if let Some(f) = mv.from {
                Membership::put(&mut guard, f, mv.moved);
            }
        }
        if let Some(n) = new.as_deref().filter(|_| listed) {
            // Listed above for the written task's css_set, whose threads all turned out to be
            // exiting, not started or short of an entry (the other sources' destinations
            // were in use): unused, and nothing else would unlist it.
            Membership::drop_if_unused(&mut guard, n);
        }
        MEMBERSHIP.as_ref(&guard).refill_if_low();
        drop(moves);
        drop(rcu);
        drop(guard);
        *short = spare.short();
        // Unused entries go to the task map's reserve (or are freed), outside the lock.
        drop(spare);
        if exited {
            return Err(ESRCH);
        }
        // A thread that left the root groups and created one meanwhile: the child's fork
        // probe either saw the creator's new entry (and waited for the lock), or the walk saw
        // the child, which `copy_process()` had put on the thread list before the probe ran
        // (`task::fork_barrier`): no walk again for it.
        return Ok(Some(if left || unstarted {
            Shared::Partly
        } else {
            Shared::Done
        }));
    }
}

/// The threads of `task`'s thread group that are not in `group` of `hier` and not exiting: one
/// walk of the thread group (not of every thread), under RCU.
///
/// A thread that has not started and has no entry may be waiting for its fork probe, which
/// gives it its creator's groups, mostly `group` already: it is waited for, after the walk,
/// and looked at again once its groups are known.
fn pending_threads(task: &Task, hier: u64, group: &Arc<Group>) -> Result<KVec<ARef<Task>>> {
    for attempt in 0..LIST_RETRIES {
        // Mostly none is left behind: the first walk does not count the threads first, and
        // grows the buffer without sleeping if it has to.
        let mut n = 0usize;
        if attempt > 0 {
            task::for_each_thread_of(task, |_| n += 1);
        }
        let mut threads = KVec::with_capacity(n + 16, GFP_KERNEL)?;
        let mut unstarted = KVec::<ARef<Task>>::new();
        let mut overflow = false;
        {
            let rcu = rcu::read_lock();
            task::for_each_thread_of(task, |th| {
                if is_member(&rcu, th.key(), hier, group) || th.is_exiting() {
                    return;
                }
                let list = if th.is_started() {
                    &mut threads
                } else {
                    &mut unstarted
                };
                if list.push(ARef::from(&**th), GFP_NOWAIT).is_err() {
                    overflow = true;
                }
            });
        }
        if overflow {
            continue;
        }
        for th in unstarted.into_iter() {
            task::wait_started(&th)?;
            let pending = !is_member(&rcu::read_lock(), task::key(&th), hier, group);
            if pending && !task::is_exiting(&th) {
                threads.push(th, GFP_KERNEL)?;
            }
        }
        return Ok(threads);
    }
    Err(EAGAIN)
}

/// The ids of the tasks in `group` of `hier`, as seen from the reader's pid namespace: thread
/// ids, or with `tgid` the (unique) thread-group ids. Sorted ascending.
///
/// A group other than a root visits its css_sets and their tasks only (O(its tasks)); a root
/// group, which lists the tasks without an entry in the task map, walks every thread.
pub(crate) fn list(hier: u64, group: &Arc<Group>, tgid: bool) -> Result<KVec<i32>> {
    let mut ids = if group.is_root() {
        list_root(hier, group, tgid)?
    } else {
        list_members(group, tgid)?
    };
    ids.sort_unstable();
    if tgid {
        // Unique ids: keep the first of each run.
        let mut w = 0;
        for r in 0..ids.len() {
            if w == 0 || ids[r] != ids[w - 1] {
                ids[w] = ids[r];
                w += 1;
            }
        }
        ids.truncate(w);
    }
    Ok(ids)
}

/// The ids of the tasks of `group`, not a root, in no order: the tasks of each css_set on the
/// group's list ([`Group::csets`]), v1's walk of `cgrp->cset_links` and each
/// `css_set->tasks`. One snapshot under [`static@CSS_SET_LOCK`], which every change of a task's
/// css_set holds; a task whose entry is on a list has not passed its exit probe, which takes
/// the entry off under the same lock, so it is alive. The buffer is sized before the lock by
/// the group's task count, which the lock keeps equal to the entries on the lists.
fn list_members(group: &Arc<Group>, tgid: bool) -> Result<KVec<i32>> {
    for _ in 0..LIST_RETRIES {
        let n = *group.nr_tasks.as_ref(&CSS_SET_LOCK.lock());
        let mut ids = KVec::with_capacity(n, GFP_KERNEL)?;
        let guard = CSS_SET_LOCK.lock();
        if *group.nr_tasks.as_ref(&guard) > ids.capacity() {
            // Tasks joined meanwhile: size again.
            continue;
        }
        let m = MEMBERSHIP.as_ref(&guard);
        let Some(w) = m.tasks.as_ref() else {
            return Ok(ids);
        };
        let mut overflow = false;
        for &slot in group.csets.as_ref(&guard).iter() {
            let Some(cset) = m.csets.get(slot).and_then(Option::as_ref) else {
                continue;
            };
            TASKS.for_each_member(w, cset, |t| {
                let id = if tgid { task::vtgid(t) } else { task::vpid(t) };
                // Within the capacity checked above: no allocation.
                if id != 0 && ids.push(id, GFP_NOWAIT).is_err() {
                    overflow = true;
                }
            });
        }
        drop(guard);
        if overflow {
            continue;
        }
        return Ok(ids);
    }
    Err(EAGAIN)
}

/// The ids of the tasks in the root group `group` of `hier`, in no order: every thread is
/// walked, since a task in the root groups only has no entry in the task map.
fn list_root(hier: u64, group: &Arc<Group>, tgid: bool) -> Result<KVec<i32>> {
    for _ in 0..LIST_RETRIES {
        let mut n = 0usize;
        task::for_each_thread(|_| n += 1);
        let mut ids = KVec::with_capacity(n + 64, GFP_KERNEL)?;
        let mut overflow = false;
        {
            // Lockless: the css_sets are read under RCU while every thread is walked.
            let rcu = rcu::read_lock();
            task::for_each_thread(|t| {
                if !is_member(&rcu, t.key(), hier, group) {
                    return;
                }
                // An exiting task has no entry once its exit probe has run, but stays on the
                // thread list (a zombie, or a leader that exited before its threads): it has left
                // its groups, so the root, which lists tasks without an entry, leaves it out, as
                // v1's root stops listing it at `cgroup_exit()`.
                if group.is_root() && t.is_exiting() {
                    return;
                }
                let id = if tgid { task::vtgid(t) } else { task::vpid(t) };
                if id != 0 && ids.push(id, GFP_NOWAIT).is_err() {
                    overflow = true;
                }
            });
        }
        if overflow {
            continue;
        }
        return Ok(ids);
    }
    Err(EAGAIN)
}

/// The number of tasks in `group` of `hier`.
pub(crate) fn count(hier: u64, group: &Arc<Group>) -> Result<usize> {
    if group.is_root() {
        return Ok(list(hier, group, false)?.len());
    }
    Ok(*group.nr_tasks.as_ref(&CSS_SET_LOCK.lock()))
}
