//! Helpers shared by the integration tests.

#![allow(dead_code)]

use weir_core::watermark::{WatermarkGenerator, WatermarkOutput};
use weir_runtime::prelude::*;

/// A punctuated generator: after every record, the watermark trails the highest timestamp by
/// `bound` — deterministic in a job, unlike periodic emission.
pub struct Punctuated {
    bound: i64,
    max: Option<i64>,
}

impl Punctuated {
    pub fn new(bound: i64) -> Self {
        Punctuated { bound, max: None }
    }
}

impl<T> WatermarkGenerator<T> for Punctuated {
    fn on_event(&mut self, _event: &T, timestamp: Timestamp, output: &mut WatermarkOutput) {
        let max = self.max.map_or(timestamp, |m| m.max(timestamp));
        self.max = Some(max);
        output.emit_watermark(Watermark(max.saturating_sub(self.bound).saturating_sub(1)));
    }
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}

/// An environment at parallelism `p`, enough slots, no progress output.
pub fn env(parallelism: usize) -> StreamExecutionEnvironment {
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(parallelism)
        .set_config("taskmanager.numberOfTaskSlots", "4")
        .set_config("weir.progress", "false");
    env
}

/// `(key, timestamp)` events with punctuated watermarks trailing by `bound`, keyed by key.
pub fn keyed_events(
    env: &StreamExecutionEnvironment,
    events: Vec<(String, i64)>,
    bound: i64,
) -> KeyedStream<String, (String, i64)> {
    env.from_collection(events)
        .set_parallelism(1)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(move || Punctuated::new(bound))
                .with_timestamp_assigner(|(_, ts): &(String, i64), _| *ts),
        )
        .set_parallelism(1)
        .key_by(|(k, _): &(String, i64)| k.clone())
}

pub fn events(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(k, t)| (k.to_string(), *t)).collect()
}
