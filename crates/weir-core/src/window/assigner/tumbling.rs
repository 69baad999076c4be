//! Tumbling windows: fixed-size, non-overlapping windows, each record in exactly one.
//!
//! Windows are `[offset + k·size, offset + (k+1)·size)`, as Flink's
//! `TumblingEventTimeWindows.of(size, offset)`. The offset shifts the grid, e.g. to start daily
//! windows at local midnight: for UTC+8, `with_offset(-8 h)`. This is **not** a calendar: days
//! are always 86,400,000 ms, whatever daylight-saving time does.

use super::{TimeDomain, WindowAssigner, out_of_range, positive_millis, time_trigger};
use crate::error::{Error, Result};
use crate::time::Timestamp;
use crate::window::time_window::{TimeWindow, window_start_with_offset};
use crate::window::trigger::Trigger;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const NAME: &str = "TumblingWindows";

/// Assigns each record to the one window of length `size` that contains its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TumblingWindows {
    size: i64,
    offset: i64,
    domain: TimeDomain,
}

impl TumblingWindows {
    /// Windows of `size` over the records' timestamps.
    pub fn event_time(size: Duration) -> Result<Self> {
        Self::of(size, TimeDomain::EventTime)
    }

    /// Windows of `size` over the operator's clock.
    pub fn processing_time(size: Duration) -> Result<Self> {
        Self::of(size, TimeDomain::ProcessingTime)
    }

    /// Windows of `size` (at least 1 ms) in `domain`, aligned on the epoch.
    pub fn of(size: Duration, domain: TimeDomain) -> Result<Self> {
        Ok(TumblingWindows { size: positive_millis(NAME, "size", size)?, offset: 0, domain })
    }

    /// The same windows shifted by `offset` milliseconds, which must satisfy `|offset| < size`
    /// (as in Flink).
    pub fn with_offset(self, offset: i64) -> Result<Self> {
        if offset.unsigned_abs() >= self.size.unsigned_abs() {
            return Err(Error::InvalidWindow {
                what: NAME,
                message: format!(
                    "the offset must satisfy |offset| < size, got offset {offset} ms and size {} ms",
                    self.size
                ),
            });
        }
        Ok(TumblingWindows { offset, ..self })
    }

    /// The window length in milliseconds.
    pub fn size(&self) -> i64 {
        self.size
    }

    /// The offset of the window grid in milliseconds.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The window containing `timestamp`, without allocating: the hot path of the operator.
    #[inline]
    pub fn window_for(&self, timestamp: Timestamp) -> Result<TimeWindow> {
        let start = window_start_with_offset(timestamp, self.offset, self.size);
        match start.and_then(|start| Some(TimeWindow::new(start, start.checked_add(self.size)?))) {
            Some(window) => Ok(window),
            None => Err(out_of_range(NAME, timestamp)),
        }
    }
}

impl<T> WindowAssigner<T> for TumblingWindows {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn window(w: &TumblingWindows, ts: i64) -> TimeWindow {
        w.window_for(ts).expect("in range")
    }

    #[test]
    fn windows_by_hand() {
        let w = TumblingWindows::event_time(SECOND).expect("valid");
        assert_eq!(window(&w, 0), TimeWindow::new(0, 1000));
        assert_eq!(window(&w, 999), TimeWindow::new(0, 1000));
        assert_eq!(window(&w, 1000), TimeWindow::new(1000, 2000));
        assert_eq!(window(&w, -1), TimeWindow::new(-1000, 0));
        assert_eq!(window(&w, -1000), TimeWindow::new(-1000, 0));
        assert_eq!(window(&w, -1001), TimeWindow::new(-2000, -1000));
    }

    #[test]
    fn flinks_offset_examples() {
        // TumblingEventTimeWindowsTest.testWindowAssignmentWithOffset: size 5000, offset 100.
        let w = TumblingWindows::event_time(Duration::from_millis(5000)).expect("valid").with_offset(100).expect("ok");
        assert_eq!(window(&w, 100), TimeWindow::new(100, 5100));
        assert_eq!(window(&w, 5099), TimeWindow::new(100, 5100));
        assert_eq!(window(&w, 5100), TimeWindow::new(5100, 10100));
        // ... and with a negative offset (the time-zone example of the Flink docs): days in UTC+8.
        let hour = 3_600_000;
        let days = TumblingWindows::event_time(Duration::from_secs(86_400)).expect("valid").with_offset(-8 * hour);
        let days = days.expect("|offset| < size");
        assert_eq!(window(&days, 0), TimeWindow::new(-8 * hour, 16 * hour));
        assert_eq!(window(&days, 16 * hour), TimeWindow::new(16 * hour, 40 * hour));
    }

    #[test]
    fn invalid_definitions_are_refused() {
        assert!(TumblingWindows::event_time(Duration::ZERO).is_err());
        let w = TumblingWindows::event_time(SECOND).expect("valid");
        assert!(w.with_offset(1000).is_err());
        assert!(w.with_offset(-1000).is_err());
        assert!(w.with_offset(i64::MIN).is_err());
        assert!(w.with_offset(-999).is_ok());
    }

    #[test]
    fn timestamps_at_the_ends_of_time_are_errors_not_panics() {
        let w = TumblingWindows::event_time(SECOND).expect("valid");
        assert!(w.window_for(i64::MAX).is_err());
        assert!(w.window_for(i64::MIN).is_err());
        let ms = TumblingWindows::event_time(Duration::from_millis(1)).expect("valid");
        assert_eq!(window(&ms, i64::MIN), TimeWindow::new(i64::MIN, i64::MIN + 1));
        assert!(ms.window_for(i64::MAX).is_err());
        assert_eq!(window(&ms, i64::MAX - 1), TimeWindow::new(i64::MAX - 1, i64::MAX));
    }

    #[test]
    fn the_trait_appends_one_window_and_knows_its_trigger() {
        let w = TumblingWindows::processing_time(SECOND).expect("valid");
        let mut out = vec![TimeWindow::new(7, 8)];
        WindowAssigner::<u8>::assign_windows(&w, &0, 1500, &mut out).expect("in range");
        assert_eq!(out, [TimeWindow::new(7, 8), TimeWindow::new(1000, 2000)]);
        assert!(!WindowAssigner::<u8>::is_event_time(&w));
        assert!(!WindowAssigner::<u8>::is_merging(&w));
    }
}
