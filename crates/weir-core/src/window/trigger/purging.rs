//! The purging trigger: turns every firing of another trigger into fire-and-purge (Flink's
//! `PurgingTrigger`), so each firing emits only what arrived since the last one.

use super::{Trigger, TriggerContext, TriggerResult};
use crate::error::Result;
use crate::time::Timestamp;

/// Wraps a trigger; `Fire` becomes `FireAndPurge`, everything else passes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgingTrigger<Tr> {
    inner: Tr,
}

impl<Tr> PurgingTrigger<Tr> {
    pub fn of(inner: Tr) -> Self {
        PurgingTrigger { inner }
    }

    pub fn inner(&self) -> &Tr {
        &self.inner
    }
}

fn purging(result: TriggerResult) -> TriggerResult {
    if result.is_fire() { TriggerResult::FireAndPurge } else { result }
}

impl<T, W, Tr: Trigger<T, W>> Trigger<T, W> for PurgingTrigger<Tr> {
    fn on_element(
        &self,
        element: &T,
        timestamp: Timestamp,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult> {
        self.inner.on_element(element, timestamp, window, ctx).map(purging)
    }

    fn on_event_time(&self, time: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        self.inner.on_event_time(time, window, ctx).map(purging)
    }

    fn on_processing_time(&self, time: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        self.inner.on_processing_time(time, window, ctx).map(purging)
    }

    fn can_merge(&self) -> bool {
        self.inner.can_merge()
    }

    fn on_merge(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        self.inner.on_merge(window, ctx)
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        self.inner.clear(window, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{CountTrigger, EventTimeTrigger, GlobalWindow, InMemoryTriggerContext, TimeWindow};

    #[test]
    fn firings_purge_and_the_rest_passes_through() {
        let t = PurgingTrigger::of(CountTrigger::of(2).expect("valid"));
        let mut ctx = InMemoryTriggerContext::new();
        let on = |ctx: &mut InMemoryTriggerContext<GlobalWindow>| {
            t.on_element(&(), 0, &GlobalWindow, &mut ctx.scope(GlobalWindow)).expect("ok")
        };
        assert_eq!(on(&mut ctx), TriggerResult::Continue);
        assert_eq!(on(&mut ctx), TriggerResult::FireAndPurge);
        assert!(Trigger::<(), GlobalWindow>::can_merge(&t));
    }

    #[test]
    fn wraps_a_boxed_default_trigger() {
        let boxed: Box<dyn Trigger<(), TimeWindow>> = Box::new(EventTimeTrigger);
        let t = PurgingTrigger::of(boxed);
        let w = TimeWindow::new(0, 10);
        let mut ctx = InMemoryTriggerContext::new();
        t.on_element(&(), 1, &w, &mut ctx.scope(w)).expect("ok");
        assert_eq!(ctx.advance_watermark(&t, 100).expect("ok"), [(w, 9, TriggerResult::FireAndPurge)]);
    }
}
