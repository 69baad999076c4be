//! [`CountAndSum`]: the incremental aggregate of the window workloads, a record count and a sum
//! of values per key and window, emitted as `(key, count, sum)` by [`EmitWithKey`].
//!
//! The accumulator is two `u64`s, so the window operator's own costs (assigning windows,
//! finding the key's state, timers, firing) dominate, as they should in a window benchmark.

use super::event_source::Event;
use weir_runtime::prelude::*;

/// Counts the records of a window and sums their values.
#[derive(Debug, Clone, Copy)]
pub struct CountAndSum;

impl AggregateFunction<Event, (u64, u64), (u64, u64)> for CountAndSum {
    fn create_accumulator(&self) -> (u64, u64) {
        (0, 0)
    }

    #[inline]
    fn add(&self, (count, sum): &mut (u64, u64), &(_, value, _): &Event) {
        *count += 1;
        *sum += value;
    }

    fn merge(&self, (count, sum): &mut (u64, u64), other: &(u64, u64)) {
        *count += other.0;
        *sum += other.1;
    }

    fn get_result(&self, accumulator: &(u64, u64)) -> (u64, u64) {
        *accumulator
    }
}

/// Emits a window's `(count, sum)` with its key, as `(key, count, sum)`.
#[derive(Debug, Clone, Copy)]
pub struct EmitWithKey;

impl<W: Window> ProcessWindowFunction<u64, (u64, u64), (u64, u64, u64), W> for EmitWithKey {
    fn process(
        &mut self,
        key: &u64,
        ctx: &mut WindowContext<'_, u64, W, (u64, u64, u64)>,
        results: Vec<(u64, u64)>,
    ) -> Result<()> {
        for (count, sum) in results {
            ctx.collect((*key, count, sum));
        }
        Ok(())
    }
}

/// The workloads' window pipeline after the assigner: count+sum per key and window, emitted
/// with the key, into a blackhole.
pub fn count_and_sum_into_blackhole<W: Window>(windows: WindowedStream<u64, Event, W>) {
    windows
        .aggregate_with_process(CountAndSum, EmitWithKey)
        .uid("window-count-and-sum")
        .sink_to(weir_connectors::BlackholeSink::new());
}
