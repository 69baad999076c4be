//! `session`: datagen of `(key, value, timestamp)` where each key is active in bursts →
//! bounded-out-of-orderness (1 s) watermarks → `key_by(key)` → event-time session windows with a
//! 500 ms gap → incremental count and sum per session → `(key, count, sum)` → blackhole.
//!
//! With uniform keys every key would get a record every ~10 ms and its session would never
//! close. So the keys take turns: they are split into [`GROUPS`] groups (`key % 4`), and in each
//! second of event time only one group is active (second `s` → group `s % 4`); a record picks a
//! key uniformly within the active group. At the default 10,000 keys an active key gets a record
//! every ~2.5 ms for one second, then none for three: each burst is one session of ~400 records
//! (stretched by up to 1 s of out-of-orderness at its start), closed by the 500 ms gap, and every
//! key has a session every 4 s. Out-of-order records land before the session's start or after
//! its end, so most records extend the session and exercise the merging of session windows.
//! It measures the merging window operator's per-record path and its firing.

use super::count_sum::count_and_sum_into_blackhole;
use super::event_source::events;
use super::{DEFAULT_KEYS, Run, SEED, Workload, WorkloadParams};
use std::time::Duration;
use weir_connectors::random_range;
use weir_runtime::prelude::*;

/// The inactivity that closes a session.
pub const GAP: Duration = Duration::from_millis(500);
/// How many groups of keys take turns, one active per second of event time.
pub const GROUPS: u64 = 4;

pub const WORKLOAD: Workload = Workload {
    name: "session",
    description: "datagen (key, value, ts), keys active 1 s in 4, <=1 s out of order -> key_by -> session windows \
                  (500 ms gap), count+sum -> blackhole",
    default_events: 15_000_000,
    default_keys: DEFAULT_KEYS,
    samples_rss: false,
    run: Run::Job(build),
};

fn build(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<()> {
    let keys = params.keys;
    let windows = events(env, params, move |i, due_ms| bursty_key(i, due_ms, keys))
        .key_by(|&(key, _, _): &(u64, u64, i64)| key)
        .window(SessionWindows::event_time(GAP)?);
    count_and_sum_into_blackhole(windows);
    Ok(())
}

/// A key of the group active at `due_ms` (`due_ms / 1000 % groups`), uniform within the group.
fn bursty_key(i: u64, due_ms: u64, keys: u64) -> u64 {
    let groups = GROUPS.min(keys).max(1);
    let group = due_ms / 1_000 % groups;
    let in_group = (keys - group).div_ceil(groups);
    group + groups * random_range(SEED, i, in_group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_group_of_keys_is_active_per_second() {
        for keys in [1, 3, 4, 10, 10_000] {
            for (i, due_ms) in [(0, 0), (1, 999), (2, 1_000), (3, 2_500), (4, 3_999), (5, 4_000), (6, 7_123)] {
                let key = bursty_key(i, due_ms, keys);
                let groups = GROUPS.min(keys);
                assert!(key < keys, "key {key} of {keys}");
                assert_eq!(key % groups, due_ms / 1_000 % groups, "keys {keys}, due {due_ms}");
            }
        }
    }
}
