//! The event-time trigger: fires a window once the watermark passes its end (Flink's
//! `EventTimeTrigger`), the default of event-time assigners.
//!
//! A record added after the watermark passed the window's end (a late record within the allowed
//! lateness) fires the window again at once. It never purges: the operator drops the window at
//! its cleanup time.

use super::{Trigger, TriggerContext, TriggerResult};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::time_window::Window;

/// Fires when the watermark reaches the window's `max_timestamp`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventTimeTrigger;

impl<T, W: Window> Trigger<T, W> for EventTimeTrigger {
    fn on_element(&self, _: &T, _: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        let end = window.max_timestamp();
        if end <= ctx.current_watermark() {
            // Late but not dropped (allowed lateness): fire again right away.
            return Ok(TriggerResult::Fire);
        }
        ctx.register_event_time_timer(end)?;
        Ok(TriggerResult::Continue)
    }

    fn on_event_time(&self, time: Timestamp, window: &W, _: &mut dyn TriggerContext) -> Result<TriggerResult> {
        Ok(if time == window.max_timestamp() { TriggerResult::Fire } else { TriggerResult::Continue })
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        // Only register a timer for the merged window if the watermark has not passed its end
        // yet: otherwise the timer would fire at once, and the window fires on its next record.
        let end = window.max_timestamp();
        if end > ctx.current_watermark() {
            ctx.register_event_time_timer(end)?;
        }
        Ok(())
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        ctx.delete_event_time_timer(window.max_timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{InMemoryTriggerContext, TimeWindow};

    const W: TimeWindow = TimeWindow::new(0, 10);

    #[test]
    fn registers_the_window_end_and_fires_when_the_watermark_reaches_it() {
        let mut ctx = InMemoryTriggerContext::new();
        let t = EventTimeTrigger;
        assert_eq!(t.on_element(&(), 3, &W, &mut ctx.scope(W)).expect("ok"), TriggerResult::Continue);
        assert_eq!(ctx.event_timers(), [(9, W)]);
        assert!(ctx.advance_watermark::<()>(&t, 8).expect("ok").is_empty());
        assert_eq!(ctx.advance_watermark::<()>(&t, 9).expect("ok"), [(W, 9, TriggerResult::Fire)]);
        // A late record (within the allowed lateness) fires at once.
        assert_eq!(t.on_element(&(), 4, &W, &mut ctx.scope(W)).expect("ok"), TriggerResult::Fire);
        Trigger::<(), _>::clear(&t, &W, &mut ctx.scope(W)).expect("ok");
        assert!(ctx.is_empty());
    }

    #[test]
    fn a_merged_window_gets_a_timer_unless_the_watermark_passed_it() {
        let mut ctx = InMemoryTriggerContext::new();
        let t = EventTimeTrigger;
        Trigger::<(), _>::on_merge(&t, &W, &mut ctx.merge_scope(W, &[])).expect("ok");
        assert_eq!(ctx.event_timers(), [(9, W)]);
        let mut ctx = InMemoryTriggerContext::new();
        ctx.set_watermark(9);
        Trigger::<(), _>::on_merge(&t, &W, &mut ctx.merge_scope(W, &[])).expect("ok");
        assert!(ctx.event_timers().is_empty());
    }
}
