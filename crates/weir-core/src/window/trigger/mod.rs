//! Triggers: when a window's contents are emitted and when they are dropped.
//!
//! A trigger is a decision function. The operator calls it on every record added to a window,
//! when a timer the trigger registered fires, and when windows merge; it answers with a
//! [`TriggerResult`]. Everything a trigger remembers between calls (a count, the next firing
//! time) lives behind the [`TriggerContext`], never in the trigger value itself, so that it is
//! scoped to one key and window, checkpointed and restored with the operator's state.
//!
//! This module is **not** the timer service or the state backend: the context trait is defined
//! here and implemented by the window operator in `weir-runtime`. [`InMemoryTriggerContext`] is a
//! small implementation for tests.
//!
//! The built-in triggers follow Flink's, one per file: [`EventTimeTrigger`],
//! [`ProcessingTimeTrigger`], [`CountTrigger`], [`ContinuousEventTimeTrigger`],
//! [`ContinuousProcessingTimeTrigger`], [`PurgingTrigger`] and [`NeverTrigger`].

mod continuous_event_time;
mod continuous_processing_time;
mod count;
mod event_time;
mod fire_time;
mod in_memory;
mod never;
mod processing_time;
mod purging;

pub use continuous_event_time::ContinuousEventTimeTrigger;
pub use continuous_processing_time::ContinuousProcessingTimeTrigger;
pub use count::CountTrigger;
pub use event_time::EventTimeTrigger;
pub use in_memory::{Firing, InMemoryTriggerContext, WindowScope};
pub use never::NeverTrigger;
pub use processing_time::ProcessingTimeTrigger;
pub use purging::PurgingTrigger;

use crate::error::Result;
use crate::time::Timestamp;

/// What the operator does with a window after asking its trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TriggerResult {
    /// Nothing: keep collecting.
    Continue,
    /// Emit the window's result and keep its contents (later firings include them again).
    Fire,
    /// Drop the window's contents without emitting them (the window's timers stay).
    Purge,
    /// Emit the window's result, then drop its contents.
    FireAndPurge,
}

impl TriggerResult {
    /// Whether the window's result is emitted.
    pub fn is_fire(self) -> bool {
        matches!(self, TriggerResult::Fire | TriggerResult::FireAndPurge)
    }

    /// Whether the window's contents are dropped.
    pub fn is_purge(self) -> bool {
        matches!(self, TriggerResult::Purge | TriggerResult::FireAndPurge)
    }
}

/// A named `i64` of trigger state with the rule that combines two values: how a value is added
/// to (Flink's `ReducingState`) and how the values of merging windows become one.
#[derive(Debug, Clone, Copy)]
pub struct TriggerStateDescriptor {
    /// Unique among the states of one trigger (and of the triggers it wraps).
    pub name: &'static str,
    /// Combines the stored value with a new one; also merges the values of merging windows.
    pub reduce: fn(i64, i64) -> i64,
}

impl TriggerStateDescriptor {
    /// A state whose values add up (counts), saturating at the ends of `i64`.
    pub const fn sum(name: &'static str) -> Self {
        TriggerStateDescriptor { name, reduce: i64::saturating_add }
    }

    /// A state that keeps the smallest value (the next firing time).
    pub const fn min(name: &'static str) -> Self {
        TriggerStateDescriptor { name, reduce: min }
    }
}

fn min(a: i64, b: i64) -> i64 {
    a.min(b)
}

/// What a trigger can see and do, scoped to one key and one window: the two clocks, timers and
/// small named state. Implemented by the window operator (and by [`InMemoryTriggerContext`]).
///
/// Contract for implementations:
/// - timers are per key, window and time, and deduplicated: registering the same time twice gives
///   one callback; deleting a timer that does not exist does nothing;
/// - a timer is delivered to the trigger's `on_event_time`/`on_processing_time` with the window it
///   was registered for, once the watermark (event time) or the clock (processing time) reaches
///   its time, in time order;
/// - state is per key, window and [`TriggerStateDescriptor::name`]; it is part of the operator's
///   checkpointed state;
/// - `merge_state` is only called from [`Trigger::on_merge`]: it folds the named state of the
///   windows being merged into the current window's with the descriptor's `reduce`, and leaves the
///   merged windows' own values in place: `clear` is called for each merged window afterwards and
///   may need them (to delete the timer a value names).
pub trait TriggerContext {
    /// The operator's current event time (`i64::MIN` before the first watermark).
    fn current_watermark(&self) -> Timestamp;

    /// The operator's current processing time.
    fn current_processing_time(&self) -> Timestamp;

    fn register_event_time_timer(&mut self, time: Timestamp) -> Result<()>;

    fn register_processing_time_timer(&mut self, time: Timestamp) -> Result<()>;

    fn delete_event_time_timer(&mut self, time: Timestamp) -> Result<()>;

    fn delete_processing_time_timer(&mut self, time: Timestamp) -> Result<()>;

    /// The current window's value of `state`, if it has one.
    fn get_state(&mut self, state: &TriggerStateDescriptor) -> Result<Option<i64>>;

    fn set_state(&mut self, state: &TriggerStateDescriptor, value: i64) -> Result<()>;

    fn clear_state(&mut self, state: &TriggerStateDescriptor) -> Result<()>;

    /// During `on_merge`: folds `state` of the merged windows into the current window.
    fn merge_state(&mut self, state: &TriggerStateDescriptor) -> Result<()>;

    /// Adds `value` to `state` with its `reduce` (or sets it, when there is none) and returns the
    /// new value.
    fn add_to_state(&mut self, state: &TriggerStateDescriptor, value: i64) -> Result<i64> {
        let new = match self.get_state(state)? {
            Some(old) => (state.reduce)(old, value),
            None => value,
        };
        self.set_state(state, new)?;
        Ok(new)
    }
}

/// Decides when a window fires and purges.
///
/// Contract for implementations:
/// - a trigger keeps no state in itself (methods take `&self`): everything goes through the
///   context, so it is per key and window and survives a restore;
/// - `clear` removes every timer and state the trigger created for the window; the operator calls
///   it when the window is dropped (at its cleanup time, or when it merged into another);
/// - a trigger that returns `can_merge() == true` implements `on_merge`, which is called for the
///   merged window (with the context scoped to it) before `clear` is called for the windows that
///   merged into it; it typically merges state and re-registers timers.
pub trait Trigger<T, W>: Send + Sync {
    /// A record was added to `window`. `timestamp` is the time it was assigned at.
    fn on_element(
        &self,
        element: &T,
        timestamp: Timestamp,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult>;

    /// An event-time timer this trigger registered for `window` fired at `time`.
    fn on_event_time(&self, _time: Timestamp, _window: &W, _ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        Ok(TriggerResult::Continue)
    }

    /// A processing-time timer this trigger registered for `window` fired at `time`.
    fn on_processing_time(
        &self,
        _time: Timestamp,
        _window: &W,
        _ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult> {
        Ok(TriggerResult::Continue)
    }

    /// Whether the trigger supports merging windows (required by session windows).
    fn can_merge(&self) -> bool {
        false
    }

    /// Windows merged into `window`; called with the context scoped to `window`.
    fn on_merge(&self, _window: &W, _ctx: &mut dyn TriggerContext) -> Result<()> {
        Ok(())
    }

    /// The window is dropped: delete its timers and state.
    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()>;
}

/// A boxed trigger (such as an assigner's default) is a trigger, so it can be wrapped, e.g. in a
/// [`PurgingTrigger`].
impl<T, W, Tr: Trigger<T, W> + ?Sized> Trigger<T, W> for Box<Tr> {
    fn on_element(
        &self,
        element: &T,
        timestamp: Timestamp,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult> {
        (**self).on_element(element, timestamp, window, ctx)
    }

    fn on_event_time(&self, time: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        (**self).on_event_time(time, window, ctx)
    }

    fn on_processing_time(&self, time: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        (**self).on_processing_time(time, window, ctx)
    }

    fn can_merge(&self) -> bool {
        (**self).can_merge()
    }

    fn on_merge(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        (**self).on_merge(window, ctx)
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        (**self).clear(window, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_say_whether_to_fire_and_purge() {
        use TriggerResult::*;
        assert_eq!([Continue, Fire, Purge, FireAndPurge].map(TriggerResult::is_fire), [false, true, false, true]);
        assert_eq!([Continue, Fire, Purge, FireAndPurge].map(TriggerResult::is_purge), [false, false, true, true]);
    }

    #[test]
    fn descriptors_reduce() {
        let count = TriggerStateDescriptor::sum("count");
        assert_eq!((count.reduce)(2, 3), 5);
        assert_eq!((count.reduce)(i64::MAX, 3), i64::MAX);
        let next = TriggerStateDescriptor::min("fire-time");
        assert_eq!((next.reduce)(20, 10), 10);
    }
}
