//! Sliding (hopping) windows: windows of length `size` starting every `slide`, so a record
//! belongs to about `size / slide` of them.
//!
//! Windows are `[s, s + size)` for every `s ≡ offset (mod slide)`, as Flink's
//! `SlidingEventTimeWindows.of(size, slide, offset)`. When `slide > size` the windows leave gaps
//! and a record in a gap belongs to no window.
//!
//! This assigner copies a record into each of its windows. With an incremental aggregate the
//! operator should not: [`Slicing`](crate::window::Slicing) puts each record into one slice and
//! combines slices per window instead.

use super::{TimeDomain, WindowAssigner, out_of_range, positive_millis, time_trigger};
use crate::error::{Error, Result};
use crate::time::Timestamp;
use crate::window::time_window::TimeWindow;
use crate::window::trigger::Trigger;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const NAME: &str = "SlidingWindows";

/// Assigns each record to every window of length `size`, starting every `slide`, containing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlidingWindows {
    size: i64,
    slide: i64,
    offset: i64,
    domain: TimeDomain,
}

impl SlidingWindows {
    /// Windows of `size` every `slide` over the records' timestamps.
    pub fn event_time(size: Duration, slide: Duration) -> Result<Self> {
        Self::of(size, slide, TimeDomain::EventTime)
    }

    /// Windows of `size` every `slide` over the operator's clock.
    pub fn processing_time(size: Duration, slide: Duration) -> Result<Self> {
        Self::of(size, slide, TimeDomain::ProcessingTime)
    }

    /// Windows of `size` every `slide` (both at least 1 ms) in `domain`, aligned on the epoch.
    pub fn of(size: Duration, slide: Duration, domain: TimeDomain) -> Result<Self> {
        let size = positive_millis(NAME, "size", size)?;
        let slide = positive_millis(NAME, "slide", slide)?;
        Ok(SlidingWindows { size, slide, offset: 0, domain })
    }

    /// The same windows shifted by `offset` milliseconds, which must satisfy `|offset| < slide`
    /// (as in Flink).
    pub fn with_offset(self, offset: i64) -> Result<Self> {
        if offset.unsigned_abs() >= self.slide.unsigned_abs() {
            return Err(Error::InvalidWindow {
                what: NAME,
                message: format!(
                    "the offset must satisfy |offset| < slide, got offset {offset} ms and slide {} ms",
                    self.slide
                ),
            });
        }
        Ok(SlidingWindows { offset, ..self })
    }

    /// The window length in milliseconds.
    pub fn size(&self) -> i64 {
        self.size
    }

    /// The distance between window starts in milliseconds.
    pub fn slide(&self) -> i64 {
        self.slide
    }

    /// The offset of the window grid in milliseconds.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// Appends the windows containing `timestamp`, latest start first (Flink's order).
    pub fn windows_for(&self, timestamp: Timestamp, out: &mut Vec<TimeWindow>) -> Result<()> {
        // In i128 so that nothing overflows: a window that contains the record but does not fit
        // in i64 is an error rather than a wrapped-around window, and a last start below
        // i64::MIN is fine when its window does not reach the record (a gap, `slide > size`).
        let (size, slide, ts) = (i128::from(self.size), i128::from(self.slide), i128::from(timestamp));
        // The remainder in i64 (one fast division) unless `timestamp - offset` overflows.
        let remainder = match timestamp.checked_sub(self.offset) {
            Some(shifted) => i128::from(shifted.rem_euclid(self.slide)),
            None => (ts - i128::from(self.offset)).rem_euclid(slide),
        };
        let mut start = ts - remainder;
        while start + size > ts {
            let window = i64::try_from(start).ok().zip(i64::try_from(start + size).ok());
            let (s, e) = window.ok_or_else(|| out_of_range(NAME, timestamp))?;
            out.push(TimeWindow::new(s, e));
            start -= slide;
        }
        Ok(())
    }
}

impl<T> WindowAssigner<T> for SlidingWindows {
    type Window = TimeWindow;

    #[inline]
    fn assign_windows(&self, _element: &T, timestamp: Timestamp, out: &mut Vec<TimeWindow>) -> Result<()> {
        self.windows_for(timestamp, out)
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

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn windows(w: &SlidingWindows, ts: i64) -> Vec<TimeWindow> {
        let mut out = Vec::new();
        w.windows_for(ts, &mut out).expect("in range");
        out
    }

    fn tw(start: i64, end: i64) -> TimeWindow {
        TimeWindow::new(start, end)
    }

    #[test]
    fn flinks_examples() {
        // SlidingEventTimeWindowsTest.testWindowAssignment: size 5000, slide 1000.
        let w = SlidingWindows::event_time(ms(5000), ms(1000)).expect("valid");
        assert_eq!(windows(&w, 0), [tw(0, 5000), tw(-1000, 4000), tw(-2000, 3000), tw(-3000, 2000), tw(-4000, 1000)]);
        assert_eq!(windows(&w, 4999), [tw(4000, 9000), tw(3000, 8000), tw(2000, 7000), tw(1000, 6000), tw(0, 5000)]);
        assert_eq!(
            windows(&w, 5000),
            [tw(5000, 10000), tw(4000, 9000), tw(3000, 8000), tw(2000, 7000), tw(1000, 6000)]
        );
        // testWindowAssignmentWithOffset: offset 100.
        let w = w.with_offset(100).expect("|offset| < slide");
        assert_eq!(
            windows(&w, 100),
            [tw(100, 5100), tw(-900, 4100), tw(-1900, 3100), tw(-2900, 2100), tw(-3900, 1100)]
        );
        assert_eq!(windows(&w, 5099), [tw(4100, 9100), tw(3100, 8100), tw(2100, 7100), tw(1100, 6100), tw(100, 5100)]);
    }

    #[test]
    fn negative_timestamps_and_non_dividing_slides() {
        // size 10, slide 4: windows start at ..., -8, -4, 0, 4, ...
        let w = SlidingWindows::event_time(ms(10), ms(4)).expect("valid");
        assert_eq!(windows(&w, -1), [tw(-4, 6), tw(-8, 2)]);
        assert_eq!(windows(&w, 0), [tw(0, 10), tw(-4, 6), tw(-8, 2)]);
        assert_eq!(windows(&w, 2), [tw(0, 10), tw(-4, 6)]);
    }

    #[test]
    fn slides_longer_than_the_size_leave_gaps() {
        let w = SlidingWindows::event_time(ms(2), ms(5)).expect("valid");
        assert_eq!(windows(&w, 6), [tw(5, 7)]);
        assert!(windows(&w, 7).is_empty());
        assert!(windows(&w, -1).is_empty());
    }

    #[test]
    fn invalid_definitions_are_refused() {
        assert!(SlidingWindows::event_time(ms(0), ms(1)).is_err());
        assert!(SlidingWindows::event_time(ms(10), ms(0)).is_err());
        let w = SlidingWindows::event_time(ms(10), ms(5)).expect("valid");
        assert!(w.with_offset(5).is_err());
        assert!(w.with_offset(-4).is_ok());
    }

    #[test]
    fn the_ends_of_time_are_errors_not_panics() {
        let w = SlidingWindows::event_time(ms(10), ms(5)).expect("valid");
        let mut out = Vec::new();
        assert!(w.windows_for(i64::MAX, &mut out).is_err());
        assert!(w.windows_for(i64::MIN, &mut out).is_err());
        assert!(w.windows_for(i64::MIN + 20, &mut out).is_ok());
        // A record in a gap has no window, even where the grid point before it is below i64::MIN
        // (found by window_assignment's property test).
        let gaps = SlidingWindows::event_time(ms(347), ms(348)).expect("valid").with_offset(-225).expect("ok");
        let ts = -9223372036854775558;
        assert_eq!(windows(&gaps, ts), []);
    }
}
