//! The "next firing time" both continuous triggers keep: one `i64` of trigger state (the minimum
//! when windows merge) and the timer it names, in event or processing time.
//!
//! Private to the trigger module; it is **not** a trigger itself.

use super::{TriggerContext, TriggerStateDescriptor};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::assigner::{TimeDomain, positive_millis};
use crate::window::time_window::window_start_with_offset;
use std::time::Duration;

const FIRE_TIME: TriggerStateDescriptor = TriggerStateDescriptor::min("fire-time");

/// Periodic firings every `interval` in `domain`, aligned on multiples of the interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FireTime {
    interval: i64,
    domain: TimeDomain,
}

impl FireTime {
    /// `what` names the trigger in the error for an interval under 1 ms.
    pub(super) fn new(what: &'static str, interval: Duration, domain: TimeDomain) -> Result<Self> {
        Ok(FireTime { interval: positive_millis(what, "interval", interval)?, domain })
    }

    /// The next firing time, if one is scheduled.
    pub(super) fn get(&self, ctx: &mut dyn TriggerContext) -> Result<Option<Timestamp>> {
        ctx.get_state(&FIRE_TIME)
    }

    /// Schedules the first firing: the first multiple of the interval after `now` (floor
    /// alignment, also for negative times), but no later than the window's `max_timestamp`.
    pub(super) fn schedule_first(
        &self,
        now: Timestamp,
        max_timestamp: Timestamp,
        ctx: &mut dyn TriggerContext,
    ) -> Result<()> {
        let aligned = window_start_with_offset(now, 0, self.interval).unwrap_or(Timestamp::MIN);
        self.schedule_after(aligned, max_timestamp, ctx)
    }

    /// Schedules `min(time + interval, max_timestamp)` and registers its timer.
    pub(super) fn schedule_after(
        &self,
        time: Timestamp,
        max_timestamp: Timestamp,
        ctx: &mut dyn TriggerContext,
    ) -> Result<()> {
        let next = time.saturating_add(self.interval).min(max_timestamp);
        let next = ctx.add_to_state(&FIRE_TIME, next)?;
        self.register(next, ctx)
    }

    /// Forgets the scheduled firing (its timer has fired).
    pub(super) fn forget(&self, ctx: &mut dyn TriggerContext) -> Result<()> {
        ctx.clear_state(&FIRE_TIME)
    }

    /// On merge: keeps the earliest firing of the merged windows and registers its timer.
    pub(super) fn merge(&self, ctx: &mut dyn TriggerContext) -> Result<()> {
        ctx.merge_state(&FIRE_TIME)?;
        match ctx.get_state(&FIRE_TIME)? {
            Some(next) => self.register(next, ctx),
            None => Ok(()),
        }
    }

    /// Deletes the scheduled firing's timer and state.
    pub(super) fn clear(&self, ctx: &mut dyn TriggerContext) -> Result<()> {
        if let Some(next) = ctx.get_state(&FIRE_TIME)? {
            match self.domain {
                TimeDomain::EventTime => ctx.delete_event_time_timer(next)?,
                TimeDomain::ProcessingTime => ctx.delete_processing_time_timer(next)?,
            }
            ctx.clear_state(&FIRE_TIME)?;
        }
        Ok(())
    }

    fn register(&self, time: Timestamp, ctx: &mut dyn TriggerContext) -> Result<()> {
        match self.domain {
            TimeDomain::EventTime => ctx.register_event_time_timer(time),
            TimeDomain::ProcessingTime => ctx.register_processing_time_timer(time),
        }
    }
}
