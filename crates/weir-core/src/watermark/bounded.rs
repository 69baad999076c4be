//! Periodic watermarks for timestamps that arrive out of order by at most a bound.

use super::{WatermarkGenerator, WatermarkOutput};
use crate::time::{Timestamp, Watermark};
use std::time::Duration;

/// Emits `max timestamp seen − bound − 1` periodically, as Flink's
/// `BoundedOutOfOrdernessWatermarks`: a record may be at most `bound` older than the newest one
/// seen before it is late. With a bound of zero this is Flink's monotonous-timestamps generator.
#[derive(Debug, Clone)]
pub struct BoundedOutOfOrderness {
    bound: i64,
    max_timestamp: Option<Timestamp>,
}

impl BoundedOutOfOrderness {
    pub fn new(bound: Duration) -> Self {
        BoundedOutOfOrderness { bound: i64::try_from(bound.as_millis()).unwrap_or(i64::MAX), max_timestamp: None }
    }

    /// The watermark the generator would emit now, if it saw any timestamp.
    pub fn current(&self) -> Option<Watermark> {
        self.max_timestamp.map(|max| Watermark(max.saturating_sub(self.bound).saturating_sub(1)))
    }
}

impl<T> WatermarkGenerator<T> for BoundedOutOfOrderness {
    fn on_event(&mut self, _event: &T, timestamp: Timestamp, _output: &mut WatermarkOutput) {
        self.max_timestamp = Some(self.max_timestamp.map_or(timestamp, |m| m.max(timestamp)));
    }

    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        if let Some(watermark) = self.current() {
            output.emit_watermark(watermark);
        }
    }
}

/// Emits no watermarks (a stream in processing time, or one whose event time does not matter).
#[derive(Debug, Clone, Default)]
pub struct NoWatermarks;

impl<T> WatermarkGenerator<T> for NoWatermarks {
    fn on_event(&mut self, _event: &T, _timestamp: Timestamp, _output: &mut WatermarkOutput) {}
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lags_the_maximum_by_the_bound_plus_one() {
        let mut g = BoundedOutOfOrderness::new(Duration::from_millis(1000));
        let mut out = WatermarkOutput::new();
        WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
        assert_eq!(out.take(), (None, None), "nothing seen, nothing emitted");
        for ts in [5_000, 7_000, 6_000] {
            g.on_event(&(), ts, &mut out);
        }
        WatermarkGenerator::<()>::on_periodic_emit(&mut g, &mut out);
        assert_eq!(out.take().0, Some(Watermark(5_999)));
    }

    #[test]
    fn extreme_timestamps_saturate() {
        let mut g = BoundedOutOfOrderness::new(Duration::from_millis(10));
        let mut out = WatermarkOutput::new();
        g.on_event(&(), i64::MIN, &mut out);
        assert_eq!(g.current(), Some(Watermark(i64::MIN)));
    }
}
