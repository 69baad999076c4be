//! `tumbling`: datagen of `(key, value, timestamp)` with up to 1 s of random out-of-orderness →
//! bounded-out-of-orderness (1 s) watermarks → `key_by(key)` → 1 s tumbling event-time windows
//! → incremental count and sum per key and window → `(key, count, sum)` → blackhole.
//!
//! Keys are uniform over `0..keys` (`--keys`, default 10,000); event time advances 1 ms per
//! 1,000 events ([`event_source`](super::event_source)), so a key gets ~100 records per window
//! and every second of event time fires ~10,000 windows. It measures the window operator's
//! per-record path (window assignment, the key's state, the accumulator update) plus firing on
//! watermarks, on top of what `keyed-count` measures (the hash exchange: the source chain and
//! the window chain run on two threads even at P = 1).

use super::count_sum::count_and_sum_into_blackhole;
use super::event_source::uniform_events;
use super::{DEFAULT_KEYS, Run, Workload, WorkloadParams};
use std::time::Duration;
use weir_runtime::prelude::*;

/// The window length.
pub const SIZE: Duration = Duration::from_secs(1);

pub const WORKLOAD: Workload = Workload {
    name: "tumbling",
    description: "datagen (key, value, ts), <=1 s out of order -> key_by -> 1 s tumbling event-time windows, \
                  count+sum -> blackhole",
    default_events: 30_000_000,
    default_keys: DEFAULT_KEYS,
    samples_rss: false,
    run: Run::Job(build),
};

fn build(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<()> {
    let windows = uniform_events(env, params)
        .key_by(|&(key, _, _): &(u64, u64, i64)| key)
        .window(TumblingWindows::event_time(SIZE)?);
    count_and_sum_into_blackhole(windows);
    Ok(())
}
