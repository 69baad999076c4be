//! A Two-Stacks sliding-window aggregate over one key's slices (Tangwongsan, Hirzel and
//! Schneider, "Sliding-Window Aggregation Algorithms", 2017): windows fired in order of their
//! end combine O(1) partial aggregates amortized, with only the aggregate's `merge` (no inverse).
//!
//! The slices a window covers form a FIFO as windows advance: old slices leave at the front,
//! new ones (final once their window fires) join at the back. The **back** is one running
//! merge of the slices that joined since the last flip; the **front** is a stack holding, for
//! each of its slices, the merge of that slice and every newer front slice. A window's result is
//! the front's top merged with the back. When the front runs out while back slices must leave,
//! a flip rebuilds the front from the back's slices (read from the key's slice deque): each
//! slice is merged about three times in its life, whatever the window's length.
//!
//! It is a **cache**, not state: snapshots write the slices only, and the cache is rebuilt from
//! them — after a restore, or when a late record changes a slice it has combined already.
//! Queries that go back in time (re-firing an earlier window) are not answered here: the caller
//! merges those from scratch ([`Answer::Behind`]).

use crate::time::Timestamp;
use crate::window::aggregate::AggregateFunction;
use std::collections::VecDeque;

/// What [`TwoStacks::query`] found.
pub(super) enum Answer<OUT> {
    /// The window's result, `None` when it has no slice.
    Combined(Option<OUT>),
    /// The window starts or ends before one answered already: merge it from scratch.
    Behind,
}

#[derive(Debug, Clone)]
pub(super) struct TwoStacks<ACC> {
    /// False until the first query, and after a combined slice changed.
    valid: bool,
    /// Oldest slice last (on top): `(slice start, that slice merged with every newer front slice)`.
    front: Vec<(Timestamp, ACC)>,
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
            valid: false,
            front: Vec::new(),
            back: None,
            back_from: Timestamp::MIN,
            to: Timestamp::MIN,
            from: Timestamp::MIN,
        }
    }
}

impl<ACC> TwoStacks<ACC> {
    /// Slices starting before this may be combined: a record added to one must be reported
    /// ([`slice_changed`](Self::slice_changed)).
    pub(super) fn combined_to(&self) -> Timestamp {
        if self.valid { self.to } else { Timestamp::MIN }
    }

    /// The slices starting before `start` were dropped: no query may start before it any more.
    pub(super) fn retired_before(&mut self, start: Timestamp) {
        self.from = self.from.max(start);
    }
}

impl<ACC: Clone> TwoStacks<ACC> {
    /// The slice starting at `slice_start` gets a record: if it was combined already (a late
    /// record), the cache is dropped and rebuilt at the next query.
    #[inline]
    pub(super) fn slice_changed(&mut self, slice_start: Timestamp) {
        if self.valid && slice_start < self.to {
            self.valid = false;
            self.front.clear();
            self.back = None;
        }
    }

    /// The result of the window `[start, end)` over `slices` (sorted by start, as the key's
    /// [`SliceAccumulators`](super::SliceAccumulators) holds them); `locate(t)` is the position
    /// of the first slice starting at or after `t`.
    pub(super) fn query<IN, OUT, F: AggregateFunction<IN, ACC, OUT>>(
        &mut self,
        slices: &VecDeque<(Timestamp, ACC)>,
        locate: impl Fn(Timestamp) -> usize,
        start: Timestamp,
        end: Timestamp,
        function: &F,
    ) -> Answer<OUT> {
        if self.valid && (start < self.from || end < self.to) {
            return Answer::Behind;
        }
        if !self.valid || self.to <= start {
            // Nothing combined so far is in the window: start afresh at it.
            self.front.clear();
            self.back = None;
            (self.back_from, self.to, self.valid) = (start, start, true);
        }
        self.from = start;
        // The slices before the window leave.
        loop {
            match self.front.last() {
                Some((slice, _)) if *slice < start => {
                    self.front.pop();
                }
                Some(_) => break,
                None if self.back.is_some() && self.back_from < start => self.flip(slices, function),
                None => break,
            }
        }
        // The window's slices not combined yet join the back.
        if self.to < end {
            // The slices to join start at the last window's end (`locate` finds it by the
            // slice grid, near the back: records run at most a little ahead of the watermark).
            let first = locate(self.to);
            for (slice, acc) in slices.range(first..) {
                if *slice >= end {
                    break;
                }
                match &mut self.back {
                    Some(back) => function.merge(back, acc),
                    None => {
                        self.back_from = self.to;
                        self.back = Some(acc.clone());
                    }
                }
            }
            self.to = end;
        }
        Answer::Combined(match (self.front.last(), &self.back) {
            (Some((_, front)), Some(back)) => {
                let mut acc = front.clone();
                function.merge(&mut acc, back);
                Some(function.get_result(&acc))
            }
            (Some((_, front)), None) => Some(function.get_result(front)),
            (None, Some(back)) => Some(function.get_result(back)),
            (None, None) => None,
        })
    }

    /// Moves the back's slices to the front, each merged with the newer ones.
    fn flip<IN, OUT, F: AggregateFunction<IN, ACC, OUT>>(&mut self, slices: &VecDeque<(Timestamp, ACC)>, function: &F) {
        let from = slices.partition_point(|(slice, _)| *slice < self.back_from);
        let to = slices.partition_point(|(slice, _)| *slice < self.to);
        for (slice, acc) in slices.range(from..to.max(from)).rev() {
            let mut combined = acc.clone();
            if let Some((_, newer)) = self.front.last() {
                function.merge(&mut combined, newer);
            }
            self.front.push((*slice, combined));
        }
        self.back = None;
        self.back_from = self.to;
    }
}
