//! [`SplitWatermarkCombiner`]: the watermark of a source subtask from the watermarks of its
//! splits (Flink's `WatermarkOutputMultiplexer` behind the split-local outputs of FLIP-27).
//!
//! Each split has a watermark generator of its own (the runtime drives them); what they emit is
//! fed in here, and the subtask publishes what [`SplitWatermarkCombiner::combine`] returns:
//! - the subtask's watermark is the minimum over its splits that are neither idle nor finished,
//!   published only when it moves forward, so it never goes backwards;
//! - a split starts at [`Watermark::MIN`] (a restored one too: split watermarks are not
//!   checkpointed), so it holds the subtask back until its own records moved its generator;
//! - the subtask is idle when it has no split that is active (all idle, or none assigned), and
//!   active again as soon as one is;
//! - a subtask whose splits have **all finished** keeps its status: its reader is about to
//!   finish and the source to send the final watermark. Turning idle there would let the
//!   operators downstream advance without it for a moment — long enough, when every source
//!   subtask finishes at about the same time, for a window operator to turn idle too and a
//!   consumer of its results to pass their windows at the other subtask's final watermark, so
//!   that those results then arrive late (found by Nexmark q5 at parallelism 2 under load).
//!   This holds while splits are assigned once, before the first poll (every reader finishes
//!   when its splits have); with dynamic assignment a reader waiting for more splits must turn
//!   idle, or it would hold back the watermark downstream until its next split.
//!
//! Pure logic: no clock, no I/O. It is **not** the generator (see [`super::WatermarkGenerator`])
//! nor where idleness is detected (see [`super::WithIdleness`]); it only combines.

use crate::time::{Watermark, WatermarkStatus};
use std::collections::HashMap;
use std::hash::Hash;

/// What a subtask publishes after [`SplitWatermarkCombiner::combine`]: first the status change,
/// then the watermark advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WatermarkChange {
    /// The subtask's status changed to this.
    pub status: Option<WatermarkStatus>,
    /// The subtask's watermark advanced to this.
    pub watermark: Option<Watermark>,
}

/// One split's part of the combination.
#[derive(Debug, Clone, Copy)]
struct SplitWatermark {
    /// The highest watermark its generator emitted.
    watermark: Watermark,
    idle: bool,
}

impl SplitWatermark {
    const START: SplitWatermark = SplitWatermark { watermark: Watermark::MIN, idle: false };
}

/// Combines per-split watermarks into a subtask's; `K` names a split.
#[derive(Debug)]
pub struct SplitWatermarkCombiner<K> {
    splits: HashMap<K, SplitWatermark>,
    /// The highest watermark published.
    published: Watermark,
    /// The status published (a subtask starts active).
    status: WatermarkStatus,
    /// Whether something changed since the last `combine`.
    dirty: bool,
    /// Whether a split has finished (see the module docs: all finished is not idle).
    any_finished: bool,
}

impl<K: Eq + Hash + Clone> Default for SplitWatermarkCombiner<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Eq + Hash + Clone> SplitWatermarkCombiner<K> {
    /// A subtask without splits (idle at the first `combine` unless one is added).
    pub fn new() -> Self {
        SplitWatermarkCombiner {
            splits: HashMap::new(),
            published: Watermark::MIN,
            status: WatermarkStatus::Active,
            dirty: true,
            any_finished: false,
        }
    }

    /// A split that counts from now on, at [`Watermark::MIN`]. Adding a split already counted
    /// changes nothing.
    pub fn add_split(&mut self, split: K) {
        self.splits.entry(split).or_insert_with(|| {
            self.dirty = true;
            SplitWatermark::START
        });
    }

    /// What split `split`'s generator emitted: a watermark (which also makes the split active;
    /// a lower one than before is ignored) and/or a status. A split not counted yet is added
    /// first, at [`Watermark::MIN`].
    pub fn on_split_output(&mut self, split: &K, watermark: Option<Watermark>, status: Option<WatermarkStatus>) {
        if watermark.is_none() && status.is_none() {
            return;
        }
        if !self.splits.contains_key(split) {
            self.splits.insert(split.clone(), SplitWatermark::START);
        }
        let state = self.splits.get_mut(split).expect("inserted above");
        if let Some(status) = status {
            state.idle = status == WatermarkStatus::Idle;
        }
        if let Some(watermark) = watermark {
            state.watermark = state.watermark.max(watermark);
            state.idle = false;
        }
        self.dirty = true;
    }

    /// A finished split no longer counts.
    pub fn finish_split(&mut self, split: &K) {
        if self.splits.remove(split).is_some() {
            self.any_finished = true;
            self.dirty = true;
        }
    }

    /// What the subtask publishes now, given everything fed in since the last call.
    pub fn combine(&mut self) -> WatermarkChange {
        if !std::mem::take(&mut self.dirty) {
            return WatermarkChange::default();
        }
        let minimum = self.splits.values().filter(|s| !s.idle).map(|s| s.watermark).min();
        let all_finished = self.splits.is_empty() && self.any_finished;
        let status = match minimum {
            Some(_) => WatermarkStatus::Active,
            None if all_finished => self.status,
            None => WatermarkStatus::Idle,
        };
        let mut change = WatermarkChange::default();
        if status != self.status {
            self.status = status;
            change.status = Some(status);
        }
        if let Some(minimum) = minimum
            && minimum > self.published
        {
            self.published = minimum;
            change.watermark = Some(minimum);
        }
        change
    }

    /// The highest watermark published.
    pub fn watermark(&self) -> Watermark {
        self.published
    }

    /// The status published.
    pub fn status(&self) -> WatermarkStatus {
        self.status
    }

    /// How many splits count (added, not finished).
    pub fn split_count(&self) -> usize {
        self.splits.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WatermarkStatus::{Active, Idle};

    fn wm(ts: i64) -> Option<Watermark> {
        Some(Watermark(ts))
    }

    fn change(status: Option<WatermarkStatus>, watermark: Option<Watermark>) -> WatermarkChange {
        WatermarkChange { status, watermark }
    }

    fn with_splits(splits: &[&'static str]) -> SplitWatermarkCombiner<&'static str> {
        let mut c = SplitWatermarkCombiner::new();
        for s in splits {
            c.add_split(*s);
        }
        assert_eq!(c.combine(), WatermarkChange::default(), "splits at MIN publish nothing");
        c
    }

    #[test]
    fn the_watermark_is_the_minimum_over_the_splits() {
        let mut c = with_splits(&["a", "b"]);
        c.on_split_output(&"b", wm(30_000), None);
        assert_eq!(c.combine(), WatermarkChange::default(), "a has emitted nothing yet: it holds at MIN");
        c.on_split_output(&"a", wm(100), None);
        assert_eq!(c.combine(), change(None, wm(100)));
        c.on_split_output(&"a", wm(40_000), None);
        assert_eq!(c.combine(), change(None, wm(30_000)));
        assert_eq!(c.watermark(), Watermark(30_000));
    }

    #[test]
    fn the_watermark_never_goes_backwards() {
        let mut c = with_splits(&["a"]);
        c.on_split_output(&"a", wm(50), None);
        assert_eq!(c.combine(), change(None, wm(50)));
        c.on_split_output(&"a", wm(20), None);
        assert_eq!(c.combine(), WatermarkChange::default(), "a lower watermark of the same split is ignored");
        c.add_split("late");
        c.on_split_output(&"late", wm(10), None);
        assert_eq!(c.combine(), WatermarkChange::default(), "a new split below the published watermark");
        c.on_split_output(&"late", wm(70), None);
        assert_eq!(c.combine(), WatermarkChange::default(), "min(50, 70) was published already");
        c.on_split_output(&"a", wm(60), None);
        assert_eq!(c.combine(), change(None, wm(60)));
    }

    #[test]
    fn an_idle_split_stops_holding_back_the_watermark_until_it_is_active_again() {
        let mut c = with_splits(&["a", "b"]);
        c.on_split_output(&"a", wm(1_000), None);
        c.on_split_output(&"b", wm(10), None);
        assert_eq!(c.combine(), change(None, wm(10)));
        c.on_split_output(&"b", None, Some(Idle));
        assert_eq!(c.combine(), change(None, wm(1_000)), "b idle: a alone decides");
        c.on_split_output(&"b", None, Some(Active));
        assert_eq!(c.combine(), WatermarkChange::default(), "b back below: held, not moved backwards");
        c.on_split_output(&"a", wm(2_000), None);
        assert_eq!(c.combine(), WatermarkChange::default(), "b holds it at 1000 again");
        c.on_split_output(&"b", wm(1_500), None);
        assert_eq!(c.combine(), change(None, wm(1_500)));
    }

    #[test]
    fn the_subtask_is_idle_when_every_split_is_and_active_when_one_is_again() {
        let mut c = with_splits(&["a", "b"]);
        c.on_split_output(&"a", None, Some(Idle));
        assert_eq!(c.combine(), WatermarkChange::default(), "b still active (at MIN)");
        c.on_split_output(&"b", None, Some(Idle));
        assert_eq!(c.combine(), change(Some(Idle), None));
        assert_eq!(c.status(), Idle);
        c.on_split_output(&"a", wm(5), None);
        assert_eq!(c.combine(), change(Some(Active), wm(5)), "status first, then the watermark");
    }

    #[test]
    fn a_finished_split_no_longer_counts() {
        let mut c = with_splits(&["a", "b"]);
        c.on_split_output(&"a", wm(5_000), None);
        c.on_split_output(&"b", wm(100), None);
        assert_eq!(c.combine(), change(None, wm(100)));
        c.finish_split(&"b");
        assert_eq!(c.combine(), change(None, wm(5_000)));
        assert_eq!(c.split_count(), 1);
        c.finish_split(&"a");
        assert_eq!(c.combine(), WatermarkChange::default(), "all finished: not idle, the watermark stays");
        assert_eq!(c.status(), Active);
        assert_eq!(c.watermark(), Watermark(5_000));
    }

    #[test]
    fn splits_all_finished_keep_the_status_they_had() {
        // Idle before the last one finished: stays idle.
        let mut c = with_splits(&["a", "b"]);
        c.on_split_output(&"a", None, Some(Idle));
        c.finish_split(&"b");
        assert_eq!(c.combine(), change(Some(Idle), None));
        c.finish_split(&"a");
        assert_eq!(c.combine(), WatermarkChange::default());
        assert_eq!(c.status(), Idle);
        // A split assigned after that counts as usual, and so does its idleness.
        c.add_split("c");
        assert_eq!(c.combine(), change(Some(Active), None));
        c.on_split_output(&"c", None, Some(Idle));
        assert_eq!(c.combine(), change(Some(Idle), None));
    }

    #[test]
    fn a_subtask_without_splits_is_idle() {
        let mut c: SplitWatermarkCombiner<&str> = SplitWatermarkCombiner::new();
        assert_eq!(c.combine(), change(Some(Idle), None));
        assert_eq!(c.combine(), WatermarkChange::default(), "reported once");
        c.add_split("a");
        assert_eq!(c.combine(), change(Some(Active), None), "a split at MIN makes it active");
    }

    #[test]
    fn output_of_an_unknown_split_adds_it() {
        let mut c = with_splits(&["a"]);
        c.on_split_output(&"a", wm(100), None);
        c.on_split_output(&"new", wm(50), None);
        assert_eq!(c.combine(), change(None, wm(50)));
        assert_eq!(c.split_count(), 2);
        c.on_split_output(&"other", None, None);
        assert_eq!(c.split_count(), 2, "nothing emitted: nothing added");
    }
}
