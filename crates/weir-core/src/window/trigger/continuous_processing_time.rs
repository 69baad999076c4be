//! The continuous processing-time trigger: fires a window every `interval` of processing time
//! (Flink's `ContinuousProcessingTimeTrigger`), for periodic early results.
//!
//! The next firing time is trigger state (`"fire-time"`, the minimum on merge); firings are
//! aligned on multiples of the interval and never later than the window's end.

use super::{Trigger, TriggerContext, TriggerResult, TriggerStateDescriptor};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::assigner::positive_millis;
use crate::window::time_window::{Window, window_start_with_offset};
use std::time::Duration;

const FIRE_TIME: TriggerStateDescriptor = TriggerStateDescriptor::min("fire-time");

/// Fires every `interval` of processing time while the window has records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContinuousProcessingTimeTrigger {
    interval: i64,
}

impl ContinuousProcessingTimeTrigger {
    /// Fires every `interval` (at least 1 ms).
    pub fn of(interval: Duration) -> Result<Self> {
        let interval = positive_millis("ContinuousProcessingTimeTrigger", "interval", interval)?;
        Ok(ContinuousProcessingTimeTrigger { interval })
    }

    fn register_next_fire(
        &self,
        time: Timestamp,
        max_timestamp: Timestamp,
        ctx: &mut dyn TriggerContext,
    ) -> Result<()> {
        let next = time.saturating_add(self.interval).min(max_timestamp);
        let next = ctx.add_to_state(&FIRE_TIME, next)?;
        ctx.register_processing_time_timer(next)
    }
}

impl<T, W: Window> Trigger<T, W> for ContinuousProcessingTimeTrigger {
    fn on_element(&self, _: &T, _: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        if ctx.get_state(&FIRE_TIME)?.is_none() {
            let now = ctx.current_processing_time();
            let aligned = window_start_with_offset(now, 0, self.interval).unwrap_or(Timestamp::MIN);
            self.register_next_fire(aligned, window.max_timestamp(), ctx)?;
        }
        Ok(TriggerResult::Continue)
    }

    fn on_processing_time(&self, time: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        if ctx.get_state(&FIRE_TIME)? != Some(time) {
            return Ok(TriggerResult::Continue);
        }
        ctx.clear_state(&FIRE_TIME)?;
        // At the window's end there is no next firing (Flink registers the end again and relies
        // on the operator's cleanup, at the same time, to delete it).
        if time < window.max_timestamp() {
            self.register_next_fire(time, window.max_timestamp(), ctx)?;
        }
        Ok(TriggerResult::Fire)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&self, _: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        ctx.merge_state(&FIRE_TIME)?;
        if let Some(next) = ctx.get_state(&FIRE_TIME)? {
            ctx.register_processing_time_timer(next)?;
        }
        Ok(())
    }

    fn clear(&self, _: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        if let Some(next) = ctx.get_state(&FIRE_TIME)? {
            ctx.delete_processing_time_timer(next)?;
            ctx.clear_state(&FIRE_TIME)?;
        }
        Ok(())
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
