//! The merging window set: one key's in-flight session windows and where each keeps its state
//! (Flink's `MergingWindowSet`).
//!
//! Session windows grow as records arrive: a record's window `[t, t + gap)` merges with every
//! in-flight window it intersects. Moving a window's contents each time it grows would be
//! expensive, so a window keeps its contents under a **state window**: the namespace of the first
//! window it grew from. When windows merge, the result keeps the state window of the earliest
//! merged window, and the operator merges the other merged windows' state into it. The set
//! records, for every in-flight window, its state window.
//!
//! [`MergingWindowSet::add_window`] decides; the operator acts on the returned [`MergeResult`].
//! This module is **not** the operator: it merges no state, calls no trigger and registers no
//! timer. It works with [`TimeWindow`]s, whose merging rule (intersecting windows merge into
//! their cover) is the one every merging assigner of weir and Flink uses.
//!
//! Invariant: in-flight windows never intersect one another (touching counts as intersecting),
//! so they are kept sorted in a `Vec`, a new window's merge partners are a contiguous run found
//! by binary search, and one `add_window` makes at most one merge.

use crate::window::time_window::TimeWindow;
use serde::{Deserialize, Serialize};

/// A key's in-flight merging windows, each with its state window. Serializable for checkpoints
/// (as a list of `(window, state window)` pairs, validated when read back).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<(TimeWindow, TimeWindow)>", into = "Vec<(TimeWindow, TimeWindow)>")]
pub struct MergingWindowSet {
    /// `(window, state window)`, sorted by window; no two windows intersect.
    windows: Vec<(TimeWindow, TimeWindow)>,
}

/// What adding a window did, and so what the operator must do before adding the record to
/// [`MergeResult::window`] under [`MergeResult::state_window`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeResult {
    /// The window intersected no in-flight window: it is in flight now, as its own state window.
    /// The operator has nothing to merge.
    Added(TimeWindow),
    /// The window lies inside an in-flight window and changes nothing; the record belongs to
    /// that window. The operator has nothing to merge.
    Absorbed { window: TimeWindow, state_window: TimeWindow },
    /// The window merged with one or more in-flight windows into a new, larger window.
    Merged(Merge),
}

/// One merge: in-flight windows (and the new window) became `result`.
///
/// The operator, in this order (as Flink's `WindowOperator`):
/// 1. calls the trigger's `on_merge` for `result`, with `merged` as the merged windows;
/// 2. for each merged window: calls the trigger's `clear` and deletes its cleanup timer;
/// 3. merges the contents of [`Merge::merged_state_windows`] into `state_window` and clears them;
/// 4. goes on with the record in `result`: checks lateness, adds it under `state_window`, asks
///    the trigger and registers `result`'s cleanup timer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// The merged window, now in flight; the record belongs to it.
    pub result: TimeWindow,
    /// The state window of `result`: the state window of the earliest merged window.
    pub state_window: TimeWindow,
    /// The in-flight windows that merged into `result`, in time order, each with its state
    /// window. The new window is not among them: it had no state or trigger yet.
    pub merged: Vec<(TimeWindow, TimeWindow)>,
}

impl Merge {
    /// The in-flight windows that merged into the result.
    pub fn merged_windows(&self) -> impl Iterator<Item = TimeWindow> + '_ {
        self.merged.iter().map(|&(window, _)| window)
    }

    /// The state windows whose contents move into [`Merge::state_window`] (all merged windows'
    /// state windows but the one kept). Empty when one window just grew.
    pub fn merged_state_windows(&self) -> impl Iterator<Item = TimeWindow> + '_ {
        self.merged.iter().map(|&(_, state)| state).filter(move |&state| state != self.state_window)
    }
}

impl MergeResult {
    /// The in-flight window the added window ended up in.
    pub fn window(&self) -> TimeWindow {
        match self {
            MergeResult::Added(window) => *window,
            MergeResult::Absorbed { window, .. } => *window,
            MergeResult::Merged(merge) => merge.result,
        }
    }

    /// Where that window keeps its state.
    pub fn state_window(&self) -> TimeWindow {
        match self {
            MergeResult::Added(window) => *window,
            MergeResult::Absorbed { state_window, .. } => *state_window,
            MergeResult::Merged(merge) => merge.state_window,
        }
    }
}

impl MergingWindowSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a set from `(window, state window)` pairs, as read from a checkpoint. Fails when
    /// two windows intersect or a state window is used twice: such a set cannot come from
    /// `add_window`, so the checkpoint is corrupt.
    pub fn from_pairs(mut pairs: Vec<(TimeWindow, TimeWindow)>) -> Result<Self, String> {
        pairs.sort_unstable();
        for pair in pairs.windows(2) {
            if pair[0].0.intersects(&pair[1].0) {
                return Err(format!("merging windows {:?} and {:?} intersect", pair[0].0, pair[1].0));
            }
        }
        let mut states: Vec<TimeWindow> = pairs.iter().map(|&(_, state)| state).collect();
        states.sort_unstable();
        if let Some(pair) = states.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(format!("state window {:?} belongs to two merging windows", pair[0]));
        }
        Ok(MergingWindowSet { windows: pairs })
    }

    /// Adds the window of a new record, merging it with the in-flight windows it intersects.
    pub fn add_window(&mut self, new: TimeWindow) -> MergeResult {
        // Sorted and disjoint, so the windows intersecting `new` are the run [first, last).
        let first = self.windows.partition_point(|(w, _)| w.end < new.start);
        let last = first + self.windows[first..].partition_point(|(w, _)| w.start <= new.end);
        match last - first {
            0 => {
                self.windows.insert(first, (new, new));
                MergeResult::Added(new)
            }
            1 if self.windows[first].0.cover(&new) == self.windows[first].0 => {
                let (window, state_window) = self.windows[first];
                MergeResult::Absorbed { window, state_window }
            }
            _ => {
                let merged = self.windows[first..last].to_vec();
                let (first_window, state_window) = merged[0];
                let last_window = merged[merged.len() - 1].0;
                let result = new.cover(&first_window).cover(&last_window);
                self.windows[first] = (result, state_window);
                self.windows.drain(first + 1..last);
                MergeResult::Merged(Merge { result, state_window, merged })
            }
        }
    }

    /// The state window of an in-flight window.
    pub fn state_window(&self, window: &TimeWindow) -> Option<TimeWindow> {
        self.position(window).map(|i| self.windows[i].1)
    }

    /// Removes a window (it fired and was cleaned up, or it is late) and returns its state
    /// window, whose contents the operator then clears.
    pub fn retire_window(&mut self, window: &TimeWindow) -> Option<TimeWindow> {
        self.position(window).map(|i| self.windows.remove(i).1)
    }

    /// The in-flight windows with their state windows, in time order.
    pub fn iter(&self) -> impl Iterator<Item = (TimeWindow, TimeWindow)> + '_ {
        self.windows.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.windows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    fn position(&self, window: &TimeWindow) -> Option<usize> {
        self.windows.binary_search_by(|(w, _)| w.cmp(window)).ok()
    }
}

impl TryFrom<Vec<(TimeWindow, TimeWindow)>> for MergingWindowSet {
    type Error = String;

    fn try_from(pairs: Vec<(TimeWindow, TimeWindow)>) -> Result<Self, String> {
        Self::from_pairs(pairs)
    }
}

impl From<MergingWindowSet> for Vec<(TimeWindow, TimeWindow)> {
    fn from(set: MergingWindowSet) -> Self {
        set.windows
    }
}

#[cfg(test)]
mod tests;
