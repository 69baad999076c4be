//! `sliding`: the `tumbling` job with 10 s windows sliding by 1 s (`--slide <ms>` to vary the
//! slide), so every record belongs to `10 s / slide` windows.
//!
//! Issue 3 asks that an incremental aggregate over sliding windows not cost `size / slide`
//! updates per record, so that throughput stays within 2× from slide = size/2 to size/60 (run it
//! with `--slide 5000` and `--slide 167`). Slices are cut at window starts and ends (two per
//! slide when the slide does not divide the size, as 167 ms), and a firing combines O(1) cached
//! partial aggregates. What still grows with `size / slide` is the number of firings (each key
//! emits a window every slide) and each key's state (one slice per boundary of its window), which
//! at 10,000 keys no longer fits the CPU caches at small slides.

use super::count_sum::count_and_sum_into_blackhole;
use super::event_source::uniform_events;
use super::{DEFAULT_KEYS, Run, Workload, WorkloadParams};
use std::time::Duration;
use weir_runtime::prelude::*;

/// The window length.
pub const SIZE: Duration = Duration::from_secs(10);
/// The slide when `--slide` is not given.
pub const DEFAULT_SLIDE: Duration = Duration::from_secs(1);

pub const WORKLOAD: Workload = Workload {
    name: "sliding",
    description: "tumbling's source -> key_by -> 10 s event-time windows sliding by 1 s (--slide <ms>), count+sum \
                  -> blackhole",
    default_events: 30_000_000,
    default_keys: DEFAULT_KEYS,
    samples_rss: false,
    run: Run::Job(build),
};

fn build(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<()> {
    let windows = uniform_events(env, params)
        .key_by(|&(key, _, _): &(u64, u64, i64)| key)
        .window(SlidingWindows::event_time(SIZE, params.slide)?);
    count_and_sum_into_blackhole(windows);
    Ok(())
}
