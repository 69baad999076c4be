//! End-to-end latency of a Nexmark query: [`LatencySink`] measures it for every output record,
//! [`LatencyRecorder`] collects the subtasks' histograms, [`LatencySummary`] is what is reported.
//!
//! ## Definition
//!
//! A latency run is rate-limited (`--rate R`): the source emits `R` events per second in total
//! and event time advances `R` events per second too, starting at the [`LatencyRecorder`]'s
//! origin, the wall-clock time read when the job is built. So an event's timestamp *is* the
//! wall-clock time at which the source is due to create it (Nexmark's rate-limited mode, where an
//! event is emitted when its event time comes). The latency of an output record is
//!
//! ```text
//! latency = wall-clock time when the sink receives it − the wall-clock time its timestamp names
//! ```
//!
//! and the timestamp of an output is the one weir gives it:
//!
//! - a record derived from one event (q0, q1, q2, and q3's join results) carries that event's
//!   timestamp: latency from the event's creation to the sink;
//! - a window result carries its window's last timestamp (`end − 1`): latency from the moment
//!   the window's last possible event was created, so it includes the 4 s watermark delay and
//!   up to one watermark interval (200 ms), which are what a window waits for by definition;
//! - a timer's output carries the timer's time (q4's auction close at `expires`, q5's and q8's
//!   window ends), likewise;
//! - a processing-time window (q12) carries its end in processing time, which is wall-clock
//!   time: latency from the window's end to the sink.
//!
//! Measuring against the *due* time, not the time the source actually emitted the event, means a
//! source that falls behind its schedule (because the job cannot keep up) shows as latency, as it
//! should. The sink's clock is monotonic time since the origin added to the origin's wall-clock
//! reading, so a step of the system clock during the run does not show as latency. It is read
//! once per batch the sink receives.
//!
//! Resolution: timestamps are whole milliseconds (the origin is rounded down to one), and the
//! source's rate limiter hands out its first millisecond of events at once, so events leave the
//! source up to about 1 ms before or after their exact due time; and the time from building the
//! job to the source's first poll (1–4 ms here) is in every figure. So figures of a few ms (q0–q3)
//! are good to about ±2 ms, which shows as their spread between runs. An output that arrives less
//! than 1 ms before its due time is counted as latency 0. One that arrives earlier is a window
//! fired early by the end of the input (the final watermark, q12's end-of-input trigger): it is
//! counted as `early` and left out of the percentiles.
//!
//! It is **not** a tracer: it does not follow records through the job, only compares the sink's
//! clock with the timestamps. Its only I/O is reading the system clock.

use super::histogram::Histogram;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use weir_core::Result;
use weir_core::operator::OperatorContext;
use weir_core::record::Batch;
use weir_core::sink::{Sink, SinkWriter};

/// How early an output may arrive and still count as on time (latency 0): the resolution.
const RESOLUTION_US: i64 = 1_000;

/// Where a latency run's time starts, and the sink's clock.
#[derive(Debug, Clone, Copy)]
struct Origin {
    /// The wall-clock reading at the origin, microseconds since the epoch.
    wall_us: i64,
    /// The monotonic clock at the same moment.
    instant: Instant,
}

impl Origin {
    fn now() -> Self {
        let wall_us = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64);
        Origin { wall_us, instant: Instant::now() }
    }

    /// Wall-clock microseconds since the epoch, advanced by the monotonic clock since the origin.
    fn now_micros(&self) -> i64 {
        self.wall_us + self.instant.elapsed().as_micros() as i64
    }
}

/// What the sink subtasks measured, merged as each one finishes, and the origin of the run's
/// time. Clones share both.
#[derive(Debug, Clone)]
pub struct LatencyRecorder {
    origin: Origin,
    merged: Arc<Mutex<Measured>>,
}

#[derive(Debug, Clone, Default)]
struct Measured {
    /// Latencies in microseconds.
    histogram: Histogram,
    /// Records that arrived more than the resolution before their due time.
    early: u64,
    /// Records without a timestamp (none of the queries emits such).
    untimed: u64,
}

/// The figures of one latency run, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// Output records measured.
    pub samples: u64,
    /// Output records that arrived more than 1 ms before their due time (not in the
    /// percentiles).
    pub early: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl LatencyRecorder {
    /// A recorder whose origin is now.
    pub fn new() -> Self {
        LatencyRecorder { origin: Origin::now(), merged: Arc::default() }
    }

    /// The origin in milliseconds since the epoch (rounded down): the base time of the run's
    /// event time.
    pub fn origin_millis(&self) -> i64 {
        self.origin.wall_us / 1_000
    }

    /// The sink that records into this recorder.
    pub fn sink(&self) -> LatencySink {
        LatencySink { recorder: self.clone() }
    }

    /// The figures so far (complete once the job has finished).
    pub fn summary(&self) -> LatencySummary {
        let measured = self.merged.lock().unwrap_or_else(PoisonError::into_inner);
        let ms = |us: Option<u64>| us.unwrap_or(0) as f64 / 1_000.0;
        LatencySummary {
            samples: measured.histogram.len(),
            early: measured.early + measured.untimed,
            p50_ms: ms(measured.histogram.quantile(0.50)),
            p99_ms: ms(measured.histogram.quantile(0.99)),
            max_ms: ms(Some(measured.histogram.max())),
        }
    }

    fn merge(&self, local: &Measured) {
        let mut merged = self.merged.lock().unwrap_or_else(PoisonError::into_inner);
        merged.histogram.merge(&local.histogram);
        merged.early += local.early;
        merged.untimed += local.untimed;
    }
}

/// A sink that drops its records after measuring their latency (see the module docs).
#[derive(Debug, Clone)]
pub struct LatencySink {
    recorder: LatencyRecorder,
}

impl<T: Send + 'static> Sink<T> for LatencySink {
    fn name(&self) -> &str {
        "Latency"
    }

    fn create_writer(&self, _ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<T>>> {
        Ok(Box::new(LatencyWriter {
            origin: self.recorder.origin,
            measured: Measured::default(),
            recorder: self.recorder.clone(),
        }))
    }
}

struct LatencyWriter {
    origin: Origin,
    measured: Measured,
    recorder: LatencyRecorder,
}

impl<T: Send> SinkWriter<T> for LatencyWriter {
    fn write_batch(&mut self, batch: Batch<T>) -> Result<()> {
        let now_us = self.origin.now_micros();
        for record in &batch {
            match record.timestamp {
                Some(due_ms) => match now_us.saturating_sub(due_ms.saturating_mul(1_000)) {
                    latency if latency >= 0 => self.measured.histogram.record(latency as u64),
                    latency if latency > -RESOLUTION_US => self.measured.histogram.record(0),
                    _ => self.measured.early += 1,
                },
                None => self.measured.untimed += 1,
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        self.recorder.merge(&self.measured);
        self.measured = Measured::default();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_core::ids::OperatorUid;
    use weir_core::record::Record;

    #[test]
    fn latency_is_the_sink_clock_minus_the_due_time() {
        let recorder = LatencyRecorder::new();
        let sink = recorder.sink();
        let ctx = OperatorContext::new("Sink: Latency", OperatorUid("sink".into()), 0, 1, 128);
        let mut writer = Sink::<u32>::create_writer(&sink, &ctx).expect("writer");
        let now = recorder.origin_millis();
        writer
            .write_batch(vec![
                Record::with_timestamp(1, now - 250),
                Record::with_timestamp(2, now - 10),
                Record::with_timestamp(3, now - 10),
                Record::with_timestamp(4, now + 1), // within the resolution: latency 0
                Record::with_timestamp(5, now + 60_000), // fired early: not measured
                Record::new(6),
            ])
            .expect("write");
        writer.finish().expect("finish");
        let summary = recorder.summary();
        assert_eq!((summary.samples, summary.early), (4, 2));
        assert!((10.0..20.0).contains(&summary.p50_ms), "{summary:?}");
        assert!((250.0..270.0).contains(&summary.p99_ms) && summary.max_ms >= 250.0, "{summary:?}");
    }
}
