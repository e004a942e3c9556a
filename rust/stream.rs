// SPDX-License-Identifier: GPL-2.0

//! The release stream of a hierarchy: one ordered record per release, for every reader.
//!
//! A hierarchy's groups share one [`Stream`] (the root group makes it, every other group
//! clones its parent's `Arc`), so that a release reaches it from the group alone, in atomic
//! context, without the hierarchy list. Each open file description of the root's
//! `release.stream` is a [`Subscription`]: a [`Reader`] on the stream's reader list, with a
//! ring of record slots allocated at open.
//!
//! A release is the event that queues a group's agent call ([`crate::release::check`]):
//! under [`static@RELEASE_LIST`], the same section gives it the next sequence number of the
//! hierarchy and puts the number and a reference on the group into a free slot of every
//! reader's ring ([`Stream::record`]). Nothing is allocated: the slots exist already, and the
//! reference is a count. A full ring drops the record but still counts it as offered, so the
//! reader, once it has read what its ring holds, gets one `lost N` record for the gap (the
//! sequence numbers it did not get): records are never lost silently, and never merged.
//!
//! The path is resolved when the record is read, under [`static@TCGROUP_MUTEX`] (which keeps
//! the names still), by a walk of the group's ancestors: a group renamed since its release is
//! shown with its new path, a group removed since with the path it had when it was removed.
//! Bytes that would split the line or its fields (space, tab, newline, backslash) are written
//! as `\ooo` in octal, as `/proc/mounts` does.

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
    },
    sync::{
        RELEASE_LIST,
        TCGROUP_MUTEX, //
    },
    vfs::{
        PollQueue,
        StreamReady,
        StreamWriter, //
    },
};
use kernel::{
    new_mutex, new_spinlock,
    sync::{
        Arc,
        Mutex,
        SpinLock, //
    },
};

/// The number of records a reader's ring holds at open (16 bytes each: 256 KiB).
pub(crate) const QUEUE_DEFAULT: usize = 16384;

/// The largest ring a write of its size may ask for (16 MiB).
pub(crate) const QUEUE_MAX: usize = 1 << 20;

/// The most records one read formats per hold of [`static@TCGROUP_MUTEX`].
const READ_BATCH: usize = 64;

/// What a stream records the releases of (a group), and how a record names it.
///
/// The stream is generic so that it names no model type: the group embeds its stream, and
/// the stream only holds references on what it records.
pub(crate) trait Released: Send + Sync + 'static {
    /// Appends the path that names `self` in a record, `/a/b`, each name written with
    /// [`write_escaped`]; `tree` keeps the names still.
    fn push_path(&self, tree: &GlobalGuard<TCGROUP_MUTEX>, buf: &mut KVec<u8>) -> Result;
}

/// The release stream of a hierarchy, shared by its groups.
#[pin_data]
pub(crate) struct Stream<T: Released> {
    /// The sequence numbers and the readers, under [`static@RELEASE_LIST`].
    state: GlobalLockedBy<State<T>, RELEASE_LIST>,
    /// Where readers block and pollers wait.
    #[pin]
    queue: PollQueue,
    /// Whether the hierarchy has a release agent: written by [`Stream::set_has_agent`] under
    /// `Hierarchy::release_agent`'s lock, with the path, so that it follows the writes of
    /// `release_agent` in their order; read by a release under [`static@RELEASE_LIST`], which
    /// then queues no agent call for a hierarchy that has none. Kept here because the stream
    /// is what every group of the hierarchy reaches without the hierarchy list.
    has_agent: Atomic<bool>,
}

/// The part of a [`Stream`] under [`static@RELEASE_LIST`].
struct State<T: Released> {
    /// The sequence number of the last record; 0 before the first.
    seq: u64,
    /// The open readers. Changed only by [`Subscription::new`] (into a vector allocated
    /// before the lock) and [`Subscription`]'s drop, so that a release never allocates.
    readers: KVec<Arc<Reader<T>>>,
}

impl<T: Released> Stream<T> {
    /// A stream with no record and no reader, for a new hierarchy's root group.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Stream {
                state: GlobalLockedBy::new(State {
                    seq: 0,
                    readers: KVec::new(),
                }),
                queue <- PollQueue::new(),
                has_agent: Atomic::new(false),
            }),
            GFP_KERNEL,
        )
    }

    /// Records whether the hierarchy has a release agent; called with the agent's path locked,
    /// each time it is set (mount and `release_agent` writes).
    pub(crate) fn set_has_agent(&self, set: bool) {
        self.has_agent.store(set, Relaxed);
    }

    /// Whether the hierarchy has a release agent, as last set; a release reads it under
    /// [`static@RELEASE_LIST`] (`_guard`), without allocating.
    pub(crate) fn has_agent(&self, _guard: &GlobalGuard<RELEASE_LIST>) -> bool {
        self.has_agent.load(Relaxed)
    }

    /// Records the release of `group`, which the caller has just listed, for every reader:
    /// O(readers), no allocation. The caller wakes the readers ([`Stream::wake`]) once it has
    /// dropped `guard`.
    pub(crate) fn record(&self, guard: &mut GlobalGuard<RELEASE_LIST>, group: &Arc<T>) {
        let state = self.state.as_mut(guard);
        state.seq += 1;
        for reader in state.readers.iter() {
            reader.ring.lock().push(state.seq, group);
        }
    }

    /// Wakes the readers after [`Stream::record`]. Any context.
    pub(crate) fn wake(&self) {
        self.queue.wake_readable();
    }

    /// Where readers and pollers of the stream wait.
    pub(crate) fn queue(&self) -> &PollQueue {
        &self.queue
    }
}

/// What a reader reads next.
enum Next<T> {
    /// Nothing.
    Empty,
    /// `n` records were dropped from a full ring.
    Lost(u64),
    /// The record `seq`, of the group.
    Release(u64, Arc<T>),
}

/// A ring slot: a record's sequence number and the group released, or nothing.
type Slot<T> = Option<(u64, Arc<T>)>;

/// A reader's records: a ring of slots allocated at open.
///
/// # Invariants
///
/// `len <= slots.len()`; the `len` slots from `head` on (wrapping) hold records in increasing
/// sequence order, all above `delivered`, and the others are `None`; `delivered <= offered`.
struct Ring<T> {
    slots: KVVec<Slot<T>>,
    head: usize,
    len: usize,
    /// The sequence number of the last record offered to the reader, stored or dropped.
    offered: u64,
    /// The sequence number up to which the reader has read records or been told of losses.
    delivered: u64,
}

impl<T: Released> Ring<T> {
    /// `cap` empty slots (at least one).
    fn slots(cap: usize) -> Result<KVVec<Slot<T>>> {
        Ok(KVVec::from_elem(None, cap.max(1), GFP_KERNEL)?)
    }

    /// Stores the record `seq` of `group`, or counts it as lost if the ring is full.
    fn push(&mut self, seq: u64, group: &Arc<T>) {
        self.offered = seq;
        let cap = self.slots.len();
        if self.len == cap {
            return;
        }
        let i = (self.head + self.len) % cap;
        // INVARIANT: the slot was free (it is past the `len` used ones) and `seq` is above
        // every stored one and `delivered`.
        self.slots[i] = Some((seq, group.clone()));
        self.len += 1;
    }

    /// Whether a read would return something.
    fn pending(&self) -> bool {
        self.len != 0 || self.offered != self.delivered
    }

    /// What the reader reads next, without taking it.
    fn peek(&self) -> Next<T> {
        if self.len != 0 {
            if let Some((seq, group)) = &self.slots[self.head] {
                if *seq > self.delivered + 1 {
                    return Next::Lost(*seq - self.delivered - 1);
                }
                return Next::Release(*seq, group.clone());
            }
        }
        if self.offered != self.delivered {
            return Next::Lost(self.offered - self.delivered);
        }
        Next::Empty
    }

    /// Takes `next`, from [`Ring::peek`] with no take since; the reference the slot held is
    /// returned, for the caller to drop after the lock.
    fn take(&mut self, next: &Next<T>) -> Option<Arc<T>> {
        match next {
            Next::Empty => None,
            Next::Lost(n) => {
                self.delivered += n;
                None
            }
            Next::Release(seq, _) => {
                let slot = self.slots[self.head].take();
                self.head = (self.head + 1) % self.slots.len();
                self.len -= 1;
                self.delivered = *seq;
                slot.map(|(_, group)| group)
            }
        }
    }
}

/// The bytes of a record formatted but not yet read.
struct Partial {
    buf: KVec<u8>,
    pos: usize,
}

/// One reader of a stream: an open file description of `release.stream`.
#[pin_data]
pub(crate) struct Reader<T: Released> {
    /// The records; a spinlock taken under [`static@RELEASE_LIST`] by a release, alone by the
    /// reader.
    #[pin]
    ring: SpinLock<Ring<T>>,
    /// The record being read, when a read took only part of it; reads of the file description
    /// are serialised by this lock, taken before [`static@TCGROUP_MUTEX`].
    #[pin]
    partial: Mutex<Partial>,
    /// Whether `partial` holds bytes not yet read, for `poll()`.
    has_partial: Atomic<bool>,
}

/// An open `release.stream`: a reader on its stream's reader list from open to close.
pub(crate) struct Subscription<T: Released> {
    stream: Arc<Stream<T>>,
    reader: Arc<Reader<T>>,
}

impl<T: Released> Subscription<T> {
    /// Adds a reader with a ring of [`QUEUE_DEFAULT`] records to `stream`: it gets the records
    /// of the releases from now on.
    pub(crate) fn new(stream: &Arc<Stream<T>>) -> Result<Self> {
        let slots = Ring::slots(QUEUE_DEFAULT)?;
        let reader = Arc::pin_init(
            pin_init!(Reader {
                ring <- new_spinlock!(
                    Ring {
                        slots,
                        head: 0,
                        len: 0,
                        offered: 0,
                        delivered: 0,
                    },
                    "tcgroup::Reader::ring"
                ),
                partial <- new_mutex!(
                    Partial {
                        buf: KVec::new(),
                        pos: 0,
                    },
                    "tcgroup::Reader::partial"
                ),
                has_partial: Atomic::new(false),
            }),
            GFP_KERNEL,
        )?;
        loop {
            let n = stream.state.as_ref(&RELEASE_LIST.lock()).readers.len();
            let mut readers = KVec::with_capacity(n + 1, GFP_KERNEL)?;
            let old = {
                let mut guard = RELEASE_LIST.lock();
                let state = stream.state.as_mut(&mut guard);
                if state.readers.len() != n {
                    // Another open or close meanwhile: measure again.
                    continue;
                }
                // Within the capacity: nothing is allocated under the spinlock.
                for r in state.readers.iter() {
                    readers.push(r.clone(), GFP_ATOMIC)?;
                }
                readers.push(reader.clone(), GFP_ATOMIC)?;
                {
                    // The releases from now on.
                    let mut ring = reader.ring.lock();
                    ring.offered = state.seq;
                    ring.delivered = state.seq;
                }
                core::mem::replace(&mut state.readers, readers)
            };
            // The old vector goes after the spinlock.
            drop(old);
            return Ok(Self {
                stream: stream.clone(),
                reader,
            });
        }
    }

    /// Replaces the ring with one of `cap` records (1 to [`QUEUE_MAX`], else `EINVAL`),
    /// keeping the records queued; `EBUSY` if more are queued than fit.
    pub(crate) fn resize(&self, cap: usize) -> Result {
        if cap == 0 || cap > QUEUE_MAX {
            return Err(EINVAL);
        }
        let mut slots = Ring::slots(cap)?;
        {
            let mut ring = self.reader.ring.lock();
            if ring.len > cap {
                return Err(EBUSY);
            }
            let old_cap = ring.slots.len();
            for (k, slot) in slots.iter_mut().enumerate().take(ring.len) {
                let i = (ring.head + k) % old_cap;
                *slot = ring.slots[i].take();
            }
            // INVARIANT: the `len` records moved to the start of the new slots, in order.
            ring.head = 0;
            core::mem::swap(&mut ring.slots, &mut slots);
        }
        // The old slots, all empty, are freed after the spinlock (`kvfree()` may sleep).
        drop(slots);
        Ok(())
    }

    /// What `poll()` reports.
    pub(crate) fn ready(&self) -> StreamReady {
        if self.reader.has_partial.load(Relaxed) || self.reader.ring.lock().pending() {
            StreamReady::Readable
        } else {
            StreamReady::Empty
        }
    }

    /// Reads records into `out`: as many bytes as are ready and fit, at least one. Blocks until
    /// a record comes, unless `nonblock` (`EAGAIN`). The stream has no end: the open file holds
    /// the superblock, which holds the hierarchy.
    pub(crate) fn read(&self, nonblock: bool, out: &mut StreamWriter) -> Result<usize> {
        if out.room() == 0 {
            return Ok(0);
        }
        loop {
            {
                let mut partial = self.reader.partial.lock();
                let n = self.fill(&mut partial, out)?;
                if n != 0 {
                    return Ok(n);
                }
            }
            if nonblock {
                return Err(EAGAIN);
            }
            self.stream
                .queue
                .wait_interruptible(|| self.ready() != StreamReady::Empty)?;
        }
    }

    /// Copies the partial record and then new records into `out` until it is full or no
    /// record is left; the bytes copied. A record is taken off the ring only once its line is
    /// formatted in `partial` (so `ENOMEM` loses none), and a line not copied whole stays there
    /// for the next read (so `EFAULT` loses none either).
    fn fill(&self, partial: &mut Partial, out: &mut StreamWriter) -> Result<usize> {
        let mut done = 0;
        let res = loop {
            if partial.pos < partial.buf.len() {
                let n = (partial.buf.len() - partial.pos).min(out.room());
                if let Err(e) = out.write(&partial.buf[partial.pos..partial.pos + n]) {
                    break Err(e);
                }
                partial.pos += n;
                done += n;
                if out.room() == 0 {
                    break Ok(());
                }
                continue;
            }
            partial.buf.truncate(0);
            partial.pos = 0;
            match self.format(&mut partial.buf, out.room()) {
                Ok(0) => break Ok(()),
                Ok(_) => continue,
                Err(e) => break Err(e),
            }
        };
        self.reader
            .has_partial
            .store(partial.pos < partial.buf.len(), Relaxed);
        match res {
            Err(e) if done == 0 => Err(e),
            _ => Ok(done),
        }
    }

    /// Takes records off the ring and appends their lines to `buf`, up to [`READ_BATCH`] of
    /// them or until `buf` holds `room` bytes: the number of records taken.
    fn format(&self, buf: &mut KVec<u8>, room: usize) -> Result<usize> {
        let tree = TCGROUP_MUTEX.lock();
        let mut taken = 0;
        while taken < READ_BATCH && buf.len() < room {
            let next = self.reader.ring.lock().peek();
            let len = buf.len();
            let res = match &next {
                Next::Empty => break,
                Next::Lost(n) => buf
                    .extend_from_slice(b"lost ", GFP_KERNEL)
                    .map_err(Error::from)
                    .and_then(|()| push_u64(buf, *n)),
                Next::Release(seq, group) => push_u64(buf, *seq)
                    .and_then(|()| Ok(buf.push(b' ', GFP_KERNEL)?))
                    .and_then(|()| group.push_path(&tree, buf)),
            };
            if let Err(e) = res.and_then(|()| Ok(buf.push(b'\n', GFP_KERNEL)?)) {
                // Not taken: the record stays for the next read.
                buf.truncate(len);
                if taken == 0 {
                    return Err(e);
                }
                break;
            }
            let old = self.reader.ring.lock().take(&next);
            // The slot's reference goes after the spinlock.
            drop(old);
            taken += 1;
        }
        Ok(taken)
    }
}

impl<T: Released> Drop for Subscription<T> {
    fn drop(&mut self) {
        let removed = {
            let mut guard = RELEASE_LIST.lock();
            let readers = &mut self.stream.state.as_mut(&mut guard).readers;
            match readers.iter().position(|r| Arc::ptr_eq(r, &self.reader)) {
                Some(i) => readers.remove(i).ok(),
                None => None,
            }
        };
        // The list's reference goes after the spinlock; the ring, with the references of the
        // records never read, with the last one.
        drop(removed);
    }
}

/// Appends `n` in decimal.
fn push_u64(buf: &mut KVec<u8>, mut n: u64) -> Result {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..], GFP_KERNEL)?;
    Ok(())
}

/// Whether `c` is written as `\ooo` in a record.
fn escaped(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\\')
}

/// The length of `name` in a record, with [`escaped`] bytes in octal.
pub(crate) fn escaped_len(name: &[u8]) -> usize {
    name.iter().map(|&c| if escaped(c) { 4 } else { 1 }).sum()
}

/// Writes `name` with [`escaped`] bytes in octal into `out`, [`escaped_len`] long.
pub(crate) fn write_escaped(out: &mut [u8], name: &[u8]) {
    let mut i = 0;
    for &c in name {
        if escaped(c) {
            out[i..i + 4].copy_from_slice(&[
                b'\\',
                b'0' + (c >> 6),
                b'0' + ((c >> 3) & 7),
                b'0' + (c & 7),
            ]);
            i += 4;
        } else {
            out[i] = c;
            i += 1;
        }
    }
}

/// Appends `name` with [`escaped`] bytes in octal.
#[cfg(tcgroup_kunit_tests)]
fn push_escaped(buf: &mut KVec<u8>, name: &[u8]) -> Result {
    let start = buf.len();
    buf.extend_with(escaped_len(name), 0, GFP_KERNEL)?;
    write_escaped(&mut buf[start..], name);
    Ok(())
}

#[cfg(tcgroup_kunit_tests)]
#[kunit_tests(tcgroup_stream)]
mod tests {
    use super::*;

    /// A record of the tests: named by its fixed path.
    struct Named(&'static [u8]);

    impl Released for Named {
        fn push_path(&self, _tree: &GlobalGuard<TCGROUP_MUTEX>, buf: &mut KVec<u8>) -> Result {
            push_escaped(buf, self.0)
        }
    }

    #[test]
    fn names_escape_separators_in_octal() -> Result {
        let mut buf = KVec::new();
        push_escaped(&mut buf, b"a b/x\ny\\z\t")?;
        assert_eq!(&buf[..], b"a\\040b/x\\012y\\134z\\011");
        Ok(())
    }

    #[test]
    fn numbers_in_decimal() -> Result {
        let mut buf = KVec::new();
        push_u64(&mut buf, 0)?;
        push_u64(&mut buf, 42)?;
        push_u64(&mut buf, u64::MAX)?;
        assert_eq!(&buf[..], b"04218446744073709551615");
        Ok(())
    }

    #[test]
    fn full_ring_reports_one_exact_loss() -> Result {
        let g = Arc::new(Named(b"/g"), GFP_KERNEL)?;
        let mut ring = Ring {
            slots: Ring::slots(2)?,
            head: 0,
            len: 0,
            offered: 10,
            delivered: 10,
        };
        for seq in 11..=15 {
            ring.push(seq, &g);
        }
        let mut seen = KVec::new();
        loop {
            let next = ring.peek();
            let v = match &next {
                Next::Empty => break,
                Next::Lost(n) => (0, *n),
                Next::Release(seq, _) => (*seq, 0),
            };
            seen.push(v, GFP_KERNEL)?;
            drop(ring.take(&next));
        }
        // 11 and 12 queued, 13 to 15 lost: one record of 3 after them.
        assert_eq!(&seen[..], &[(11, 0), (12, 0), (0, 3)]);
        ring.push(16, &g);
        assert!(matches!(ring.peek(), Next::Release(16, _)));
        Ok(())
    }

    #[test]
    fn loss_before_a_later_record() -> Result {
        let g = Arc::new(Named(b"/g"), GFP_KERNEL)?;
        let mut ring = Ring {
            slots: Ring::slots(1)?,
            head: 0,
            len: 0,
            offered: 0,
            delivered: 0,
        };
        ring.push(1, &g);
        ring.push(2, &g);
        ring.push(3, &g);
        let next = ring.peek();
        assert!(matches!(next, Next::Release(1, _)));
        drop(ring.take(&next));
        ring.push(4, &g);
        // 2 and 3 were dropped: the loss comes before 4.
        let next = ring.peek();
        assert!(matches!(next, Next::Lost(2)));
        drop(ring.take(&next));
        let next = ring.peek();
        assert!(matches!(next, Next::Release(4, _)));
        drop(ring.take(&next));
        assert!(!ring.pending());
        Ok(())
    }
}
