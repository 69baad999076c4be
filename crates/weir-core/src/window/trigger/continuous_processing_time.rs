//! The continuous processing-time trigger: fires a window every `interval` of processing time
//! (Flink's `ContinuousProcessingTimeTrigger`), for periodic early results.
//!
//! The next firing time is trigger state (`"fire-time"`, the minimum on merge); firings are
//! aligned on multiples of the interval and never later than the window's end.

use super::fire_time::FireTime;
use super::{Trigger, TriggerContext, TriggerResult};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::assigner::TimeDomain;
use crate::window::time_window::Window;
use std::time::Duration;

/// Fires every `interval` of processing time while the window has records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContinuousProcessingTimeTrigger {
    fire_time: FireTime,
}

impl ContinuousProcessingTimeTrigger {
    /// Fires every `interval` (at least 1 ms).
    pub fn of(interval: Duration) -> Result<Self> {
        let fire_time = FireTime::new("ContinuousProcessingTimeTrigger", interval, TimeDomain::ProcessingTime)?;
        Ok(ContinuousProcessingTimeTrigger { fire_time })
    }
}

impl<T, W: Window> Trigger<T, W> for ContinuousProcessingTimeTrigger {
    fn on_element(&self, _: &T, _: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        if self.fire_time.get(ctx)?.is_none() {
            let now = ctx.current_processing_time();
            self.fire_time.schedule_first(now, window.max_timestamp(), ctx)?;
        }
        Ok(TriggerResult::Continue)
    }

    fn on_processing_time(&self, time: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        if self.fire_time.get(ctx)? != Some(time) {
            return Ok(TriggerResult::Continue);
        }
        self.fire_time.forget(ctx)?;
        // At the window's end there is no next firing (Flink registers the end again and relies
        // on the operator's cleanup, at the same time, to delete it).
        if time < window.max_timestamp() {
            self.fire_time.schedule_after(time, window.max_timestamp(), ctx)?;
        }
        Ok(TriggerResult::Fire)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&self, _: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        self.fire_time.merge(ctx)
    }

    fn clear(&self, _: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        self.fire_time.clear(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{InMemoryTriggerContext, TimeWindow};
    use TriggerResult::Fire;

    #[test]
    fn fires_every_interval_until_the_window_end() {
        let t = ContinuousProcessingTimeTrigger::of(Duration::from_millis(10)).expect("valid");
        let w = TimeWindow::new(0, 35);
        let mut ctx = InMemoryTriggerContext::new();
        ctx.set_processing_time(4);
        t.on_element(&(), 0, &w, &mut ctx.scope(w)).expect("ok");
        t.on_element(&(), 0, &w, &mut ctx.scope(w)).expect("ok");
        assert_eq!(ctx.processing_timers(), [(10, w)]);
        let fired = ctx.advance_processing_time::<()>(&t, 1000).expect("ok");
        assert_eq!(fired, [(w, 10, Fire), (w, 20, Fire), (w, 30, Fire), (w, 34, Fire)]);
        assert!(ctx.is_empty());
    }

    #[test]
    fn clear_deletes_the_next_firing() {
        let t = ContinuousProcessingTimeTrigger::of(Duration::from_millis(10)).expect("valid");
        let w = TimeWindow::new(0, 100);
        let mut ctx = InMemoryTriggerContext::new();
        t.on_element(&(), 0, &w, &mut ctx.scope(w)).expect("ok");
        Trigger::<(), _>::clear(&t, &w, &mut ctx.scope(w)).expect("ok");
        assert!(ctx.is_empty());
    }
}
