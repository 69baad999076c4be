//! Shared-slice ("pane") aggregation for sliding windows with an incremental aggregate: each
//! record is added to **one** slice accumulator instead of `size / slide` window accumulators.
//!
//! Windows of length `size` starting every `slide` (at `offset`) are cut into slices at every
//! window start (`offset + k·slide`) and every window end (`offset + k·slide + size`): Scotty's
//! "general stream slicing" (Traub et al., EDBT 2019). That is at most two slices per slide
//! whatever `size` and `slide` are — a slide of 167 ms over 10 s windows cuts slices of 147 and
//! 20 ms, not `gcd(10000, 167)` = 1 ms — and every window is a run of consecutive slices. When
//! the slide divides the size the two kinds of boundary coincide and slices are one slide long;
//! tumbling windows (`slide == size`) are one slice each; with `slide > size`, every other slice
//! lies in a gap between windows and belongs to none.
//!
//! A key keeps one accumulator per slice that has records ([`SliceAccumulators`], sorted by slice
//! start): the slices of windows not fired yet in a ring indexed by slice number (module
//! `open`), the others beside the cache of their combinations. A window's result combines its
//! slices with the aggregate's `merge`:
//! - [`SliceAggregator::fire_window`], for windows fired in order of their end (the operator's
//!   normal firing), keeps a Two-Stacks sliding-window aggregate over the key's slices (module
//!   `two_stacks`), so a firing costs O(1) merges amortized instead of one per slice of the
//!   window; it needs only `merge`, no inverse;
//! - [`SliceAggregator::result_for_window`] merges the window's slices from scratch, for any
//!   window (re-firings of late records within the allowed lateness).
//!
//! Adding a record costs one division (its slice number) and one accumulator update, whatever
//! `size / slide` is. What does grow as the slide shrinks is how many slices a key's records
//! spread over (its out-of-orderness over the slice length) and how often it fires: so the
//! layout keeps the slices records touch dense and small, and a firing's data together (see
//! `accumulators`).
//!
//! This is **not** the operator: it registers no timers, tracks no watermark and decides nothing
//! about lateness. The operator registers timers at window ends ([`Slicing::first_window_end`],
//! [`Slicing::window_ends_of_slice`]), emits [`SliceAggregator::fire_window`] when one fires, and
//! drops slices no live window needs ([`SliceAccumulators::retire_before`] with
//! [`Slicing::next_window_start`] of the last window it cleaned up).

mod accumulators;
mod open;
mod two_stacks;

use super::aggregate::AggregateFunction;
use super::assigner::{SlidingWindows, TumblingWindows, out_of_range};
use super::time_window::TimeWindow;
use crate::error::{Error, Result};
use crate::time::Timestamp;
pub use accumulators::SliceAccumulators;
use open::Slot;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::sync::Arc;
use two_stacks::ClosedSlice;

const NAME: &str = "Slicing";

/// How windows of `size` every `slide` (at `offset`) are cut into slices: at every window start
/// and every window end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slicing {
    size: i64,
    slide: i64,
    /// The window grid's offset, in `[0, slide)`: window starts are `offset + k·slide`.
    offset: i64,
    /// Where window ends fall after a window start, in `[0, slide)`: `size mod slide`. Zero
    /// when the slide divides the size (ends fall on starts: one slice per slide).
    end_phase: i64,
    /// How many windows hold a slice starting at a window start, and one starting `end_phase`
    /// after it (0 for a slice in a gap between windows): so that finding a record's slice and
    /// windows costs one division.
    windows_of_slice: [i64; 2],
    /// Timestamps outside `[min_timestamp, max_timestamp]` are refused, so that no arithmetic
    /// on slices and windows of accepted timestamps can overflow.
    min_timestamp: Timestamp,
    max_timestamp: Timestamp,
}

/// Where a timestamp falls: its slice and the windows holding it ([`Slicing::position`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlicePosition {
    /// The start of the slice.
    pub slice_start: Timestamp,
    /// The slice's place on the grid of all slices ([`Slicing::slice_number`]).
    pub slice_number: i64,
    /// The end of the first window holding the slice; `None` in a gap between windows.
    pub first_window_end: Option<Timestamp>,
    /// The end of the last window holding the slice (meaningful when `first_window_end` is).
    pub last_window_end: Timestamp,
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
        let reach = size.saturating_add(slide).saturating_add(slide);
        let end_phase = size.rem_euclid(slide);
        // Windows holding a slice at `phase` after a window start: those starting at that start
        // or k slides before it, while they reach past the slice: ceil((size - phase) / slide).
        let windows_of =
            |phase: i64| (size - phase).div_euclid(slide) + i64::from((size - phase).rem_euclid(slide) != 0);
        Ok(Slicing {
            size,
            slide,
            offset: offset.rem_euclid(slide),
            end_phase,
            windows_of_slice: [windows_of(0), windows_of(end_phase)],
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

    /// How many slices start in each slide: 1 when the slide divides the size, else 2.
    pub fn slices_per_slide(&self) -> i64 {
        if self.end_phase == 0 { 1 } else { 2 }
    }

    /// Whether every window is exactly one slice (tumbling windows, or `slide >= size`): a
    /// window's result is then its slice's, with no merge.
    pub fn one_slice_per_window(&self) -> bool {
        self.size <= self.slide
    }

    /// The slice containing `timestamp` and the windows holding it, with one division.
    /// Timestamps within `size + 2·slide` of `i64`'s ends are refused.
    #[inline]
    pub fn position(&self, timestamp: Timestamp) -> Result<SlicePosition> {
        if timestamp < self.min_timestamp || timestamp > self.max_timestamp {
            return Err(out_of_range(NAME, timestamp));
        }
        // No overflow: the bounds keep every value below inside i64.
        let since_offset = timestamp - self.offset;
        let period = since_offset.div_euclid(self.slide);
        let window_start = self.offset + period * self.slide;
        let second = self.end_phase != 0 && timestamp - window_start >= self.end_phase;
        let (slice_start, slice_number, windows) = if second {
            (window_start + self.end_phase, 2 * period + 1, self.windows_of_slice[1])
        } else if self.end_phase != 0 {
            (window_start, 2 * period, self.windows_of_slice[0])
        } else {
            (window_start, period, self.windows_of_slice[0])
        };
        let last_window_end = window_start + self.size;
        Ok(SlicePosition {
            slice_start,
            slice_number,
            first_window_end: (windows > 0).then(|| last_window_end - (windows - 1) * self.slide),
            last_window_end,
        })
    }

    /// The start of the slice containing `timestamp`. Timestamps within `size + 2·slide` of
    /// `i64`'s ends are refused.
    #[inline]
    pub fn slice_start(&self, timestamp: Timestamp) -> Result<Timestamp> {
        if timestamp < self.min_timestamp || timestamp > self.max_timestamp {
            return Err(out_of_range(NAME, timestamp));
        }
        // No overflow: the bounds keep `timestamp - offset` and the result inside i64.
        let since_start = (timestamp - self.offset).rem_euclid(self.slide);
        Ok(if self.end_phase != 0 && since_start >= self.end_phase {
            timestamp - (since_start - self.end_phase)
        } else {
            timestamp - since_start
        })
    }

    /// The position of the slice starting at `slice_start` on the grid of all slices: consecutive
    /// slices have consecutive numbers.
    #[inline]
    pub fn slice_number(&self, slice_start: Timestamp) -> i64 {
        let since_offset = slice_start - self.offset;
        let period = since_offset.div_euclid(self.slide);
        if self.end_phase == 0 {
            period
        } else {
            2 * period + i64::from(since_offset - period * self.slide >= self.end_phase)
        }
    }

    /// The start of the slice numbered `number` ([`slice_number`](Self::slice_number)'s inverse).
    /// Numbers of accepted timestamps only: no overflow checks.
    #[inline]
    pub fn slice_start_of(&self, number: i64) -> Timestamp {
        if self.end_phase == 0 {
            self.offset + number * self.slide
        } else {
            self.offset + number.div_euclid(2) * self.slide + number.rem_euclid(2) * self.end_phase
        }
    }

    /// The number of the first slice starting at or after `timestamp`.
    pub fn first_slice_number_from(&self, timestamp: Timestamp) -> i64 {
        let number = self.slice_number(timestamp);
        if self.slice_start_of(number) < timestamp { number + 1 } else { number }
    }

    /// The end (exclusive) of the slice starting at `slice_start`: the next boundary after it.
    pub fn slice_end(&self, slice_start: Timestamp) -> Timestamp {
        let since_start = (slice_start - self.offset).rem_euclid(self.slide);
        let to_next_start = self.slide - since_start;
        if self.end_phase != 0 && since_start < self.end_phase {
            slice_start + (self.end_phase - since_start)
        } else {
            slice_start + to_next_start
        }
    }

    /// The end of the first window containing the slice starting at `slice_start` (the windows
    /// containing a slice are those containing its start), or `None` when the slice lies in a
    /// gap between windows (`slide > size`).
    #[inline]
    pub fn first_window_end(&self, slice_start: Timestamp) -> Option<Timestamp> {
        // The smallest end after `slice_start`; ends are `offset + size + k·slide`.
        let end = slice_start + 1 + (self.offset + self.size - slice_start - 1).rem_euclid(self.slide);
        (end - self.size <= slice_start).then_some(end)
    }

    /// The end of the last window containing the slice starting at `slice_start` (meaningful
    /// only when [`first_window_end`](Self::first_window_end) is `Some`).
    #[inline]
    pub fn last_window_end(&self, slice_start: Timestamp) -> Timestamp {
        slice_start - (slice_start - self.offset).rem_euclid(self.slide) + self.size
    }

    /// The ends of every window containing the slice starting at `slice_start`, ascending; none
    /// when the slice lies in a gap between windows (`slide > size`).
    pub fn window_ends_of_slice(&self, slice_start: Timestamp) -> impl Iterator<Item = Timestamp> + use<> {
        let (first, last) = match self.first_window_end(slice_start) {
            Some(first) => (first, self.last_window_end(slice_start)),
            None => (1, 0),
        };
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

/// What [`SliceAggregator::add`] did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceAdded {
    /// The slice the record went into.
    pub slice_start: Timestamp,
    /// Whether the slice was created by this record: the operator then registers a timer for
    /// its first window ([`Slicing::first_window_end`]) unless a neighbour's windows lead there.
    pub is_new: bool,
    /// For a new slice: the start of the key's slice before it, if any.
    pub previous: Option<Timestamp>,
}

/// An aggregate function over slices: adds records to slices and combines slices into windows.
/// Shared by all keys; each key's accumulators are a [`SliceAccumulators`].
pub struct SliceAggregator<IN, ACC, OUT, F> {
    slicing: Slicing,
    /// The same, shared with every key's slices (to tell an open slice's start from its number).
    grid: Arc<Slicing>,
    function: F,
    types: PhantomData<fn(&IN, ACC) -> OUT>,
}

impl<IN, ACC: Clone, OUT, F: AggregateFunction<IN, ACC, OUT>> SliceAggregator<IN, ACC, OUT, F> {
    pub fn new(slicing: Slicing, function: F) -> Self {
        SliceAggregator { slicing, grid: Arc::new(slicing), function, types: PhantomData }
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
        let position = self.slicing.position(timestamp)?;
        Ok(self.add_at(slices, &position, value))
    }

    /// Adds a record to the slice at `position` (from [`Slicing::position`]).
    #[inline]
    pub fn add_at(&self, slices: &mut SliceAccumulators<ACC>, position: &SlicePosition, value: &IN) -> SliceAdded {
        self.add_to(slices, position.slice_start, position.slice_number, value)
    }

    /// Adds a record to the slice starting at `slice_start`, numbered `number`.
    #[inline]
    fn add_to(
        &self,
        slices: &mut SliceAccumulators<ACC>,
        slice_start: Timestamp,
        number: i64,
        value: &IN,
    ) -> SliceAdded {
        if slices.slicing.is_none() {
            slices.reopen(&self.grid, || self.function.create_accumulator());
        }
        if slice_start >= slices.open_from {
            let is_new = match slices.open.slot(number, || self.function.create_accumulator()) {
                Slot::Here { acc, is_new } => {
                    self.function.add(acc, value);
                    is_new
                }
                Slot::TooFar => return self.add_far(slices, slice_start, number, value),
            };
            if !is_new {
                return SliceAdded { slice_start, is_new, previous: None };
            }
            let previous = match slices.open.last_before(number) {
                Some(n) => Some(self.slicing.slice_start_of(n)),
                None => slices.closed.as_ref().and_then(|closed| closed.slices.back()).map(|slice| slice.start),
            };
            return SliceAdded { slice_start, is_new, previous };
        }
        self.add_closed(slices, slice_start, value)
    }

    /// Adds a record to a slice too far from the open ones to join them: the open slices too
    /// far behind it close, or, if it is the one behind, it is closed.
    #[cold]
    fn add_far(
        &self,
        slices: &mut SliceAccumulators<ACC>,
        slice_start: Timestamp,
        number: i64,
        value: &IN,
    ) -> SliceAdded {
        let Some((first, _)) = slices.open.bounds() else { return self.add_closed(slices, slice_start, value) };
        if number > first {
            let keep_from = number - (open::SPAN - 1);
            slices.open_from = self.slicing.slice_start_of(keep_from);
            slices.close_open_before(Some(keep_from));
            return self.add_to(slices, slice_start, number, value);
        }
        slices.open_from = self.slicing.slice_start_of(first);
        self.add_closed(slices, slice_start, value)
    }

    /// Adds a record to a closed slice: one of a window fired already (a late record, or one
    /// after a restore) or of the rare slice far from the others. If the cached aggregate
    /// combined the slice already, it is dropped.
    fn add_closed(&self, slices: &mut SliceAccumulators<ACC>, slice_start: Timestamp, value: &IN) -> SliceAdded {
        let closed = slices.closed.get_or_insert_with(Box::default);
        closed.slice_changed(slice_start);
        let at = closed.slices.partition_point(|slice| slice.start < slice_start);
        match closed.slices.get_mut(at) {
            Some(slice) if slice.start == slice_start => {
                self.function.add(&mut slice.acc, value);
                SliceAdded { slice_start, is_new: false, previous: None }
            }
            _ => {
                let previous = at.checked_sub(1).and_then(|i| closed.slices.get(i)).map(|slice| slice.start);
                closed.slices.insert(at, ClosedSlice::new(slice_start, self.new_accumulator(value)));
                SliceAdded { slice_start, is_new: true, previous }
            }
        }
    }

    fn new_accumulator(&self, value: &IN) -> ACC {
        let mut acc = self.function.create_accumulator();
        self.function.add(&mut acc, value);
        acc
    }

    /// The accumulator of the window ending at `window_end`, its slices merged from scratch, or
    /// `None` when none of them has records.
    pub fn accumulator_for_window(&self, slices: &SliceAccumulators<ACC>, window_end: Timestamp) -> Option<ACC> {
        let window_start = window_end.saturating_sub(self.slicing.size);
        let mut in_window = slices.range(window_start, window_end).peekable();
        in_window.peek()?;
        let mut acc = self.function.create_accumulator();
        for slice in in_window {
            self.function.merge(&mut acc, slice);
        }
        Some(acc)
    }

    /// The result of the window ending at `window_end`, merged from scratch, or `None` when it
    /// has no records.
    pub fn result_for_window(&self, slices: &SliceAccumulators<ACC>, window_end: Timestamp) -> Option<OUT> {
        let window_start = window_end.saturating_sub(self.slicing.size);
        let mut in_window = slices.range(window_start, window_end);
        let first = in_window.next()?;
        if in_window.next().is_none() {
            // A single slice (always so for tumbling windows): no merge needed.
            return Some(self.function.get_result(first));
        }
        self.accumulator_for_window(slices, window_end).map(|acc| self.function.get_result(&acc))
    }

    /// The result of the window ending at `window_end`, or `None` when it has no records: the
    /// same as [`result_for_window`](Self::result_for_window), but windows fired in order of
    /// their end cost O(1) merges amortized (the Two-Stacks cache of `slices`). A window before
    /// the last one answered this way (a re-firing) is merged from scratch.
    pub fn fire_window(&self, slices: &mut SliceAccumulators<ACC>, window_end: Timestamp) -> Option<OUT> {
        slices.fired_through = slices.fired_through.max(window_end);
        if self.slicing.one_slice_per_window() {
            return self.result_for_window(slices, window_end);
        }
        let window_start = window_end.saturating_sub(self.slicing.size);
        // The cache reads closed slices only: those of this window become closed.
        slices.close_before(window_end);
        let closed = slices.closed.get_or_insert_with(Box::default);
        let answer = closed.query(window_start, window_end, &self.function);
        match answer {
            two_stacks::Answer::Combined(result) => result,
            two_stacks::Answer::Behind => self.result_for_window(slices, window_end),
        }
    }
}

impl<IN, ACC, OUT, F: std::fmt::Debug> std::fmt::Debug for SliceAggregator<IN, ACC, OUT, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SliceAggregator").field("slicing", &self.slicing).field("function", &self.function).finish()
    }
}

#[cfg(test)]
mod tests;
