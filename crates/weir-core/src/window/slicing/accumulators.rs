//! [`SliceAccumulators`]: one key's slices, in order, with the cache of their combinations,
//! and finding a record's slice among them. It is **not** the arithmetic of slices
//! ([`Slicing`](super::Slicing)) nor the aggregate over them ([`SliceAggregator`](super::SliceAggregator)).
//!
//! A key's slices are kept in two deques split at `open_from`, the end of the last window fired
//! through the cache: the **open** slices, which records go to, and the **closed** ones, which
//! firings read (and late records, rarely). At small slides a key holds many slices — about 130
//! for 10 s windows every 167 ms — of which records touch only the dozen its out-of-orderness
//! spans. In one deque those were a few lines of a 6 KB buffer per key, a separate page for every
//! key, and the Two-Stacks cache (boxed, with a stack of partials of its own) was two more places
//! per key a firing had to load. Now records touch a small deque of open slices, and a firing
//! moves the slices of the window it closes to the closed deque, whose oldest slice carries the
//! partial aggregate that firing reads ([`ClosedSlice`]).

use super::Slicing;
use super::two_stacks::{ClosedSlice, TwoStacks};
use crate::time::Timestamp;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::VecDeque;

/// How many of a key's newest slices a record's slice is looked for among, one by one, before a
/// binary search: a record at most 1 s out of order is within the last dozen slices of 10 s
/// windows every 167 ms.
const NEAR_THE_BACK: usize = 16;

/// One key's slice accumulators, sorted by slice start; only slices with records exist.
/// Serializable as part of the key's state: only the slices are written, as one sequence (the
/// split into open and closed slices is not). The Two-Stacks aggregate over them is a cache,
/// rebuilt from the slices when needed (after a restore, or after a late record changed a slice
/// it had combined).
///
/// 64 bytes, the fields a record reads first (`repr(C)`): a key's entry in the state table
/// takes a cache line or two, and the closed slices, which only firings read, are boxed.
#[derive(Debug, Clone)]
#[repr(C)]
pub struct SliceAccumulators<ACC> {
    /// The slices starting at or after `open_from`, oldest first: where records go.
    pub(super) open: VecDeque<(Timestamp, ACC)>,
    /// Where open slices start; only moves forward ([`close_before`](Self::close_before)).
    pub(super) open_from: Timestamp,
    /// The [`Slicing::slice_number`] of the newest open slice, or [`UNKNOWN`] (after a restore,
    /// or when there is none): kept here so that finding a record's slice loads one slice, not
    /// also the newest one.
    pub(super) newest_number: i64,
    /// The end of the latest window fired through [`SliceAggregator::fire_window`](super::SliceAggregator::fire_window).
    pub(super) fired_through: Timestamp,
    /// The slices starting before `open_from` with the cache over them: made by the first
    /// firing that closes a slice (tumbling windows never do).
    pub(super) closed: Option<Box<TwoStacks<ACC>>>,
}

/// `newest_number` when the newest open slice is not known.
pub(super) const UNKNOWN: i64 = i64::MIN;

impl<ACC> Default for SliceAccumulators<ACC> {
    fn default() -> Self {
        SliceAccumulators {
            open: VecDeque::new(),
            open_from: Timestamp::MIN,
            newest_number: UNKNOWN,
            fired_through: Timestamp::MIN,
            closed: None,
        }
    }
}

/// Written as a struct with one field, the slices in order: the bytes of the single deque this
/// type held before the split (savepoints stay readable both ways).
impl<ACC: Serialize> Serialize for SliceAccumulators<ACC> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename = "SliceAccumulators", bound(serialize = "ACC: Serialize"))]
        struct Stored<'a, ACC> {
            slices: InOrder<'a, ACC>,
        }
        struct InOrder<'a, ACC>(&'a SliceAccumulators<ACC>);
        impl<ACC: Serialize> Serialize for InOrder<'_, ACC> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                // The length first (postcard writes it before the elements).
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for slice in self.0.iter() {
                    seq.serialize_element(&slice)?;
                }
                seq.end()
            }
        }
        Stored { slices: InOrder(self) }.serialize(serializer)
    }
}

/// Read back as open slices: which windows fired is not known until the next firing closes them.
impl<'de, ACC: Deserialize<'de>> Deserialize<'de> for SliceAccumulators<ACC> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "SliceAccumulators", bound(deserialize = "ACC: Deserialize<'de>"))]
        struct Stored<ACC> {
            slices: VecDeque<(Timestamp, ACC)>,
        }
        let stored = Stored::deserialize(deserializer)?;
        Ok(SliceAccumulators { open: stored.slices, ..SliceAccumulators::default() })
    }
}

/// Equal when the slices are: neither the cache nor the split is part of the value.
impl<ACC: PartialEq> PartialEq for SliceAccumulators<ACC> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<ACC: Eq> Eq for SliceAccumulators<ACC> {}

impl<ACC> SliceAccumulators<ACC> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.closed().map_or(0, VecDeque::len) + self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.closed().is_none_or(VecDeque::is_empty) && self.open.is_empty()
    }

    /// The slices, oldest first, as `(slice start, accumulator)`.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &ACC)> {
        let closed = self.closed().into_iter().flatten().map(|slice| (slice.start, &slice.acc));
        closed.chain(self.open.iter().map(|(start, acc)| (*start, acc)))
    }

    /// The closed slices, oldest first, if any slice was ever closed.
    fn closed(&self) -> Option<&VecDeque<ClosedSlice<ACC>>> {
        self.closed.as_deref().map(|closed| &closed.slices)
    }

    /// The accumulators of the slices starting in `[from, to)`, oldest first.
    pub(super) fn range(&self, from: Timestamp, to: Timestamp) -> impl Iterator<Item = &ACC> {
        let closed = self.closed().into_iter().flat_map(move |closed| {
            let first = closed.partition_point(|slice| slice.start < from);
            let last = closed.partition_point(|slice| slice.start < to).max(first);
            closed.range(first..last).map(|slice| &slice.acc)
        });
        let first = self.open.partition_point(|(s, _)| *s < from);
        let last = self.open.partition_point(|(s, _)| *s < to).max(first);
        closed.chain(self.open.range(first..last).map(|(_, acc)| acc))
    }

    /// The end of the latest window fired through
    /// [`SliceAggregator::fire_window`](super::SliceAggregator::fire_window) (not necessarily the
    /// last one fired: an earlier window may fire again), or `Timestamp::MIN` when none has since
    /// this value was made or restored. Not part of the value.
    pub fn fired_through(&self) -> Timestamp {
        self.fired_through
    }

    /// The first slice starting at or after `from`, if any.
    pub fn first_slice_from(&self, from: Timestamp) -> Option<Timestamp> {
        // Usually the oldest slice or the one after it (slices are retired as windows close).
        let closed = self.closed().and_then(|closed| match closed.front() {
            Some(oldest) if oldest.start >= from => Some(oldest.start),
            _ => closed.get(closed.partition_point(|slice| slice.start < from)).map(|slice| slice.start),
        });
        closed.or_else(|| {
            let i = match self.open.front() {
                Some((oldest, _)) if *oldest >= from => 0,
                _ => self.open.partition_point(|(s, _)| *s < from),
            };
            self.open.get(i).map(|(s, _)| *s)
        })
    }

    /// Drops every slice starting before `start` and returns how many were dropped.
    pub fn retire_before(&mut self, start: Timestamp) -> usize {
        let mut dropped = 0;
        if let Some(closed) = &mut self.closed {
            dropped += retire(&mut closed.slices, start, |slice| slice.start);
            closed.retired_before(start);
            if !closed.slices.is_empty() {
                return dropped;
            }
        }
        dropped += retire(&mut self.open, start, |(s, _)| *s);
        if self.open.is_empty() {
            self.newest_number = UNKNOWN;
        }
        dropped
    }

    /// Moves the open slices starting before `end` to the closed ones: the window ending at `end`
    /// fires through the cache, which reads closed slices only.
    pub(super) fn close_before(&mut self, end: Timestamp) {
        if end <= self.open_from {
            return;
        }
        self.open_from = end;
        let closed = &mut self.closed.get_or_insert_with(Box::default).slices;
        while let Some((start, _)) = self.open.front()
            && *start < end
        {
            if let Some((start, acc)) = self.open.pop_front() {
                closed.push_back(ClosedSlice::new(start, acc));
            }
        }
        if self.open.is_empty() {
            self.newest_number = UNKNOWN;
        }
    }
}

/// Drops the slices of `deque` starting before `start`; how many.
fn retire<E>(deque: &mut VecDeque<E>, start: Timestamp, start_of: impl Fn(&E) -> Timestamp) -> usize {
    // From the front, one by one: a firing retires a slice or two.
    let mut dropped = 0;
    while deque.front().is_some_and(|e| start_of(e) < start) {
        if dropped == RETIRE_ONE_BY_ONE {
            let keep_from = deque.partition_point(|e| start_of(e) < start);
            deque.drain(..keep_from);
            return dropped + keep_from;
        }
        deque.pop_front();
        dropped += 1;
    }
    dropped
}

/// Where the slice starting at `slice_start` is or would be inserted: the position of the
/// first slice starting at or after it. `newest_number` is the slice number of the deque's
/// newest slice, or [`UNKNOWN`].
#[inline]
pub(super) fn locate<ACC>(
    deque: &VecDeque<(Timestamp, ACC)>,
    newest_number: i64,
    slicing: &Slicing,
    (slice_start, slice_number): (Timestamp, i64),
) -> usize {
    let len = deque.len();
    let newest_number = if newest_number != UNKNOWN {
        newest_number
    } else {
        match deque.back() {
            Some((back, _)) => slicing.slice_number(*back),
            None => return 0,
        }
    };
    if slice_number > newest_number {
        return len;
    }
    // A key with a slice at every boundary near the newest (a busy key) has the slice where
    // the slice grid says: one probe, one cache line, whatever `size / slide` is.
    // With gaps, at most `behind` slices follow it, so it is at or after that guess: a few
    // steps forward (one slice per empty boundary).
    let behind = newest_number - slice_number;
    if let Ok(behind) = usize::try_from(behind)
        && behind < len
    {
        let guess = len - 1 - behind;
        let mut at = guess;
        while at < len && at - guess < NEAR_THE_BACK {
            match deque.get(at) {
                Some((start, _)) if *start < slice_start => at += 1,
                _ => return at,
            }
        }
    }
    // Else near the back (records are at most a little out of order), then anywhere.
    let near = len.saturating_sub(NEAR_THE_BACK);
    let mut at = len;
    while at > near {
        match deque.get(at - 1) {
            Some((start, _)) if *start < slice_start => return at,
            _ => at -= 1,
        }
    }
    if near == 0 { 0 } else { deque.partition_point(|(start, _)| *start < slice_start) }
}

/// Beyond this many slices, [`SliceAccumulators::retire_before`] binary-searches.
const RETIRE_ONE_BY_ONE: usize = 8;
