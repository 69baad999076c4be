//! The windows themselves: [`TimeWindow`] (a span of time) and [`GlobalWindow`] (everything),
//! and the [`Window`] trait both implement.
//!
//! A window is a plain value: it names a bucket of a key's records and is the namespace under
//! which the operator keeps that bucket's state and timers. It is **not** the bucket: no record,
//! accumulator or timer is stored here.

use crate::time::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt::{self, Debug};
use std::hash::Hash;

/// What every window type offers the operator: identity (for state namespaces and timers), an
/// order, serde (for checkpoints) and the timestamp at which it is complete.
pub trait Window: Clone + Eq + Ord + Hash + Debug + Send + Sync + Serialize + DeserializeOwned + 'static {
    /// The largest timestamp that still belongs to the window. An event-time window is complete
    /// once the watermark reaches it.
    fn max_timestamp(&self) -> Timestamp;
}

/// The time span `[start, end)` in milliseconds: `start` is included, `end` is not, as in
/// Flink's `TimeWindow`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TimeWindow {
    pub start: Timestamp,
    pub end: Timestamp,
}

impl TimeWindow {
    pub const fn new(start: Timestamp, end: Timestamp) -> Self {
        TimeWindow { start, end }
    }

    /// `end - 1`: the last millisecond of the window (Flink's `maxTimestamp`).
    pub const fn max_timestamp(&self) -> Timestamp {
        self.end.saturating_sub(1)
    }

    /// Whether `timestamp` lies in `[start, end)`.
    pub const fn contains(&self, timestamp: Timestamp) -> bool {
        self.start <= timestamp && timestamp < self.end
    }

    /// Whether the two windows overlap **or touch** (`[0, 10)` and `[10, 20)` intersect), which is
    /// when session windows merge — Flink's `TimeWindow.intersects`.
    pub const fn intersects(&self, other: &TimeWindow) -> bool {
        self.start <= other.end && self.end >= other.start
    }

    /// The smallest window containing both.
    pub fn cover(&self, other: &TimeWindow) -> TimeWindow {
        TimeWindow { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

impl Window for TimeWindow {
    fn max_timestamp(&self) -> Timestamp {
        TimeWindow::max_timestamp(self)
    }
}

impl Debug for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {})", self.start, self.end)
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Debug::fmt(self, f)
    }
}

/// The one window of [`GlobalWindows`](super::assigner::GlobalWindows): every record of a key
/// belongs to it and it never ends, so only a custom or count trigger ever fires it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct GlobalWindow;

impl Window for GlobalWindow {
    /// `i64::MAX`: the end of time, reached only by the final watermark.
    fn max_timestamp(&self) -> Timestamp {
        Timestamp::MAX
    }
}

/// The start of the window of length `size` that contains `timestamp`, when windows start at
/// `offset + k·size` — Flink's `TimeWindow.getWindowStartWithOffset`, for negative timestamps and
/// offsets too (the start is always at or before the timestamp).
///
/// `None` when `size <= 0` or when that start lies below `i64::MIN`. Wherever Flink's formula
/// does not overflow, the result is the same as Flink's.
#[inline]
pub fn window_start_with_offset(timestamp: Timestamp, offset: i64, size: i64) -> Option<Timestamp> {
    if size <= 0 {
        return None;
    }
    let remainder = match timestamp.checked_sub(offset) {
        Some(shifted) => shifted.rem_euclid(size),
        // Only within |offset| of i64's ends; exact in i128, where nothing overflows.
        None => (i128::from(timestamp) - i128::from(offset)).rem_euclid(i128::from(size)) as i64,
    };
    timestamp.checked_sub(remainder)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flink's `getWindowStartWithOffset`, transliterated with Java's truncating `%`.
    fn flink_window_start(timestamp: i64, offset: i64, size: i64) -> i64 {
        let remainder = (timestamp - offset) % size;
        if remainder < 0 { timestamp - (remainder + size) } else { timestamp - remainder }
    }

    #[test]
    fn max_timestamp_is_the_last_millisecond() {
        assert_eq!(TimeWindow::new(0, 1000).max_timestamp(), 999);
        assert_eq!(TimeWindow::new(-1000, 0).max_timestamp(), -1);
        assert_eq!(TimeWindow::new(i64::MIN, i64::MIN).max_timestamp(), i64::MIN);
        assert_eq!(GlobalWindow.max_timestamp(), i64::MAX);
    }

    #[test]
    fn touching_windows_intersect_and_gapped_ones_do_not() {
        let a = TimeWindow::new(0, 10);
        assert!(a.intersects(&TimeWindow::new(10, 20)));
        assert!(TimeWindow::new(10, 20).intersects(&a));
        assert!(a.intersects(&TimeWindow::new(5, 7)));
        assert!(a.intersects(&TimeWindow::new(-5, 0)));
        assert!(!a.intersects(&TimeWindow::new(11, 20)));
        assert!(!a.intersects(&TimeWindow::new(-5, -1)));
        assert_eq!(a.cover(&TimeWindow::new(15, 20)), TimeWindow::new(0, 20));
        assert_eq!(a.cover(&TimeWindow::new(2, 3)), a);
    }

    #[test]
    fn contains_includes_start_and_excludes_end() {
        let w = TimeWindow::new(-5, 5);
        assert!(w.contains(-5) && w.contains(4));
        assert!(!w.contains(5) && !w.contains(-6));
    }

    #[test]
    fn window_starts_by_hand() {
        // Flink's test cases (TimeWindowTest.testGetWindowStartWithOffset).
        assert_eq!(window_start_with_offset(1, 0, 7), Some(0));
        assert_eq!(window_start_with_offset(7, 0, 7), Some(7));
        assert_eq!(window_start_with_offset(8, 0, 7), Some(7));
        assert_eq!(window_start_with_offset(7, 2, 7), Some(2));
        assert_eq!(window_start_with_offset(8, 2, 7), Some(2));
        assert_eq!(window_start_with_offset(9, 2, 7), Some(9));
        assert_eq!(window_start_with_offset(1, -1, 7), Some(-1));
        assert_eq!(window_start_with_offset(6, -1, 7), Some(6));
        assert_eq!(window_start_with_offset(-1, 0, 7), Some(-7));
        assert_eq!(window_start_with_offset(-7, 0, 7), Some(-7));
        assert_eq!(window_start_with_offset(-8, 0, 7), Some(-14));
        assert_eq!(window_start_with_offset(-3, -1, 7), Some(-8));
        // A day in UTC+8 starts at 16:00 UTC: offset -8 h.
        let day = 86_400_000;
        let hour = 3_600_000;
        assert_eq!(window_start_with_offset(17 * hour, -8 * hour, day), Some(16 * hour));
        assert_eq!(window_start_with_offset(15 * hour, -8 * hour, day), Some(-8 * hour));
    }

    #[test]
    fn agrees_with_flink_wherever_flink_does_not_overflow() {
        for size in [1, 2, 3, 7, 10, 1000] {
            for offset in -(size - 1)..size {
                for ts in -3000..3000 {
                    let ours = window_start_with_offset(ts, offset, size);
                    assert_eq!(ours, Some(flink_window_start(ts, offset, size)), "ts={ts} offset={offset} size={size}");
                }
            }
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        assert_eq!(window_start_with_offset(i64::MIN, 0, 1000), None);
        assert_eq!(window_start_with_offset(i64::MIN, 0, 1), Some(i64::MIN));
        assert_eq!(window_start_with_offset(i64::MIN, 3, 10), None);
        assert_eq!(window_start_with_offset(i64::MIN + 5, 3, 10), Some(i64::MIN + 1));
        assert_eq!(window_start_with_offset(i64::MAX, 0, 1), Some(i64::MAX));
        assert_eq!(window_start_with_offset(i64::MAX, -5, 10), Some(i64::MAX - 2));
        assert_eq!(window_start_with_offset(i64::MAX, i64::MIN, 10), Some(i64::MAX - 5));
        assert_eq!(window_start_with_offset(5, 0, 0), None);
        assert_eq!(window_start_with_offset(5, 0, -3), None);
    }

    #[test]
    fn serde_round_trip() {
        let w = TimeWindow::new(-3, 1_700_000_000_000);
        let bytes = postcard::to_allocvec(&w).expect("encode");
        assert_eq!(postcard::from_bytes::<TimeWindow>(&bytes).expect("decode"), w);
        let bytes = postcard::to_allocvec(&GlobalWindow).expect("encode");
        assert_eq!(postcard::from_bytes::<GlobalWindow>(&bytes).expect("decode"), GlobalWindow);
    }
}
