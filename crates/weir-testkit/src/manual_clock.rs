//! [`ManualClock`]: a clock that moves only when a test moves it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use weir_core::Timestamp;
use weir_core::clock::Clock;

/// A clock for tests: starts at a given time and advances only through [`ManualClock::advance`]
/// or [`ManualClock::set`]. Clones share the same time, so a test keeps one handle and gives
/// another to the code under test.
#[derive(Debug, Clone)]
pub struct ManualClock {
    /// Milliseconds since the epoch; the monotonic reading is the distance from `start`.
    now: Arc<AtomicI64>,
    start: Timestamp,
}

impl ManualClock {
    /// A clock reading `start_millis` (milliseconds since the epoch).
    pub fn new(start_millis: Timestamp) -> Self {
        ManualClock { now: Arc::new(AtomicI64::new(start_millis)), start: start_millis }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.now.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// Sets the wall-clock time; it may not go below the start, so the monotonic reading never
    /// goes backwards past its origin.
    pub fn set(&self, millis: Timestamp) {
        self.now.store(millis.max(self.start), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> Timestamp {
        self.now.load(Ordering::SeqCst)
    }

    fn monotonic(&self) -> Duration {
        Duration::from_millis((self.now_millis() - self.start).max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_time() {
        let clock = ManualClock::new(1_000);
        let handle = clock.clone();
        handle.advance(Duration::from_millis(250));
        assert_eq!(clock.now_millis(), 1_250);
        assert_eq!(clock.monotonic(), Duration::from_millis(250));
        clock.set(5_000);
        assert_eq!(handle.now_millis(), 5_000);
    }
}
