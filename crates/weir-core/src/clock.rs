//! Clocks: where "now" comes from, injectable so that logic depending on time (processing-time
//! timers, checkpoint intervals and timeouts) is tested by stepping a manual clock, never by
//! sleeping.

use crate::time::Timestamp;
use std::fmt::Debug;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// Wall-clock time in milliseconds since the epoch (processing time).
    fn now_millis(&self) -> Timestamp;

    /// Monotonic time since an arbitrary fixed origin, for measuring intervals and timeouts
    /// (never goes backwards, unlike the wall clock).
    fn monotonic(&self) -> Duration;
}

/// The machine's clocks.
#[derive(Debug, Clone)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock { origin: Instant::now() }
    }
}

impl Clock for SystemClock {
    fn now_millis(&self) -> Timestamp {
        // A clock set before 1970 reads as the epoch rather than failing.
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as Timestamp)
    }

    fn monotonic(&self) -> Duration {
        self.origin.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_is_after_2020_and_monotonic() {
        let clock = SystemClock::default();
        assert!(clock.now_millis() > 1_577_836_800_000);
        let a = clock.monotonic();
        assert!(clock.monotonic() >= a);
    }
}
