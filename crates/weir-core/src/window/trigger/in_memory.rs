//! An in-memory [`TriggerContext`] for tests: the timers and trigger state of one key, with
//! both clocks set by hand.
//!
//! It is **not** the window operator's context (that one lives in `weir-runtime` and keeps
//! timers and state in the keyed state backend), and it does nothing the operator would do
//! beyond delivering timers: no window contents, no cleanup timers, no lateness.

use super::{Trigger, TriggerContext, TriggerResult, TriggerStateDescriptor};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::time_window::Window;
use std::collections::{BTreeMap, BTreeSet};

/// Timers and trigger state of one key, per window.
#[derive(Debug, Clone)]
pub struct InMemoryTriggerContext<W> {
    watermark: Timestamp,
    processing_time: Timestamp,
    event_timers: BTreeSet<(Timestamp, W)>,
    processing_timers: BTreeSet<(Timestamp, W)>,
    state: BTreeMap<(W, &'static str), i64>,
}

/// A timer delivered by [`InMemoryTriggerContext::advance_watermark`] or
/// [`InMemoryTriggerContext::advance_processing_time`]: the window, the timer's time and what the
/// trigger answered.
pub type Firing<W> = (W, Timestamp, TriggerResult);

impl<W: Window> Default for InMemoryTriggerContext<W> {
    fn default() -> Self {
        InMemoryTriggerContext {
            watermark: Timestamp::MIN,
            processing_time: 0,
            event_timers: BTreeSet::new(),
            processing_timers: BTreeSet::new(),
            state: BTreeMap::new(),
        }
    }
}

impl<W: Window> InMemoryTriggerContext<W> {
    /// No timers, no state, the watermark at `i64::MIN` and the clock at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The context as a trigger sees it for `window`.
    pub fn scope(&mut self, window: W) -> WindowScope<'_, W> {
        WindowScope { ctx: self, window, merged: &[] }
    }

    /// The context as a trigger sees it in `on_merge`: scoped to the merge result `window`, with
    /// `merged` the windows merging into it (whose state `merge_state` folds in).
    pub fn merge_scope<'a>(&'a mut self, window: W, merged: &'a [W]) -> WindowScope<'a, W> {
        WindowScope { ctx: self, window, merged }
    }

    pub fn watermark(&self) -> Timestamp {
        self.watermark
    }

    /// Sets the watermark without delivering timers.
    pub fn set_watermark(&mut self, watermark: Timestamp) {
        self.watermark = watermark;
    }

    /// Sets the clock without delivering timers.
    pub fn set_processing_time(&mut self, now: Timestamp) {
        self.processing_time = now;
    }

    /// The pending event-time timers, in time order.
    pub fn event_timers(&self) -> Vec<(Timestamp, W)> {
        self.event_timers.iter().cloned().collect()
    }

    /// The pending processing-time timers, in time order.
    pub fn processing_timers(&self) -> Vec<(Timestamp, W)> {
        self.processing_timers.iter().cloned().collect()
    }

    /// The value of the state `name` of `window`.
    pub fn state_of(&self, window: &W, name: &'static str) -> Option<i64> {
        self.state.get(&(window.clone(), name)).copied()
    }

    /// Whether no timer and no state is left (what `clear` must achieve).
    pub fn is_empty(&self) -> bool {
        self.event_timers.is_empty() && self.processing_timers.is_empty() && self.state.is_empty()
    }

    /// Raises the watermark (it never goes back) and delivers every event-time timer at or below
    /// it to `trigger`, in time order, including timers registered while delivering.
    pub fn advance_watermark<T>(
        &mut self,
        trigger: &dyn Trigger<T, W>,
        watermark: Timestamp,
    ) -> Result<Vec<Firing<W>>> {
        self.watermark = self.watermark.max(watermark);
        let mut fired = Vec::new();
        while let Some((time, _)) = self.event_timers.first()
            && *time <= self.watermark
            && let Some((time, window)) = self.event_timers.pop_first()
        {
            let result = trigger.on_event_time(time, &window, &mut self.scope(window.clone()))?;
            fired.push((window, time, result));
        }
        Ok(fired)
    }

    /// Moves the clock forward (never back) and delivers every processing-time timer at or below
    /// it to `trigger`, in time order.
    pub fn advance_processing_time<T>(
        &mut self,
        trigger: &dyn Trigger<T, W>,
        now: Timestamp,
    ) -> Result<Vec<Firing<W>>> {
        self.processing_time = self.processing_time.max(now);
        let mut fired = Vec::new();
        while let Some((time, _)) = self.processing_timers.first()
            && *time <= self.processing_time
            && let Some((time, window)) = self.processing_timers.pop_first()
        {
            let result = trigger.on_processing_time(time, &window, &mut self.scope(window.clone()))?;
            fired.push((window, time, result));
        }
        Ok(fired)
    }
}

/// [`InMemoryTriggerContext`] scoped to one window: what a trigger receives.
#[derive(Debug)]
pub struct WindowScope<'a, W> {
    ctx: &'a mut InMemoryTriggerContext<W>,
    window: W,
    merged: &'a [W],
}

impl<W: Window> TriggerContext for WindowScope<'_, W> {
    fn current_watermark(&self) -> Timestamp {
        self.ctx.watermark
    }

    fn current_processing_time(&self) -> Timestamp {
        self.ctx.processing_time
    }

    fn register_event_time_timer(&mut self, time: Timestamp) -> Result<()> {
        self.ctx.event_timers.insert((time, self.window.clone()));
        Ok(())
    }

    fn register_processing_time_timer(&mut self, time: Timestamp) -> Result<()> {
        self.ctx.processing_timers.insert((time, self.window.clone()));
        Ok(())
    }

    fn delete_event_time_timer(&mut self, time: Timestamp) -> Result<()> {
        self.ctx.event_timers.remove(&(time, self.window.clone()));
        Ok(())
    }

    fn delete_processing_time_timer(&mut self, time: Timestamp) -> Result<()> {
        self.ctx.processing_timers.remove(&(time, self.window.clone()));
        Ok(())
    }

    fn get_state(&mut self, state: &TriggerStateDescriptor) -> Result<Option<i64>> {
        Ok(self.ctx.state.get(&(self.window.clone(), state.name)).copied())
    }

    fn set_state(&mut self, state: &TriggerStateDescriptor, value: i64) -> Result<()> {
        self.ctx.state.insert((self.window.clone(), state.name), value);
        Ok(())
    }

    fn clear_state(&mut self, state: &TriggerStateDescriptor) -> Result<()> {
        self.ctx.state.remove(&(self.window.clone(), state.name));
        Ok(())
    }

    fn merge_state(&mut self, state: &TriggerStateDescriptor) -> Result<()> {
        let mut merged = self.ctx.state.remove(&(self.window.clone(), state.name));
        for window in self.merged {
            if let Some(&value) = self.ctx.state.get(&(window.clone(), state.name)) {
                merged = Some(merged.map_or(value, |acc| (state.reduce)(acc, value)));
            }
        }
        if let Some(value) = merged {
            self.ctx.state.insert((self.window.clone(), state.name), value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::TimeWindow;

    const COUNT: TriggerStateDescriptor = TriggerStateDescriptor::sum("count");

    #[test]
    fn timers_are_deduplicated_per_window_and_time() {
        let (a, b) = (TimeWindow::new(0, 10), TimeWindow::new(5, 15));
        let mut ctx = InMemoryTriggerContext::new();
        ctx.scope(a).register_event_time_timer(9).expect("ok");
        ctx.scope(a).register_event_time_timer(9).expect("ok");
        ctx.scope(b).register_event_time_timer(9).expect("ok");
        ctx.scope(b).delete_event_time_timer(3).expect("deleting a missing timer is fine");
        assert_eq!(ctx.event_timers(), [(9, a), (9, b)]);
    }

    #[test]
    fn merge_state_folds_the_merged_windows_into_the_result() {
        let (a, b, c) = (TimeWindow::new(0, 10), TimeWindow::new(10, 20), TimeWindow::new(0, 20));
        let mut ctx = InMemoryTriggerContext::new();
        ctx.scope(a).add_to_state(&COUNT, 2).expect("ok");
        ctx.scope(b).add_to_state(&COUNT, 3).expect("ok");
        assert_eq!(ctx.scope(b).add_to_state(&COUNT, 1).expect("ok"), 4);
        ctx.merge_scope(c, &[a, b]).merge_state(&COUNT).expect("ok");
        assert_eq!(ctx.state_of(&c, "count"), Some(6));
        assert_eq!(ctx.state_of(&a, "count"), Some(2), "clear removes it, not the merge");
    }
}
