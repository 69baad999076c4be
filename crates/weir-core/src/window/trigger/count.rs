//! The count trigger: fires a window every `n` records (Flink's `CountTrigger`).
//!
//! It counts in trigger state (`"count"`), so the count is per key and window, survives restores
//! and adds up when windows merge. It never purges by itself: wrap it in a
//! [`PurgingTrigger`](super::PurgingTrigger) for tumbling count windows.

use super::{Trigger, TriggerContext, TriggerResult, TriggerStateDescriptor};
use crate::error::{Error, Result};
use crate::time::Timestamp;

const COUNT: TriggerStateDescriptor = TriggerStateDescriptor::sum("count");

/// Fires on every `n`-th record of a window, then counts from zero again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountTrigger {
    max_count: i64,
}

impl CountTrigger {
    /// Fires every `n` records; `n` must be at least 1.
    pub fn of(n: u64) -> Result<Self> {
        match i64::try_from(n) {
            Ok(max_count) if max_count >= 1 => Ok(CountTrigger { max_count }),
            _ => Err(Error::InvalidWindow {
                what: "CountTrigger",
                message: format!("the count must be in 1..=i64::MAX, got {n}"),
            }),
        }
    }

    /// The count at which it fires.
    pub fn max_count(&self) -> i64 {
        self.max_count
    }
}

impl<T, W> Trigger<T, W> for CountTrigger {
    fn on_element(&self, _: &T, _: Timestamp, _: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        if ctx.add_to_state(&COUNT, 1)? >= self.max_count {
            ctx.clear_state(&COUNT)?;
            return Ok(TriggerResult::Fire);
        }
        Ok(TriggerResult::Continue)
    }

    fn can_merge(&self) -> bool {
        true
    }

    /// Adds up the counts of the merged windows. Like Flink, a merged count at or over `n` fires
    /// on the next record, not during the merge.
    fn on_merge(&self, _: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        ctx.merge_state(&COUNT)
    }

    fn clear(&self, _: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        ctx.clear_state(&COUNT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{GlobalWindow, InMemoryTriggerContext, TimeWindow};

    #[test]
    fn fires_on_every_third_record() {
        let t = CountTrigger::of(3).expect("valid");
        let mut ctx = InMemoryTriggerContext::new();
        let results: Vec<_> =
            (0..7).map(|i| t.on_element(&i, 0, &GlobalWindow, &mut ctx.scope(GlobalWindow)).expect("ok")).collect();
        use TriggerResult::{Continue as C, Fire as F};
        assert_eq!(results, [C, C, F, C, C, F, C]);
        assert_eq!(ctx.state_of(&GlobalWindow, "count"), Some(1));
        Trigger::<u8, _>::clear(&t, &GlobalWindow, &mut ctx.scope(GlobalWindow)).expect("ok");
        assert!(ctx.is_empty());
    }

    #[test]
    fn counts_add_up_when_windows_merge() {
        let t = CountTrigger::of(4).expect("valid");
        let (a, b, merged) = (TimeWindow::new(0, 5), TimeWindow::new(5, 10), TimeWindow::new(0, 10));
        let mut ctx = InMemoryTriggerContext::new();
        for w in [a, a, b] {
            assert_eq!(t.on_element(&(), 0, &w, &mut ctx.scope(w)).expect("ok"), TriggerResult::Continue);
        }
        Trigger::<(), _>::on_merge(&t, &merged, &mut ctx.merge_scope(merged, &[a, b])).expect("ok");
        for w in [a, b] {
            Trigger::<(), _>::clear(&t, &w, &mut ctx.scope(w)).expect("ok");
        }
        assert_eq!(t.on_element(&(), 0, &merged, &mut ctx.scope(merged)).expect("ok"), TriggerResult::Fire);
    }

    #[test]
    fn zero_is_refused() {
        assert!(CountTrigger::of(0).is_err());
        assert!(CountTrigger::of(u64::MAX).is_err());
    }
}
