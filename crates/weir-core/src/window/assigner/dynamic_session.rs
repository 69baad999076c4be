//! Session windows whose gap comes from each record: `[t, t + gap(record))`, merged like fixed-gap
//! sessions (Flink's `EventTimeSessionWindows.withDynamicGap`).
//!
//! The gap extractor is the user's function; a gap under 1 ms is the record's error
//! ([`Error::Unassignable`](crate::Error::Unassignable)), not a panic. Merging is **not** done here
//! but by [`MergingWindowSet`](crate::window::MergingWindowSet).

use super::session::session_window;
use super::{TimeDomain, WindowAssigner, time_trigger};
use crate::error::{Error, Result};
use crate::time::Timestamp;
use crate::window::time_window::TimeWindow;
use crate::window::trigger::Trigger;
use std::fmt;
use std::time::Duration;

const NAME: &str = "DynamicSessionWindows";

/// Assigns each record the window `[t, t + extractor(record))`.
#[derive(Clone)]
pub struct DynamicSessionWindows<F> {
    extractor: F,
    domain: TimeDomain,
}

impl<F> DynamicSessionWindows<F> {
    /// Sessions over the records' timestamps.
    pub fn event_time(extractor: F) -> Self {
        DynamicSessionWindows { extractor, domain: TimeDomain::EventTime }
    }

    /// Sessions over the operator's clock.
    pub fn processing_time(extractor: F) -> Self {
        DynamicSessionWindows { extractor, domain: TimeDomain::ProcessingTime }
    }

    /// The (unmerged) window of `element` at `timestamp`.
    pub fn window_for<T>(&self, element: &T, timestamp: Timestamp) -> Result<TimeWindow>
    where
        F: Fn(&T) -> Duration,
    {
        let gap = (self.extractor)(element);
        let millis = i64::try_from(gap.as_millis()).unwrap_or(i64::MAX);
        if millis <= 0 {
            return Err(Error::Unassignable {
                assigner: NAME,
                message: format!("the gap of a record at {timestamp} is {gap:?}; a session gap must be at least 1 ms"),
            });
        }
        session_window(NAME, timestamp, millis)
    }
}

impl<F> fmt::Debug for DynamicSessionWindows<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(NAME).field("domain", &self.domain).finish_non_exhaustive()
    }
}

impl<T, F> WindowAssigner<T> for DynamicSessionWindows<F>
where
    F: Fn(&T) -> Duration + Send + Sync,
{
    type Window = TimeWindow;

    fn assign_windows(&self, element: &T, timestamp: Timestamp, out: &mut Vec<TimeWindow>) -> Result<()> {
        out.push(self.window_for(element, timestamp)?);
        Ok(())
    }

    fn time_domain(&self) -> TimeDomain {
        self.domain
    }

    fn default_trigger(&self) -> Box<dyn Trigger<T, TimeWindow>> {
        time_trigger(self.domain)
    }

    fn is_merging(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gap_comes_from_the_record() {
        let s = DynamicSessionWindows::event_time(|gap: &u64| Duration::from_millis(*gap));
        assert_eq!(s.window_for(&10, 100).expect("ok"), TimeWindow::new(100, 110));
        assert_eq!(s.window_for(&3, -5).expect("ok"), TimeWindow::new(-5, -2));
        assert_eq!(s.windows_of(&7, 0).expect("ok"), [TimeWindow::new(0, 7)]);
        assert!(s.is_merging() && s.is_event_time());
    }

    #[test]
    fn a_gap_under_a_millisecond_or_past_the_end_of_time_is_an_error() {
        let s = DynamicSessionWindows::processing_time(|micros: &u64| Duration::from_micros(*micros));
        let err = s.window_for(&999, 0).expect_err("too short");
        assert!(err.to_string().contains("at least 1 ms"), "{err}");
        assert!(s.window_for(&1000, i64::MAX).is_err());
        let huge = DynamicSessionWindows::event_time(|_: &u8| Duration::MAX);
        assert!(huge.window_for(&0, 0).is_ok());
        assert!(huge.window_for(&0, 1).is_err());
    }
}
