//! Shared-slice ("pane") aggregation for sliding windows with an incremental aggregate: each
//! record is added to **one** slice accumulator instead of `size / slide` window accumulators.
//!
//! Windows of length `size` starting every `slide` (at `offset`) are cut into slices of length
//! `gcd(size, slide)`, aligned so that every window is exactly `size / gcd` consecutive slices.
//! A key keeps one accumulator per slice that has records ([`SliceAccumulators`], sorted by slice
//! start); a window's result merges the accumulators of its slices with the aggregate's `merge`
//! ([`SliceAggregator::result_for_window`]). Adding a record costs one division and (in time
//! order) one accumulator update, whatever `size / slide` is; a firing costs at most
//! `size / gcd` merges. Tumbling windows are the case `slide == size`: one slice per window.
//!
//! This is **not** the operator: it registers no timers, tracks no watermark and decides nothing
//! about lateness. The operator registers a timer for every window end of a new slice
//! ([`Slicing::window_ends_of_slice`]), emits [`SliceAggregator::result_for_window`] when one
//! fires, and drops slices no live window needs ([`SliceAccumulators::retire_before`] with
//! [`Slicing::next_window_start`] of the last window it cleaned up).

use super::aggregate::AggregateFunction;
use super::assigner::{SlidingWindows, TumblingWindows, out_of_range};
use super::time_window::TimeWindow;
use crate::error::{Error, Result};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::marker::PhantomData;

const NAME: &str = "Slicing";

/// How windows of `size` every `slide` (at `offset`) are cut into slices of `gcd(size, slide)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slicing {
    size: i64,
    slide: i64,
    /// The window grid's offset, in `[0, slide)`.
    offset: i64,
    /// `gcd(size, slide)`.
    slice: i64,
    /// Timestamps outside `[min_timestamp, max_timestamp]` are refused, so that no arithmetic
    /// on slices and windows of accepted timestamps can overflow.
    min_timestamp: Timestamp,
    max_timestamp: Timestamp,
}

impl Slicing {
    /// Slices for windows of `size` ms every `slide` ms, starting at `offset + k·slide`.
    pub fn new(size: i64, slide: i64, offset: i64) -> Result<Self> {
        if size <= 0 || slide <= 0 {
            return Err(Error::InvalidWindow {
                what: NAME,
                message: format!("size and slide must be at least 1 ms, got size {size} ms and slide {slide} ms"),
            });
        }
        let reach = size.saturating_add(slide);
        Ok(Slicing {
            size,
            slide,
            offset: offset.rem_euclid(slide),
            slice: gcd(size, slide),
            min_timestamp: Timestamp::MIN.saturating_add(reach),
            max_timestamp: Timestamp::MAX.saturating_sub(reach),
        })
    }

    /// The slices of sliding windows.
    pub fn for_sliding(windows: &SlidingWindows) -> Result<Self> {
        Self::new(windows.size(), windows.slide(), windows.offset())
    }

    /// The slices of tumbling windows: one per window.
    pub fn for_tumbling(windows: &TumblingWindows) -> Result<Self> {
        Self::new(windows.size(), windows.size(), windows.offset())
    }

    pub fn size(&self) -> i64 {
        self.size
    }

    pub fn slide(&self) -> i64 {
        self.slide
    }

    /// The length of a slice: `gcd(size, slide)`.
    pub fn slice_length(&self) -> i64 {
        self.slice
    }

    /// How many slices make a window.
    pub fn slices_per_window(&self) -> i64 {
        self.size / self.slice
    }

    /// The start of the slice `[s, s + slice_length)` containing `timestamp`. Timestamps within
    /// `size + slide` of `i64`'s ends are refused.
    #[inline]
    pub fn slice_start(&self, timestamp: Timestamp) -> Result<Timestamp> {
        if timestamp < self.min_timestamp || timestamp > self.max_timestamp {
            return Err(out_of_range(NAME, timestamp));
        }
        // No overflow: the bounds keep `timestamp - offset` and the result inside i64.
        Ok(timestamp - (timestamp - self.offset).rem_euclid(self.slice))
    }

    /// The ends of every window containing the slice starting at `slice_start`, ascending; none
    /// when the slice lies in a gap between windows (`slide > size`).
    pub fn window_ends_of_slice(&self, slice_start: Timestamp) -> impl Iterator<Item = Timestamp> + use<> {
        // The windows containing a slice are those containing its start. In i128: nothing
        // overflows, and ends past i64::MAX (impossible for accepted timestamps) are left out.
        let (s, size, slide, offset) =
            (i128::from(slice_start), i128::from(self.size), i128::from(self.slide), i128::from(self.offset));
        let last_start = s - (s - offset).rem_euclid(slide);
        let last_end = (last_start + size).min(i128::from(Timestamp::MAX));
        let count = (last_start + size - s + slide - 1).div_euclid(slide).max(0);
        let first_end = last_start + size - (count - 1) * slide;
        let (first, last) = if count == 0 { (1, 0) } else { (first_end as i64, last_end as i64) };
        (first..=last).step_by(usize::try_from(self.slide).unwrap_or(usize::MAX))
    }

    /// Whether `end` is the end of a window of this grid.
    pub fn is_window_end(&self, end: Timestamp) -> bool {
        (i128::from(end) - i128::from(self.size) - i128::from(self.offset)).rem_euclid(i128::from(self.slide)) == 0
    }

    /// The window ending at `end`.
    pub fn window_ending_at(&self, end: Timestamp) -> TimeWindow {
        TimeWindow::new(end.saturating_sub(self.size), end)
    }

    /// The start of the window after the one ending at `end`: slices before it belong to no
    /// later window, so once the window ending at `end` is cleaned up they can be retired.
    pub fn next_window_start(&self, end: Timestamp) -> Timestamp {
        end.saturating_sub(self.size).saturating_add(self.slide)
    }
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// One key's slice accumulators, sorted by slice start; only slices with records exist.
/// Serializable as part of the key's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SliceAccumulators<ACC> {
    slices: VecDeque<(Timestamp, ACC)>,
}

impl<ACC> Default for SliceAccumulators<ACC> {
    fn default() -> Self {
        SliceAccumulators { slices: VecDeque::new() }
    }
}

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

    /// Drops every slice starting before `start` and returns how many were dropped.
    pub fn retire_before(&mut self, start: Timestamp) -> usize {
        let keep_from = self.slices.partition_point(|(s, _)| *s < start);
        self.slices.drain(..keep_from);
        keep_from
    }
}

/// What [`SliceAggregator::add`] did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceAdded {
    /// The slice the record went into.
    pub slice_start: Timestamp,
    /// Whether the slice was created by this record: the operator then registers timers for its
    /// windows ([`Slicing::window_ends_of_slice`]).
    pub is_new: bool,
}

/// An aggregate function over slices: adds records to slices and combines slices into windows.
/// Shared by all keys; each key's accumulators are a [`SliceAccumulators`].
pub struct SliceAggregator<IN, ACC, OUT, F> {
    slicing: Slicing,
    function: F,
    types: PhantomData<fn(&IN, ACC) -> OUT>,
}

impl<IN, ACC, OUT, F: AggregateFunction<IN, ACC, OUT>> SliceAggregator<IN, ACC, OUT, F> {
    pub fn new(slicing: Slicing, function: F) -> Self {
        SliceAggregator { slicing, function, types: PhantomData }
    }

    pub fn slicing(&self) -> &Slicing {
        &self.slicing
    }

    pub fn function(&self) -> &F {
        &self.function
    }

    /// Adds a record at `timestamp` to its one slice.
    #[inline]
    pub fn add(&self, slices: &mut SliceAccumulators<ACC>, timestamp: Timestamp, value: &IN) -> Result<SliceAdded> {
        let slice_start = self.slicing.slice_start(timestamp)?;
        // Records mostly arrive in time order: the newest slice first, then a binary search.
        if let Some((start, acc)) = slices.slices.back_mut()
            && *start == slice_start
        {
            self.function.add(acc, value);
            return Ok(SliceAdded { slice_start, is_new: false });
        }
        match slices.slices.binary_search_by_key(&slice_start, |(start, _)| *start) {
            Ok(i) => {
                if let Some((_, acc)) = slices.slices.get_mut(i) {
                    self.function.add(acc, value);
                }
                Ok(SliceAdded { slice_start, is_new: false })
            }
            Err(i) => {
                let mut acc = self.function.create_accumulator();
                self.function.add(&mut acc, value);
                slices.slices.insert(i, (slice_start, acc));
                Ok(SliceAdded { slice_start, is_new: true })
            }
        }
    }

    /// The accumulator of the window ending at `window_end`: its slices merged, or `None` when
    /// none of them has records.
    pub fn accumulator_for_window(&self, slices: &SliceAccumulators<ACC>, window_end: Timestamp) -> Option<ACC> {
        let in_window = Self::slices_of_window(&self.slicing, slices, window_end);
        if in_window.is_empty() {
            return None;
        }
        let mut acc = self.function.create_accumulator();
        for i in in_window {
            if let Some((_, slice)) = slices.slices.get(i) {
                self.function.merge(&mut acc, slice);
            }
        }
        Some(acc)
    }

    /// The result of the window ending at `window_end`, or `None` when it has no records.
    pub fn result_for_window(&self, slices: &SliceAccumulators<ACC>, window_end: Timestamp) -> Option<OUT> {
        let in_window = Self::slices_of_window(&self.slicing, slices, window_end);
        if in_window.len() == 1 {
            // A single slice (always so for tumbling windows): no merge needed.
            return slices.slices.get(in_window.start).map(|(_, acc)| self.function.get_result(acc));
        }
        self.accumulator_for_window(slices, window_end).map(|acc| self.function.get_result(&acc))
    }

    /// The positions of the slices in `[window_end - size, window_end)`.
    fn slices_of_window(
        slicing: &Slicing,
        slices: &SliceAccumulators<ACC>,
        window_end: Timestamp,
    ) -> std::ops::Range<usize> {
        let window_start = window_end.saturating_sub(slicing.size);
        let from = slices.slices.partition_point(|(s, _)| *s < window_start);
        let to = slices.slices.partition_point(|(s, _)| *s < window_end);
        from..to.max(from)
    }
}

impl<IN, ACC, OUT, F: std::fmt::Debug> std::fmt::Debug for SliceAggregator<IN, ACC, OUT, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SliceAggregator").field("slicing", &self.slicing).field("function", &self.function).finish()
    }
}

#[cfg(test)]
mod tests;
