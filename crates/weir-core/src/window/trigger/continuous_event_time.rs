//! The continuous event-time trigger: fires a window every `interval` of event time while it is
//! open, and once more at its end (Flink's `ContinuousEventTimeTrigger`), for early results.
//!
//! The next firing time is trigger state (`"fire-time"`, the minimum on merge). Firings are
//! aligned on multiples of the interval: the first is at the first multiple after the first
//! record (Flink aligns with Java's `%`, which differs from this only for negative timestamps,
//! where Flink skips one firing).

use super::fire_time::FireTime;
use super::{Trigger, TriggerContext, TriggerResult};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::assigner::TimeDomain;
use crate::window::time_window::Window;
use std::time::Duration;

/// Fires every `interval` of event time and when the watermark passes the window's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContinuousEventTimeTrigger {
    fire_time: FireTime,
}

impl ContinuousEventTimeTrigger {
    /// Fires every `interval` (at least 1 ms).
    pub fn of(interval: Duration) -> Result<Self> {
        let fire_time = FireTime::new("ContinuousEventTimeTrigger", interval, TimeDomain::EventTime)?;
        Ok(ContinuousEventTimeTrigger { fire_time })
    }
}

impl<T, W: Window> Trigger<T, W> for ContinuousEventTimeTrigger {
    fn on_element(
        &self,
        _: &T,
        timestamp: Timestamp,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult> {
        let end = window.max_timestamp();
        if end <= ctx.current_watermark() {
            return Ok(TriggerResult::Fire);
        }
        ctx.register_event_time_timer(end)?;
        if self.fire_time.get(ctx)?.is_none() {
            self.fire_time.schedule_first(timestamp, end, ctx)?;
        }
        Ok(TriggerResult::Continue)
    }

    fn on_event_time(&self, time: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        let end = window.max_timestamp();
        if time == end {
            return Ok(TriggerResult::Fire);
        }
        if self.fire_time.get(ctx)? == Some(time) {
            self.fire_time.forget(ctx)?;
            self.fire_time.schedule_after(time, end, ctx)?;
            return Ok(TriggerResult::Fire);
        }
        Ok(TriggerResult::Continue)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&self, _: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        self.fire_time.merge(ctx)
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        self.fire_time.clear(ctx)?;
        // Flink leaves the end-of-window timer to the operator's cleanup; deleting it here keeps
        // `clear` complete (deleting a timer that already fired does nothing).
        ctx.delete_event_time_timer(window.max_timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{InMemoryTriggerContext, TimeWindow};
    use TriggerResult::Fire;

    #[test]
    fn fires_every_interval_and_at_the_end() {
        let t = ContinuousEventTimeTrigger::of(Duration::from_millis(10)).expect("valid");
        let w = TimeWindow::new(0, 35);
        let mut ctx = InMemoryTriggerContext::new();
        assert_eq!(t.on_element(&(), 3, &w, &mut ctx.scope(w)).expect("ok"), TriggerResult::Continue);
        assert_eq!(ctx.event_timers(), [(10, w), (34, w)]);
        let fired = ctx.advance_watermark::<()>(&t, 100).expect("ok");
        assert_eq!(fired, [(w, 10, Fire), (w, 20, Fire), (w, 30, Fire), (w, 34, Fire)]);
        Trigger::<(), _>::clear(&t, &w, &mut ctx.scope(w)).expect("ok");
        assert!(ctx.is_empty());
    }

    #[test]
    fn negative_timestamps_align_on_the_interval_below() {
        let t = ContinuousEventTimeTrigger::of(Duration::from_millis(10)).expect("valid");
        let w = TimeWindow::new(-30, 0);
        let mut ctx = InMemoryTriggerContext::new();
        t.on_element(&(), -25, &w, &mut ctx.scope(w)).expect("ok");
        assert_eq!(ctx.event_timers(), [(-20, w), (-1, w)]);
    }

    #[test]
    fn merging_keeps_the_earliest_next_firing() {
        let t = ContinuousEventTimeTrigger::of(Duration::from_millis(10)).expect("valid");
        let (a, b, m) = (TimeWindow::new(0, 100), TimeWindow::new(50, 150), TimeWindow::new(0, 150));
        let mut ctx = InMemoryTriggerContext::new();
        t.on_element(&(), 5, &a, &mut ctx.scope(a)).expect("ok");
        t.on_element(&(), 55, &b, &mut ctx.scope(b)).expect("ok");
        Trigger::<(), _>::on_merge(&t, &m, &mut ctx.merge_scope(m, &[a, b])).expect("ok");
        for w in [a, b] {
            Trigger::<(), _>::clear(&t, &w, &mut ctx.scope(w)).expect("ok");
        }
        assert_eq!(ctx.state_of(&m, "fire-time"), Some(10));
        assert_eq!(ctx.event_timers(), [(10, m)]);
    }

    #[test]
    fn a_late_record_fires_at_once() {
        let t = ContinuousEventTimeTrigger::of(Duration::from_millis(10)).expect("valid");
        let w = TimeWindow::new(0, 10);
        let mut ctx = InMemoryTriggerContext::new();
        ctx.set_watermark(9);
        assert_eq!(t.on_element(&(), 5, &w, &mut ctx.scope(w)).expect("ok"), Fire);
    }
}
