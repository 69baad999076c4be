//! Session windows with a fixed gap: a key's records form one session until no record arrives for
//! `gap`.
//!
//! Each record gets the window `[t, t + gap)`; intersecting windows of a key then merge (Flink's
//! `EventTimeSessionWindows.withGap`). The merging itself is **not** done here but by the
//! operator with a [`MergingWindowSet`](crate::window::MergingWindowSet). Two records exactly
//! `gap` apart are in one session, as in Flink (touching windows intersect).

use super::{TimeDomain, WindowAssigner, out_of_range, positive_millis, time_trigger};
use crate::error::Result;
use crate::time::Timestamp;
use crate::window::time_window::TimeWindow;
use crate::window::trigger::Trigger;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const NAME: &str = "SessionWindows";

/// Assigns each record the window `[t, t + gap)`, to be merged with the key's other windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionWindows {
    gap: i64,
    domain: TimeDomain,
}

impl SessionWindows {
    /// Sessions over the records' timestamps.
    pub fn event_time(gap: Duration) -> Result<Self> {
        Self::with_gap(gap, TimeDomain::EventTime)
    }

    /// Sessions over the operator's clock.
    pub fn processing_time(gap: Duration) -> Result<Self> {
        Self::with_gap(gap, TimeDomain::ProcessingTime)
    }

    /// Sessions closed by `gap` (at least 1 ms) of inactivity in `domain`.
    pub fn with_gap(gap: Duration, domain: TimeDomain) -> Result<Self> {
        Ok(SessionWindows { gap: positive_millis(NAME, "gap", gap)?, domain })
    }

    /// The gap in milliseconds.
    pub fn gap(&self) -> i64 {
        self.gap
    }

    /// The (unmerged) window of a record at `timestamp`.
    #[inline]
    pub fn window_for(&self, timestamp: Timestamp) -> Result<TimeWindow> {
        session_window(NAME, timestamp, self.gap)
    }
}

/// `[timestamp, timestamp + gap)`, or an error when that end is past `i64::MAX`.
pub(super) fn session_window(assigner: &'static str, timestamp: Timestamp, gap: i64) -> Result<TimeWindow> {
    match timestamp.checked_add(gap) {
        Some(end) => Ok(TimeWindow::new(timestamp, end)),
        None => Err(out_of_range(assigner, timestamp)),
    }
}

impl<T> WindowAssigner<T> for SessionWindows {
    type Window = TimeWindow;

    #[inline]
    fn assign_windows(&self, _element: &T, timestamp: Timestamp, out: &mut Vec<TimeWindow>) -> Result<()> {
        out.push(self.window_for(timestamp)?);
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
    fn a_record_opens_a_window_of_one_gap() {
        // EventTimeSessionWindowsTest.testWindowAssignment: gap 5000.
        let s = SessionWindows::event_time(Duration::from_millis(5000)).expect("valid");
        assert_eq!(s.window_for(0).expect("ok"), TimeWindow::new(0, 5000));
        assert_eq!(s.window_for(4999).expect("ok"), TimeWindow::new(4999, 9999));
        assert_eq!(s.window_for(-3).expect("ok"), TimeWindow::new(-3, 4997));
        assert!(WindowAssigner::<u8>::is_merging(&s));
        assert!(WindowAssigner::<u8>::is_event_time(&s));
    }

    #[test]
    fn a_zero_gap_and_the_end_of_time_are_errors() {
        assert!(SessionWindows::event_time(Duration::ZERO).is_err());
        let s = SessionWindows::processing_time(Duration::from_millis(10)).expect("valid");
        assert!(s.window_for(i64::MAX - 9).is_err());
        assert_eq!(s.window_for(i64::MAX - 10).expect("fits"), TimeWindow::new(i64::MAX - 10, i64::MAX));
    }
}
