//! [`SliceAccumulators`]: one key's slices, in order, with the cache of their combinations.
//! It is **not** the arithmetic of slices ([`Slicing`]) nor the aggregate over them
//! ([`SliceAggregator`](super::SliceAggregator)).
//!
//! A key's slices are split at `open_from`, the end of the last window fired through the cache:
//! the **open** slices, which records go to, and the **closed** ones, which firings read (and
//! late records, rarely). At small slides a key holds many slices — about 130 for 10 s windows
//! every 167 ms — of which records touch only the dozen its out-of-orderness spans. In one deque
//! those were a few lines of a 6 KB buffer per key, a separate page for every key, and the
//! Two-Stacks cache (boxed, with a stack of partials of its own) was two more places per key a
//! firing had to load. Now records touch a small ring of open slices found by slice number
//! ([`OpenSlices`]), and a firing moves the slices of the window it closes to the closed ones
//! (boxed), whose oldest carries the partial aggregate that firing reads ([`ClosedSlice`]).

use super::Slicing;
use super::open::{OpenSlices, SPAN, Slot};
use super::two_stacks::{ClosedSlice, TwoStacks};
use crate::time::Timestamp;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::VecDeque;
use std::sync::Arc;

/// One key's slice accumulators, sorted by slice start; only slices with records exist.
/// Serializable as part of the key's state: only the slices are written, as one sequence (the
/// split into open and closed slices is not). The Two-Stacks aggregate over them is a cache,
/// rebuilt from the slices when needed (after a restore, or after a late record changed a slice
/// it had combined).
///
/// 80 bytes, the fields a record reads first (`repr(C)`): a key's entry in the state table
/// takes a cache line or two, and the closed slices, which only firings read, are boxed.
#[derive(Debug, Clone)]
#[repr(C)]
pub struct SliceAccumulators<ACC> {
    /// The slices starting at or after `open_from`: where records go.
    pub(super) open: OpenSlices<ACC>,
    /// Where open slices start: moves forward, but for [`reopen`](Self::reopen).
    pub(super) open_from: Timestamp,
    /// The slices' grid, to tell the start of an open slice from its number: set by the first
    /// record since this value was made or restored (open slices exist only since).
    pub(super) slicing: Option<Arc<Slicing>>,
    /// The end of the latest window fired through [`SliceAggregator::fire_window`](super::SliceAggregator::fire_window).
    pub(super) fired_through: Timestamp,
    /// The slices starting before `open_from` with the cache over them: made by the first
    /// firing that closes a slice (tumbling windows never do), or by a restore.
    pub(super) closed: Option<Box<TwoStacks<ACC>>>,
}

impl<ACC> Default for SliceAccumulators<ACC> {
    fn default() -> Self {
        SliceAccumulators {
            open: OpenSlices::default(),
            open_from: Timestamp::MIN,
            slicing: None,
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

/// Read back as closed slices (their starts are written; open ones are found by number, on a
/// grid only the aggregator knows): the first record after reopens the newest
/// (`SliceAccumulators::reopen`).
impl<'de, ACC: Deserialize<'de>> Deserialize<'de> for SliceAccumulators<ACC> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "SliceAccumulators", bound(deserialize = "ACC: Deserialize<'de>"))]
        struct Stored<ACC> {
            slices: VecDeque<(Timestamp, ACC)>,
        }
        let stored = Stored::deserialize(deserializer)?;
        let Some(&(newest, _)) = stored.slices.back() else { return Ok(SliceAccumulators::default()) };
        let slices = stored.slices.into_iter().map(|(start, acc)| ClosedSlice::new(start, acc)).collect();
        Ok(SliceAccumulators {
            open_from: newest.saturating_add(1),
            closed: Some(Box::new(TwoStacks::with_slices(slices))),
            ..SliceAccumulators::default()
        })
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

    /// Starts loading the open slice numbered `number` ([`SlicePosition::slice_number`]) into
    /// the CPU's caches, so that a record added to it a little later does not wait for it: at
    /// small slides a key's open slices span several cache lines and are out of the caches when
    /// its next record comes. A hint only; nothing changes.
    ///
    /// [`SlicePosition::slice_number`]: super::SlicePosition::slice_number
    #[inline]
    pub fn prefetch_slice(&self, number: i64) {
        self.open.prefetch(number);
    }

    /// The slices, oldest first, as `(slice start, accumulator)`.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &ACC)> {
        let closed = self.closed().into_iter().flatten().map(|slice| (slice.start, &slice.acc));
        // Open slices exist only once `slicing` is set.
        let slicing = self.slicing.as_deref();
        let open =
            slicing.into_iter().flat_map(|slicing| self.open.iter().map(|(n, acc)| (slicing.slice_start_of(n), acc)));
        closed.chain(open)
    }

    /// The closed slices, oldest first, if any slice was ever closed.
    fn closed(&self) -> Option<&VecDeque<ClosedSlice<ACC>>> {
        self.closed.as_deref().map(|closed| &closed.slices)
    }

    /// The number of the first open slice starting at or after `timestamp` (numbers outside the
    /// open slices' are clamped to them, so that any timestamp is safe).
    fn open_number_from(&self, timestamp: Timestamp) -> Option<(i64, &Slicing)> {
        let slicing = self.slicing.as_deref()?;
        let (first, last) = self.open.bounds()?;
        let number = if timestamp <= slicing.slice_start_of(first) {
            first
        } else if timestamp > slicing.slice_start_of(last) {
            last + 1
        } else {
            slicing.first_slice_number_from(timestamp)
        };
        Some((number, slicing))
    }

    /// The accumulators of the slices starting in `[from, to)`, oldest first.
    pub(super) fn range(&self, from: Timestamp, to: Timestamp) -> impl Iterator<Item = &ACC> {
        let closed = self.closed().into_iter().flat_map(move |closed| {
            let first = closed.partition_point(|slice| slice.start < from);
            let last = closed.partition_point(|slice| slice.start < to).max(first);
            closed.range(first..last).map(|slice| &slice.acc)
        });
        let numbers = self.open_number_from(from).zip(self.open_number_from(to));
        let open = numbers.into_iter().flat_map(|((from, _), (to, _))| self.open.range(from, to).map(|(_, acc)| acc));
        closed.chain(open)
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
            let (number, slicing) = self.open_number_from(from)?;
            self.open.first_from(number).map(|n| slicing.slice_start_of(n))
        })
    }

    /// Drops every slice starting before `start` and returns how many were dropped.
    pub fn retire_before(&mut self, start: Timestamp) -> usize {
        let mut dropped = 0;
        if let Some(closed) = &mut self.closed {
            dropped += retire(&mut closed.slices, start);
            closed.retired_before(start);
            if !closed.slices.is_empty() {
                return dropped;
            }
        }
        if let Some((number, _)) = self.open_number_from(start) {
            self.open.take_before(number, |_, _| dropped += 1);
        }
        dropped
    }

    /// Sets the slices' grid, at the first record since this value was made or restored; after a
    /// restore (all slices closed, the cache empty), the newest slices within the ring's span
    /// become open again, so that records reach them by number rather than by search.
    pub(super) fn reopen(&mut self, grid: &Arc<Slicing>, empty: impl Fn() -> ACC) {
        self.slicing = Some(Arc::clone(grid));
        let Some(closed) = &mut self.closed else { return };
        let (Some(oldest), Some(newest)) = (closed.slices.front(), closed.slices.back()) else { return };
        // Not before the oldest slice: no arithmetic on numbers beyond the slices' own.
        let lowest = (grid.slice_number(newest.start) - (SPAN - 1)).max(grid.slice_number(oldest.start));
        let from = grid.slice_start_of(lowest);
        let at = closed.slices.partition_point(|slice| slice.start < from);
        let Some(first) = closed.slices.get(at).map(|slice| slice.start) else { return };
        // A restored cache has combined nothing; were these slices combined, it is dropped.
        closed.slice_changed(first);
        for slice in closed.slices.drain(at..) {
            if let Slot::Here { acc, .. } = self.open.slot(grid.slice_number(slice.start), &empty) {
                *acc = slice.acc;
            }
        }
        self.open_from = first;
    }

    /// Moves the open slices starting before `end` to the closed ones, and open slices start at
    /// `end` from now on: the window ending at `end` fires through the cache, which reads
    /// closed slices only.
    pub(super) fn close_before(&mut self, end: Timestamp) {
        if end <= self.open_from {
            return;
        }
        self.open_from = end;
        let number = self.open_number_from(end).map(|(number, _)| number);
        self.close_open_before(number);
    }

    /// Moves the open slices numbered before `number` (if any) to the closed ones.
    pub(super) fn close_open_before(&mut self, number: Option<i64>) {
        let (Some(number), Some(slicing)) = (number, self.slicing.as_deref()) else { return };
        let closed = &mut self.closed.get_or_insert_with(Box::default).slices;
        self.open.take_before(number, |n, acc| closed.push_back(ClosedSlice::new(slicing.slice_start_of(n), acc)));
    }
}

/// Drops the closed slices starting before `start`; how many.
fn retire<ACC>(closed: &mut VecDeque<ClosedSlice<ACC>>, start: Timestamp) -> usize {
    // From the front, one by one: a firing retires a slice or two.
    let mut dropped = 0;
    while closed.front().is_some_and(|slice| slice.start < start) {
        if dropped == RETIRE_ONE_BY_ONE {
            let keep_from = closed.partition_point(|slice| slice.start < start);
            closed.drain(..keep_from);
            return dropped + keep_from;
        }
        closed.pop_front();
        dropped += 1;
    }
    dropped
}

/// Beyond this many slices, [`SliceAccumulators::retire_before`] binary-searches.
const RETIRE_ONE_BY_ONE: usize = 8;
