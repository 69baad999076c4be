//! The Nexmark source: [`NexmarkGenerator`] behind a [`DataGenSource`], with event-time
//! timestamps and the watermarks of Flink's Nexmark tables.
//!
//! Watermarks are generated per split (`from_source_with_watermarks`): each timeline is in
//! order, so its watermark never passes one of its events, and a source subtask's watermark is
//! the minimum over its splits, so a subtask reading several timelines (fewer subtasks than
//! splits, or after a restore at a lower parallelism) makes none of their events late however
//! far one runs ahead of another within a poll.
//!
//! Because the generator is a pure function of the index, the datagen's splits (one per
//! timeline, positions included) are the whole state of the source: checkpoints and savepoints
//! resume it where it stopped without anything Nexmark-specific. The source is bounded to
//! `config.events`; with a rate limit it emits that many events per second in total, which is
//! also what a rate-limited run sets as the event-time rate (see [`latency`](super::latency)).

use super::config::NexmarkConfig;
use super::generator::NexmarkGenerator;
use super::model::Event;
use std::time::Duration;
use weir_connectors::DataGenSource;
use weir_runtime::prelude::*;

/// How far the watermark trails the newest event time: Flink's Nexmark tables declare
/// `WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND`. Each of the generator's timelines
/// is in order and has its own watermark, so no event is ever late.
pub const WATERMARK_DELAY: Duration = Duration::from_secs(4);

/// The events of `config` as a stream with timestamps and watermarks, emitting at most
/// `rate_limit` events per second in total if given.
pub fn nexmark_events(
    env: &StreamExecutionEnvironment,
    config: &NexmarkConfig,
    rate_limit: Option<u64>,
) -> DataStream<Event> {
    let generator = NexmarkGenerator::new(config.clone());
    let splits = generator.splits();
    let mut source = DataGenSource::new(move |i| generator.event(i)).with_count(config.events).with_splits(splits);
    if let Some(rate) = rate_limit {
        source = source.with_rate_limit(rate as f64);
    }
    env.from_source_with_watermarks(
        source,
        WatermarkStrategy::for_bounded_out_of_orderness(WATERMARK_DELAY)
            .with_timestamp_assigner(|event: &Event, _| event.date_time()),
        "Nexmark",
    )
}
