//! A Two-Stacks sliding-window aggregate over one key's closed slices (Tangwongsan, Hirzel and
//! Schneider, "Sliding-Window Aggregation Algorithms", 2017): windows fired in order of their
//! end combine O(1) partial aggregates amortized, with only the aggregate's `merge` (no inverse).
//!
//! The slices a window covers form a FIFO as windows advance: old slices leave at the front,
//! new ones (final once their window fires) join at the back. The **back** is one running
//! merge of the slices that joined since the last flip; the **front** holds, for each of its
//! slices, the merge of that slice and every newer front slice. A window's result is the
//! front's oldest partial merged with the back. When the front runs out while back slices must
//! leave, a flip rebuilds the front from the back's slices: each slice is merged about three
//! times in its life, whatever the window's length.
//!
//! The front's partials are stored **beside the slices** ([`ClosedSlice::partial`]), not in a
//! stack of their own, and the rest of the state is in one box with the key's closed slices
//! ([`TwoStacks`], in its [`SliceAccumulators`](super::SliceAccumulators)): the partial a firing
//! reads is then the key's oldest closed slice, which retiring touches anyway. At small slides a key fires often (every
//! 167 ms of event time for 10 s windows), always with its data out of the CPU caches, so each
//! separate place a firing reads is a cache miss.
//!
//! It is a **cache**, not state: snapshots write the slices only, and the cache is rebuilt from
//! them — after a restore, or when a late record changes a slice it has combined already.
//! Queries that go back in time (re-firing an earlier window) are not answered here: the caller
//! merges those from scratch ([`Answer::Behind`]).

use crate::time::Timestamp;
use crate::window::aggregate::AggregateFunction;
use std::collections::VecDeque;

/// How many closed slices a search from the front or the back steps over one by one before a
/// binary search: firings read the oldest slices and join the newest.
const NEAR_THE_ENDS: usize = 8;

/// A slice of a window fired through the cache (the key's closed slices).
#[derive(Debug, Clone)]
pub(super) struct ClosedSlice<ACC> {
    pub(super) start: Timestamp,
    pub(super) acc: ACC,
    /// While the slice is in the front: the merge of it and every newer front slice. Stale
    /// elsewhere, and never read there.
    pub(super) partial: Option<ACC>,
}

impl<ACC> ClosedSlice<ACC> {
    pub(super) fn new(start: Timestamp, acc: ACC) -> Self {
        ClosedSlice { start, acc, partial: None }
    }
}

/// What [`TwoStacks::query`] found.
pub(super) enum Answer<OUT> {
    /// The window's result, `None` when it has no slice.
    Combined(Option<OUT>),
    /// The window starts or ends before one answered already: merge it from scratch.
    Behind,
}

/// A key's closed slices with the Two-Stacks aggregate over them. The front is the closed
/// slices starting in `[from, back_from)`, the back those in `[back_from, to)`.
#[derive(Debug, Clone)]
pub(super) struct TwoStacks<ACC> {
    /// The closed slices, oldest first.
    pub(super) slices: VecDeque<ClosedSlice<ACC>>,
    /// False until the first query, and after a combined slice changed.
    valid: bool,
    /// The slices starting in `[back_from, to)` merged, oldest first; `None` when there are none.
    back: Option<ACC>,
    back_from: Timestamp,
    /// Slices starting before `to` are combined (in the front or the back) or evicted.
    to: Timestamp,
    /// Slices starting before `from` are evicted: no query may start before it.
    from: Timestamp,
}

impl<ACC> Default for TwoStacks<ACC> {
    fn default() -> Self {
        TwoStacks {
            slices: VecDeque::new(),
            valid: false,
            back: None,
            back_from: Timestamp::MIN,
            to: Timestamp::MIN,
            from: Timestamp::MIN,
        }
    }
}

impl<ACC> TwoStacks<ACC> {
    /// Closed slices (sorted by start), nothing combined yet.
    pub(super) fn with_slices(slices: VecDeque<ClosedSlice<ACC>>) -> Self {
        TwoStacks { slices, ..TwoStacks::default() }
    }

    /// The slices starting before `start` were dropped: no query may start before it any more.
    pub(super) fn retired_before(&mut self, start: Timestamp) {
        self.from = self.from.max(start);
    }

    /// The slice starting at `slice_start` gets a record: if it was combined already (a late
    /// record), the cache is dropped and rebuilt at the next query.
    #[inline]
    pub(super) fn slice_changed(&mut self, slice_start: Timestamp) {
        if self.valid && slice_start < self.to {
            self.valid = false;
            self.back = None;
        }
    }
}

impl<ACC: Clone> TwoStacks<ACC> {
    /// The result of the window `[start, end)` over the closed slices, which must hold every
    /// slice of the window.
    pub(super) fn query<IN, OUT, F: AggregateFunction<IN, ACC, OUT>>(
        &mut self,
        start: Timestamp,
        end: Timestamp,
        function: &F,
    ) -> Answer<OUT> {
        if self.valid && (start < self.from || end < self.to) {
            return Answer::Behind;
        }
        if !self.valid || self.to <= start {
            // Nothing combined so far is in the window: start afresh at it.
            self.back = None;
            (self.back_from, self.to, self.valid) = (start, start, true);
        }
        self.from = start;
        // Back slices must leave: all of them move to the front (the front slices before
        // `back_from` all left already).
        if self.back_from < start && self.back.is_some() {
            self.flip(function);
        }
        let closed = &self.slices;
        // The window's slices not combined yet join the back: the newest closed slices.
        if self.to < end {
            let first = first_from_back(closed, self.to);
            for slice in closed.range(first..) {
                if slice.start >= end {
                    break;
                }
                match &mut self.back {
                    Some(back) => function.merge(back, &slice.acc),
                    None => {
                        self.back_from = self.to;
                        self.back = Some(slice.acc.clone());
                    }
                }
            }
            self.to = end;
        }
        // The front's oldest slice in the window: usually the key's oldest closed slice.
        let top = closed
            .get(first_from_front(closed, start))
            .filter(|slice| slice.start < self.back_from)
            .and_then(|slice| slice.partial.as_ref());
        Answer::Combined(match (top, &self.back) {
            (Some(front), Some(back)) => {
                let mut acc = front.clone();
                function.merge(&mut acc, back);
                Some(function.get_result(&acc))
            }
            (Some(front), None) => Some(function.get_result(front)),
            (None, Some(back)) => Some(function.get_result(back)),
            (None, None) => None,
        })
    }

    /// Moves the back's slices to the front: each gets its merge with the newer ones.
    fn flip<IN, OUT, F: AggregateFunction<IN, ACC, OUT>>(&mut self, function: &F) {
        let closed = &mut self.slices;
        let from = closed.partition_point(|slice| slice.start < self.back_from);
        let to = closed.partition_point(|slice| slice.start < self.to).max(from);
        for i in (from..to).rev() {
            let Some(slice) = closed.get(i) else { break };
            let mut partial = slice.acc.clone();
            if let Some(newer) = closed.get(i + 1).filter(|_| i + 1 < to).and_then(|newer| newer.partial.as_ref()) {
                function.merge(&mut partial, newer);
            }
            if let Some(slice) = closed.get_mut(i) {
                slice.partial = Some(partial);
            }
        }
        self.back = None;
        self.back_from = self.to;
    }
}

/// The position of the first closed slice starting at or after `start`, looked for from the
/// front (where firings evict).
fn first_from_front<ACC>(closed: &VecDeque<ClosedSlice<ACC>>, start: Timestamp) -> usize {
    for (i, slice) in closed.iter().take(NEAR_THE_ENDS).enumerate() {
        if slice.start >= start {
            return i;
        }
    }
    closed.partition_point(|slice| slice.start < start)
}

/// The position of the first closed slice starting at or after `start`, looked for from the
/// back (where firings join).
fn first_from_back<ACC>(closed: &VecDeque<ClosedSlice<ACC>>, start: Timestamp) -> usize {
    let len = closed.len();
    let mut at = len;
    while at > len.saturating_sub(NEAR_THE_ENDS) {
        match closed.get(at - 1) {
            Some(slice) if slice.start >= start => at -= 1,
            _ => return at,
        }
    }
    closed.partition_point(|slice| slice.start < start)
}
