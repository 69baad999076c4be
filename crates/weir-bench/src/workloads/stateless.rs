//! `stateless`: datagen of `u64` → filter → map → blackhole, all in one chain at parallelism P.
//!
//! The cheapest job weir can run: no exchange, no state. What it measures is the fixed cost per
//! record and per batch of a chain (source polling, type-erased hand-over between operators,
//! metrics). The filter keeps 15 of 16 records, the map is a few arithmetic instructions, and
//! the blackhole drops whole batches, so the engine's overhead dominates.

use super::{DEFAULT_KEYS, Run, SEED, Workload, WorkloadParams};
use weir_connectors::{BlackholeSink, DataGenSource, random_u64};
use weir_runtime::{DataStream, StreamExecutionEnvironment};

pub const WORKLOAD: Workload = Workload {
    name: "stateless",
    description: "datagen (u64) -> filter -> map -> blackhole, one chain per subtask",
    default_events: 1_000_000_000,
    default_keys: DEFAULT_KEYS,
    samples_rss: false,
    run: Run::Job(build),
};

fn build(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<()> {
    filtered_source(env, params).map(scramble).sink_to(BlackholeSink::new());
    Ok(())
}

/// The source and the filter, shared with `rebalance`.
pub(super) fn filtered_source(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> DataStream<u64> {
    env.from_source(DataGenSource::new(|i| random_u64(SEED, i)).with_count(params.events), "DataGen")
        .filter(|v| v % 16 != 0)
}

/// The map: a cheap, non-trivial function the compiler cannot remove.
pub(super) fn scramble(v: u64) -> u64 {
    (v ^ (v >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9)
}
