//! The processing-time trigger: fires a window once the operator's clock passes its end (Flink's
//! `ProcessingTimeTrigger`), the default of processing-time assigners. It never purges.

use super::{Trigger, TriggerContext, TriggerResult};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::time_window::Window;

/// Fires when processing time reaches the window's `max_timestamp`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessingTimeTrigger;

impl<T, W: Window> Trigger<T, W> for ProcessingTimeTrigger {
    fn on_element(&self, _: &T, _: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        ctx.register_processing_time_timer(window.max_timestamp())?;
        Ok(TriggerResult::Continue)
    }

    fn on_processing_time(&self, _: Timestamp, _: &W, _: &mut dyn TriggerContext) -> Result<TriggerResult> {
        Ok(TriggerResult::Fire)
    }

    fn can_merge(&self) -> bool {
        true
    }

    fn on_merge(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        let end = window.max_timestamp();
        if end > ctx.current_processing_time() {
            ctx.register_processing_time_timer(end)?;
        }
        Ok(())
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        ctx.delete_processing_time_timer(window.max_timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{InMemoryTriggerContext, TimeWindow};

    #[test]
    fn fires_when_the_clock_reaches_the_window_end() {
        let w = TimeWindow::new(100, 200);
        let mut ctx = InMemoryTriggerContext::new();
        let t = ProcessingTimeTrigger;
        assert_eq!(t.on_element(&(), 0, &w, &mut ctx.scope(w)).expect("ok"), TriggerResult::Continue);
        assert_eq!(ctx.processing_timers(), [(199, w)]);
        assert!(ctx.advance_processing_time::<()>(&t, 198).expect("ok").is_empty());
        assert_eq!(ctx.advance_processing_time::<()>(&t, 250).expect("ok"), [(w, 199, TriggerResult::Fire)]);
        Trigger::<(), _>::clear(&t, &w, &mut ctx.scope(w)).expect("ok");
        assert!(ctx.is_empty());
    }
}
