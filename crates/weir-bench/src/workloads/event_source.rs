//! The event-time source the window workloads share: a datagen of `(key, value, timestamp)`
//! with bounded random out-of-orderness, and its watermark strategy.
//!
//! **Event time.** Event time advances by 1 ms every [`EVENTS_PER_MS`] events (1 M events per
//! second of event time, from 2026-11-21 00:00 UTC). Each record's timestamp is its place in
//! that sequence minus a random delay of 0 to [`MAX_DELAY_MS`] (1 s), uniform, so the stream is
//! out of order by up to 1 s. The watermark strategy is `for_bounded_out_of_orderness(1 s)`:
//! the watermark trails the newest timestamp by 1 s and 1 ms, so no record is ever late and
//! every window sees all of its records. Watermarks are periodic, every
//! `pipeline.auto-watermark-interval` (200 ms by default) of processing time: at ~10 M events/s
//! that is every ~2 s of event time.
//!
//! **Parallel sources.** The datagen cuts a bounded sequence into one contiguous range of
//! indices per subtask. If time followed the index, subtask 1 would start halfway through event
//! time and hold every window open until subtask 0 caught up (a window operator's watermark is
//! the minimum over its inputs). So time follows the index *within its range*: each range starts
//! at the same instant and advances `P` times slower, and together the subtasks still emit
//! [`EVENTS_PER_MS`] events per ms of event time. At P = 1 this is plain `i / EVENTS_PER_MS`.
//!
//! It is **not** a test of window results (nothing checks them) and does no I/O.

use super::{SEED, WorkloadParams};
use weir_connectors::{DataGenSource, DataGenSplit, random_range, random_u64};
use weir_runtime::prelude::*;

/// Events per millisecond of event time, over all source subtasks.
pub const EVENTS_PER_MS: u64 = 1_000;
/// The largest delay of a record's timestamp behind its place in the sequence.
pub const MAX_DELAY_MS: u64 = 1_000;
/// 2026-11-21 00:00:00 UTC in milliseconds since the epoch: where event time starts.
pub const START_MS: i64 = 1_795_219_200_000;

/// A record of the window workloads: `(key, value, event timestamp in ms)`.
pub type Event = (u64, u64, i64);

/// Maps a generator index to its undelayed event time, accounting for the datagen's contiguous
/// split ranges (see the module docs).
#[derive(Debug, Clone)]
pub struct EventClock {
    /// The first index of each split, ascending.
    split_starts: Vec<u64>,
}

impl EventClock {
    /// The clock of a source of `events` records read by `parallelism` subtasks, one split each
    /// (the source must be built with `.with_splits(clock.splits())`).
    pub fn new(events: u64, parallelism: usize) -> Self {
        let splits = (parallelism as u64).clamp(1, events.max(1));
        EventClock { split_starts: (0..splits).map(|id| DataGenSplit::range(id, splits, events).next).collect() }
    }

    /// How many splits the source must be cut into.
    pub fn splits(&self) -> usize {
        self.split_starts.len()
    }

    /// Milliseconds after [`START_MS`] at which index `i` is due, before its random delay.
    #[inline]
    pub fn offset_ms(&self, i: u64) -> u64 {
        let split = self.split_starts.partition_point(|&start| start <= i).saturating_sub(1);
        let local = i - self.split_starts[split];
        local * self.split_starts.len() as u64 / EVENTS_PER_MS
    }

    /// The event timestamp of index `i`: its due time minus a random delay of up to 1 s.
    #[inline]
    pub fn timestamp(&self, i: u64) -> i64 {
        let delay = random_range(SEED ^ 2, i, MAX_DELAY_MS + 1);
        START_MS + self.offset_ms(i) as i64 - delay as i64
    }
}

/// Keys uniform over `0..keys`, values below 1,000, timestamps from [`EventClock`], with the
/// bounded-out-of-orderness (1 s) watermark strategy applied on the source subtasks.
pub fn uniform_events(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> DataStream<Event> {
    let keys = params.keys;
    events(env, params, move |i, _due_ms| random_range(SEED, i, keys))
}

/// Like [`uniform_events`] with the key chosen by `key(index, due_offset_ms)`.
pub fn events<F>(env: &StreamExecutionEnvironment, params: &WorkloadParams, key: F) -> DataStream<Event>
where
    F: Fn(u64, u64) -> u64 + Send + Sync + 'static,
{
    let clock = EventClock::new(params.events, params.parallelism);
    let splits = clock.splits();
    let generate = move |i: u64| (key(i, clock.offset_ms(i)), random_u64(SEED ^ 1, i) % 1_000, clock.timestamp(i));
    env.from_source(DataGenSource::new(generate).with_count(params.events).with_splits(splits), "DataGen")
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(std::time::Duration::from_millis(MAX_DELAY_MS))
                .with_timestamp_assigner(|&(_, _, timestamp): &Event, _| timestamp),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_split_advances_a_millisecond_per_thousand_events() {
        let clock = EventClock::new(10_000, 1);
        assert_eq!(clock.splits(), 1);
        assert_eq!([0, 999, 1_000, 9_999].map(|i| clock.offset_ms(i)), [0, 0, 1, 9]);
    }

    #[test]
    fn every_split_starts_at_the_same_instant() {
        let clock = EventClock::new(10_000, 2);
        assert_eq!(clock.splits(), 2);
        // Split 1 starts at index 5,000; each split runs at half the rate.
        assert_eq!([0, 499, 500, 4_999, 5_000, 5_500, 9_999].map(|i| clock.offset_ms(i)), [0, 0, 1, 9, 0, 1, 9]);
    }

    #[test]
    fn delays_stay_within_the_bound() {
        let clock = EventClock::new(100_000, 1);
        for i in 0..100_000 {
            let behind = START_MS + clock.offset_ms(i) as i64 - clock.timestamp(i);
            assert!((0..=MAX_DELAY_MS as i64).contains(&behind), "index {i} is {behind} ms behind");
        }
        assert_eq!(EventClock::new(3, 8).splits(), 3, "no more splits than events");
    }
}
