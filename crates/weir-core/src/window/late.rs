//! Lateness: when an event-time window is too late to accept records and when its state is
//! dropped, as pure functions of the window, the watermark and the allowed lateness (Flink's
//! `WindowOperator.cleanupTime`, `isWindowLate` and `isElementLate`).
//!
//! A window fires when the watermark reaches its `max_timestamp`; with an allowed lateness `L`
//! its state is kept until the watermark reaches `max_timestamp + L` (its *cleanup time*), and
//! records arriving until then re-fire it. After that the window is late: a record whose every
//! window is late goes to the late-data side output, or is dropped and counted. Processing-time
//! windows are never late and are cleaned up at their `max_timestamp`.
//!
//! Lateness is in milliseconds; a negative lateness counts as zero (the API refuses it).

use crate::time::Timestamp;
use crate::window::assigner::TimeDomain;
use crate::window::time_window::Window;

/// When an event-time window's state is dropped: `max_timestamp + allowed_lateness`, saturating
/// at `i64::MAX` (where Flink's overflow check lands too).
#[inline]
pub fn cleanup_time<W: Window>(window: &W, allowed_lateness: i64) -> Timestamp {
    window.max_timestamp().saturating_add(allowed_lateness.max(0))
}

/// [`cleanup_time`] in event time; a processing-time window is dropped at its `max_timestamp`.
#[inline]
pub fn cleanup_time_in<W: Window>(domain: TimeDomain, window: &W, allowed_lateness: i64) -> Timestamp {
    match domain {
        TimeDomain::EventTime => cleanup_time(window, allowed_lateness),
        TimeDomain::ProcessingTime => window.max_timestamp(),
    }
}

/// Whether an event-time window is past its cleanup time at `watermark`: a record for it is not
/// added (Flink's `isWindowLate`).
#[inline]
pub fn is_late<W: Window>(window: &W, watermark: Timestamp, allowed_lateness: i64) -> bool {
    cleanup_time(window, allowed_lateness) <= watermark
}

/// [`is_late`] in event time; never in processing time.
#[inline]
pub fn is_late_in<W: Window>(domain: TimeDomain, window: &W, watermark: Timestamp, allowed_lateness: i64) -> bool {
    domain == TimeDomain::EventTime && is_late(window, watermark, allowed_lateness)
}

/// Whether a record at `timestamp` is late beyond the allowed lateness at `watermark`: when none
/// of its windows took it, it goes to the late side output (Flink's `isElementLate`).
#[inline]
pub fn is_element_late(timestamp: Timestamp, watermark: Timestamp, allowed_lateness: i64) -> bool {
    timestamp.saturating_add(allowed_lateness.max(0)) <= watermark
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{GlobalWindow, TimeWindow};

    const W: TimeWindow = TimeWindow::new(0, 1000);

    #[test]
    fn a_window_is_late_once_the_watermark_reaches_its_end_plus_the_lateness() {
        assert_eq!(cleanup_time(&W, 0), 999);
        assert!(!is_late(&W, 998, 0));
        assert!(is_late(&W, 999, 0));
        assert_eq!(cleanup_time(&W, 500), 1499);
        assert!(!is_late(&W, 1498, 500));
        assert!(is_late(&W, 1499, 500));
        assert!(!is_late(&W, i64::MIN, 0));
    }

    #[test]
    fn cleanup_saturates_at_the_end_of_time() {
        assert_eq!(cleanup_time(&TimeWindow::new(0, i64::MAX), 10), i64::MAX);
        assert_eq!(cleanup_time(&GlobalWindow, i64::MAX), i64::MAX);
        assert_eq!(cleanup_time(&W, -5), 999, "negative lateness counts as zero");
        assert!(!is_late(&TimeWindow::new(0, i64::MAX), i64::MAX - 1, 10));
    }

    #[test]
    fn processing_time_windows_are_never_late() {
        assert!(!is_late_in(TimeDomain::ProcessingTime, &W, i64::MAX, 0));
        assert!(is_late_in(TimeDomain::EventTime, &W, i64::MAX, 0));
        assert_eq!(cleanup_time_in(TimeDomain::ProcessingTime, &W, 500), 999);
        assert_eq!(cleanup_time_in(TimeDomain::EventTime, &W, 500), 1499);
    }

    #[test]
    fn records_are_late_beyond_the_lateness() {
        assert!(!is_element_late(100, 99, 0));
        assert!(is_element_late(100, 100, 0));
        assert!(!is_element_late(100, 149, 50));
        assert!(is_element_late(100, 150, 50));
        assert!(!is_element_late(i64::MAX, i64::MAX - 1, 5));
    }
}
