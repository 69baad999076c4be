//! Idleness: a stream without records for a while stops holding back event time downstream.

use super::{WatermarkGenerator, WatermarkOutput};
use crate::clock::Clock;
use crate::time::Timestamp;
use std::sync::Arc;
use std::time::Duration;

/// Wraps a generator: when no record arrived for `timeout` of processing time, the stream is
/// marked idle (and the inner generator is not asked for watermarks); the next record marks it
/// active again. Like Flink's `WatermarkStrategy#withIdleness`.
#[derive(Debug)]
pub struct WithIdleness<G> {
    inner: G,
    clock: Arc<dyn Clock>,
    timeout: i64,
    last_activity: Timestamp,
    idle: bool,
}

impl<G> WithIdleness<G> {
    pub fn new(inner: G, timeout: Duration, clock: Arc<dyn Clock>) -> Self {
        let last_activity = clock.now_millis();
        WithIdleness {
            inner,
            clock,
            timeout: i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX),
            last_activity,
            idle: false,
        }
    }
}

impl<T, G: WatermarkGenerator<T>> WatermarkGenerator<T> for WithIdleness<G> {
    fn on_event(&mut self, event: &T, timestamp: Timestamp, output: &mut WatermarkOutput) {
        self.last_activity = self.clock.now_millis();
        if self.idle {
            self.idle = false;
            output.mark_active();
        }
        self.inner.on_event(event, timestamp, output);
    }

    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        if self.idle {
            return;
        }
        if self.clock.now_millis().saturating_sub(self.last_activity) >= self.timeout {
            self.idle = true;
            output.mark_idle();
        } else {
            self.inner.on_periodic_emit(output);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Watermark, WatermarkStatus};
    use crate::watermark::BoundedOutOfOrderness;
    use std::sync::atomic::{AtomicI64, Ordering};

    #[derive(Debug, Default)]
    struct Manual(AtomicI64);
    impl Clock for Manual {
        fn now_millis(&self) -> Timestamp {
            self.0.load(Ordering::SeqCst)
        }
        fn monotonic(&self) -> Duration {
            Duration::from_millis(self.now_millis() as u64)
        }
    }

    #[test]
    fn goes_idle_after_the_timeout_and_back_on_the_next_record() {
        let clock = Arc::new(Manual::default());
        let mut g =
            WithIdleness::new(BoundedOutOfOrderness::new(Duration::ZERO), Duration::from_millis(100), clock.clone());
        let mut out = WatermarkOutput::new();
        g.on_event(&(), 10, &mut out);
        WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
        assert_eq!(out.take(), (Some(Watermark(9)), Some(WatermarkStatus::Active)));
        clock.0.store(100, Ordering::SeqCst);
        WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
        assert_eq!(out.take(), (None, Some(WatermarkStatus::Idle)));
        WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
        assert_eq!(out.take(), (None, None), "idle is reported once");
        g.on_event(&(), 20, &mut out);
        assert_eq!(out.take(), (None, Some(WatermarkStatus::Active)));
    }
}
