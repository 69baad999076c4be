//! Window assigners: which windows a record belongs to.
//!
//! An assigner is a pure function from a record and its time to windows, plus the facts the
//! window operator needs about it: its time domain, whether its windows merge (sessions) and
//! which trigger fires them by default. One assigner per file: [`TumblingWindows`],
//! [`SlidingWindows`], [`SessionWindows`], [`DynamicSessionWindows`], [`GlobalWindows`].
//!
//! It is **not** the operator: an assigner keeps no state, registers no timer and never sees a
//! watermark. Merging the windows of sessions is [`MergingWindowSet`](super::MergingWindowSet)'s
//! job; lateness is [`late`](super::late)'s.
//!
//! Sizes, slides and gaps are given as [`Duration`]s and kept in whole milliseconds (the unit of
//! timestamps); offsets are signed milliseconds, since a time-zone offset may be negative.

mod dynamic_session;
mod global;
mod session;
mod sliding;
mod tumbling;

pub use dynamic_session::DynamicSessionWindows;
pub use global::GlobalWindows;
pub use session::SessionWindows;
pub use sliding::SlidingWindows;
pub use tumbling::TumblingWindows;

use super::time_window::{TimeWindow, Window};
use super::trigger::{EventTimeTrigger, ProcessingTimeTrigger, Trigger};
use crate::error::{Error, Result};
use crate::time::Timestamp;
use std::time::Duration;

/// Which clock an assigner's windows follow (shared with timers).
pub use crate::time::TimeDomain;

/// The error for a record without a timestamp in event-time windows.
pub fn missing_timestamp() -> Error {
    Error::Unassignable {
        assigner: "event-time windows",
        message: "a record has no timestamp; event-time windows need one: set a watermark strategy with a \
                  timestamp assigner at the source or with assign_timestamps_and_watermarks"
            .into(),
    }
}

/// Puts records into windows.
///
/// Contract for implementations:
/// - `assign_windows` is a pure function of its arguments: the same record and time give the same
///   windows, on every subtask, before and after a restore;
/// - it **appends** to `out` and never clears it, so a caller can collect the windows of a whole
///   batch into one reused buffer without allocating;
/// - a record whose window cannot be represented (its timestamp is within one window of `i64`'s
///   ends) is an [`Error::Unassignable`], never a panic or a wrapped-around window.
pub trait WindowAssigner<T>: Send + Sync {
    /// The windows this assigner produces.
    type Window: Window;

    /// Appends the windows of `element` at `timestamp` to `out`.
    ///
    /// `timestamp` is the time the assigner works in, as [`Self::assignment_time`] picks it: the
    /// record's timestamp in event time, the operator's clock in processing time.
    fn assign_windows(&self, element: &T, timestamp: Timestamp, out: &mut Vec<Self::Window>) -> Result<()>;

    /// The clock the windows follow.
    fn time_domain(&self) -> TimeDomain;

    /// Whether the windows follow event time.
    fn is_event_time(&self) -> bool {
        self.time_domain() == TimeDomain::EventTime
    }

    /// The trigger used when the user sets none.
    fn default_trigger(&self) -> Box<dyn Trigger<T, Self::Window>>;

    /// Whether windows of one key merge when they intersect (sessions). The operator then tracks
    /// a key's windows in a [`MergingWindowSet`](super::MergingWindowSet).
    fn is_merging(&self) -> bool {
        false
    }

    /// The time to assign a record at: its timestamp in event time (an error if it has none), the
    /// operator's current processing time otherwise.
    fn assignment_time(&self, record_timestamp: Option<Timestamp>, processing_time: Timestamp) -> Result<Timestamp> {
        if !self.is_event_time() {
            return Ok(processing_time);
        }
        record_timestamp.ok_or_else(missing_timestamp)
    }

    /// The windows of one record in a new `Vec`: a convenience for tests and cold paths.
    fn windows_of(&self, element: &T, timestamp: Timestamp) -> Result<Vec<Self::Window>> {
        let mut out = Vec::new();
        self.assign_windows(element, timestamp, &mut out)?;
        Ok(out)
    }
}

/// Checks that a trigger can be used with an assigner: merging assigners need triggers that can
/// merge (Flink refuses the combination when the window is defined; so do we).
pub fn check_trigger<T, W: Window>(
    assigner: &dyn WindowAssigner<T, Window = W>,
    trigger: &dyn Trigger<T, W>,
) -> Result<()> {
    if assigner.is_merging() && !trigger.can_merge() {
        return Err(Error::InvalidWindow {
            what: "window trigger",
            message: "session windows merge, so their trigger must support merging (can_merge), and this one does not"
                .into(),
        });
    }
    Ok(())
}

/// The default trigger of time windows: the window fires when its domain's clock passes its end.
pub(crate) fn time_trigger<T>(domain: TimeDomain) -> Box<dyn Trigger<T, TimeWindow>> {
    match domain {
        TimeDomain::EventTime => Box::new(EventTimeTrigger),
        TimeDomain::ProcessingTime => Box::new(ProcessingTimeTrigger),
    }
}

/// A length in whole milliseconds, at least 1 and at most `i64::MAX`; sub-millisecond parts are
/// dropped. `what` and `name` make the error say which definition and which argument.
pub(crate) fn positive_millis(what: &'static str, name: &str, length: Duration) -> Result<i64> {
    let millis = length.as_millis();
    if millis == 0 {
        return Err(Error::InvalidWindow {
            what,
            message: format!("the {name} must be at least 1 ms, got {length:?}"),
        });
    }
    i64::try_from(millis)
        .map_err(|_| Error::InvalidWindow { what, message: format!("the {name} {length:?} is too long") })
}

/// The error for a record whose window would reach past `i64`'s range.
pub(crate) fn out_of_range(assigner: &'static str, timestamp: Timestamp) -> Error {
    Error::Unassignable {
        assigner,
        message: format!("the window of a record at {timestamp} would reach past the range of timestamps"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::trigger::CountTrigger;

    #[test]
    fn lengths_are_whole_positive_milliseconds() {
        assert_eq!(positive_millis("X", "size", Duration::from_millis(1500)).expect("ok"), 1500);
        assert_eq!(positive_millis("X", "size", Duration::from_micros(1999)).expect("ok"), 1);
        let err = positive_millis("X", "size", Duration::from_micros(999)).expect_err("too short");
        assert!(err.to_string().contains("X: the size must be at least 1 ms"), "{err}");
        assert!(positive_millis("X", "size", Duration::MAX).is_err());
    }

    #[test]
    fn event_time_needs_a_timestamp_and_processing_time_uses_the_clock() {
        let event = TumblingWindows::event_time(Duration::from_secs(1)).expect("valid");
        let processing = TumblingWindows::processing_time(Duration::from_secs(1)).expect("valid");
        assert_eq!(WindowAssigner::<u8>::assignment_time(&event, Some(5), 99).expect("has one"), 5);
        let err = WindowAssigner::<u8>::assignment_time(&event, None, 99).expect_err("none");
        assert!(err.to_string().contains("no timestamp"), "{err}");
        assert_eq!(WindowAssigner::<u8>::assignment_time(&processing, Some(5), 99).expect("clock"), 99);
        assert_eq!(WindowAssigner::<u8>::assignment_time(&processing, None, 99).expect("clock"), 99);
    }

    #[test]
    fn merging_assigners_refuse_triggers_that_cannot_merge() {
        struct NoMerge;
        impl Trigger<u8, crate::window::TimeWindow> for NoMerge {
            fn on_element(
                &self,
                _: &u8,
                _: Timestamp,
                _: &crate::window::TimeWindow,
                _: &mut dyn crate::window::TriggerContext,
            ) -> Result<crate::window::TriggerResult> {
                Ok(crate::window::TriggerResult::Continue)
            }
            fn clear(&self, _: &crate::window::TimeWindow, _: &mut dyn crate::window::TriggerContext) -> Result<()> {
                Ok(())
            }
        }
        let sessions = SessionWindows::event_time(Duration::from_secs(1)).expect("valid");
        assert!(check_trigger::<u8, _>(&sessions, &NoMerge).is_err());
        assert!(check_trigger::<u8, _>(&sessions, &CountTrigger::of(3).expect("valid")).is_ok());
        let tumbling = TumblingWindows::event_time(Duration::from_secs(1)).expect("valid");
        assert!(check_trigger::<u8, _>(&tumbling, &NoMerge).is_ok());
    }
}
