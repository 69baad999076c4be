//! `rebalance`: the `stateless` job with `.rebalance()` between filter and map, so the source
//! and filter form one chain, map and blackhole another, and every batch crosses a bounded
//! channel (round-robin over the P map subtasks).
//!
//! Compared with `stateless`, it measures what a chain boundary costs: the hand-over of batches
//! between threads, and the two chains competing for the cores (at P = 2 on two cores, four
//! subtask threads share them).

use super::stateless::{filtered_source, scramble};
use super::{DEFAULT_KEYS, Run, Workload, WorkloadParams};
use weir_connectors::BlackholeSink;
use weir_runtime::StreamExecutionEnvironment;

pub const WORKLOAD: Workload = Workload {
    name: "rebalance",
    description: "stateless with .rebalance() between filter and map: two chains exchanging over channels",
    default_events: 500_000_000,
    default_keys: DEFAULT_KEYS,
    samples_rss: false,
    run: Run::Job(build),
};

fn build(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<()> {
    filtered_source(env, params).rebalance().map(scramble).sink_to(BlackholeSink::new());
    Ok(())
}
