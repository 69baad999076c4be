//! [`SliceAccumulators`]: one key's slices, in order, with the cache of their combinations,
//! and finding a record's slice among them. It is **not** the arithmetic of slices
//! ([`Slicing`](super::Slicing)) nor the aggregate over them ([`SliceAggregator`](super::SliceAggregator)).

use super::Slicing;
use super::two_stacks::TwoStacks;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How many of a key's newest slices a record's slice is looked for among, one by one, before a
/// binary search: a record at most 1 s out of order is within the last dozen slices of 10 s
/// windows every 167 ms.
const NEAR_THE_BACK: usize = 16;

/// One key's slice accumulators, sorted by slice start; only slices with records exist.
/// Serializable as part of the key's state: only the slices are written. The Two-Stacks
/// aggregate over them is a cache, rebuilt from the slices when needed (after a restore, or
/// after a late record changed a slice it had combined).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(serialize = "ACC: Serialize", deserialize = "ACC: Deserialize<'de>"))]
pub struct SliceAccumulators<ACC> {
    pub(super) slices: VecDeque<(Timestamp, ACC)>,
    /// Boxed, and made at the first firing that needs it: read at firings only, so the key's
    /// state-table entry stays small for the per-record path, and tumbling windows never make it.
    #[serde(skip)]
    pub(super) combined: Option<Box<TwoStacks<ACC>>>,
    /// Slices starting before this may be combined in `combined` (a copy of its `to`, kept
    /// here so that the per-record check for a late record does not load the box).
    #[serde(skip, default = "nothing_combined")]
    pub(super) combined_to: Timestamp,
    /// The newest slice's start, or `Timestamp::MIN` when unknown (after a restore) or when
    /// there is none: kept here so that finding a record's slice loads one slice, not also the
    /// newest one.
    #[serde(skip, default = "nothing_combined")]
    pub(super) newest: Timestamp,
    /// The newest slice's [`Slicing::slice_number`], valid when `newest` is known.
    #[serde(skip)]
    pub(super) newest_number: i64,
}

fn nothing_combined() -> Timestamp {
    Timestamp::MIN
}

impl<ACC> Default for SliceAccumulators<ACC> {
    fn default() -> Self {
        SliceAccumulators {
            slices: VecDeque::new(),
            combined: None,
            combined_to: Timestamp::MIN,
            newest: Timestamp::MIN,
            newest_number: 0,
        }
    }
}

/// Equal when the slices are: the cache is not part of the value.
impl<ACC: PartialEq> PartialEq for SliceAccumulators<ACC> {
    fn eq(&self, other: &Self) -> bool {
        self.slices == other.slices
    }
}

impl<ACC: Eq> Eq for SliceAccumulators<ACC> {}

impl<ACC> SliceAccumulators<ACC> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.slices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slices.is_empty()
    }

    /// The slices, oldest first, as `(slice start, accumulator)`.
    pub fn iter(&self) -> impl Iterator<Item = (Timestamp, &ACC)> {
        self.slices.iter().map(|(start, acc)| (*start, acc))
    }

    /// The first slice starting at or after `from`, if any.
    pub fn first_slice_from(&self, from: Timestamp) -> Option<Timestamp> {
        // Usually the oldest slice or the one after it (slices are retired as windows close).
        let i = match self.slices.front() {
            Some((oldest, _)) if *oldest >= from => 0,
            _ => self.slices.partition_point(|(s, _)| *s < from),
        };
        self.slices.get(i).map(|(s, _)| *s)
    }

    /// Drops every slice starting before `start` and returns how many were dropped.
    pub fn retire_before(&mut self, start: Timestamp) -> usize {
        // From the front, one by one: a firing retires a slice or two.
        let mut dropped = 0;
        while self.slices.front().is_some_and(|(s, _)| *s < start) {
            if dropped == RETIRE_ONE_BY_ONE {
                let keep_from = self.slices.partition_point(|(s, _)| *s < start);
                self.slices.drain(..keep_from);
                dropped += keep_from;
                break;
            }
            self.slices.pop_front();
            dropped += 1;
        }
        if self.slices.is_empty() {
            self.newest = Timestamp::MIN;
        }
        if let Some(combined) = &mut self.combined {
            combined.retired_before(start);
        }
        dropped
    }
}

/// Where the slice starting at `slice_start` is or would be inserted: the position of the
/// first slice starting at or after it.
#[inline]
pub(super) fn locate<ACC>(
    deque: &VecDeque<(Timestamp, ACC)>,
    (newest, newest_number): (Timestamp, i64),
    slicing: &Slicing,
    (slice_start, slice_number): (Timestamp, i64),
) -> usize {
    let len = deque.len();
    let (newest, newest_number) = if newest != Timestamp::MIN {
        (newest, newest_number)
    } else {
        match deque.back() {
            Some((back, _)) => (*back, slicing.slice_number(*back)),
            None => return 0,
        }
    };
    if slice_start > newest {
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
