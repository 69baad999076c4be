//! `slow-sink`: the memory-boundedness check. A fast datagen feeds, across a channel, a sink
//! that spends about 100× the source's per-record work on every record; the driver samples the
//! process RSS while it runs.
//!
//! The source could emit its whole input in a fraction of the run. With bounded channels
//! (DESIGN §4) it cannot: once the channel to the sink holds
//! `taskmanager.network.memory.buffers-per-channel` batches, the source blocks, and the RSS
//! stays flat for the rest of the run. An unbounded queue would instead grow by about 80 bytes
//! per record (a 64-byte [`Reading`] plus its timestamp) until the sink caught up — hundreds of
//! MiB at the default input. The `.rebalance()` before the sink is what puts a channel there; a
//! chained sink would simply be called by the source, with no queue to fill.
//!
//! The slowness is work, not sleep: [`SlowSink`] runs [`SINK_ROUNDS`] dependent rounds of
//! SplitMix64 per record, about 100× what the source spends on one (on the reference machine of
//! `BENCHMARKS.md`: the source alone, chained into a blackhole, makes a record in ~2 ns; the sink
//! takes ~200 ns). Work scales with the CPU, so the ratio roughly holds on other machines.

use super::{DEFAULT_KEYS, Run, SEED, Workload, WorkloadParams};
use serde::{Deserialize, Serialize};
use weir_connectors::{DataGenSource, random_u64};
use weir_core::Result;
use weir_core::operator::OperatorContext;
use weir_core::record::Batch;
use weir_core::sink::{Sink, SinkWriter};
use weir_runtime::StreamExecutionEnvironment;

/// Dependent SplitMix64 rounds the sink spends per record (the source computes one, plus a
/// 64-byte write).
pub const SINK_ROUNDS: u64 = 50;

pub const WORKLOAD: Workload = Workload {
    name: "slow-sink",
    description: "fast datagen -> channel -> sink ~100x slower than the source; samples RSS to show it stays flat",
    default_events: 20_000_000,
    default_keys: DEFAULT_KEYS,
    samples_rss: true,
    run: Run::Job(build),
};

fn build(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<()> {
    env.from_source(DataGenSource::new(Reading::generate).with_count(params.events), "DataGen")
        .rebalance()
        .sink_to(SlowSink);
    Ok(())
}

/// A 64-byte record, so that records piling up anywhere would show in the RSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    pub sequence: u64,
    pub values: [u64; 7],
}

impl Reading {
    /// The source's per-record work: one SplitMix64 round.
    fn generate(i: u64) -> Self {
        Reading { sequence: i, values: [random_u64(SEED, i); 7] }
    }
}

/// A sink that burns [`SINK_ROUNDS`] SplitMix64 rounds per record, then drops it.
#[derive(Debug, Clone, Copy)]
pub struct SlowSink;

impl Sink<Reading> for SlowSink {
    fn name(&self) -> &str {
        "SlowSink"
    }

    fn create_writer(&self, _ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<Reading>>> {
        Ok(Box::new(SlowSinkWriter { checksum: 0 }))
    }
}

struct SlowSinkWriter {
    /// Keeps the burnt work observable, so the compiler cannot remove it.
    checksum: u64,
}

impl SinkWriter<Reading> for SlowSinkWriter {
    fn write_batch(&mut self, batch: Batch<Reading>) -> Result<()> {
        for record in batch {
            let mut x = record.value.values[0];
            for round in 0..SINK_ROUNDS {
                x = random_u64(x, round);
            }
            self.checksum ^= std::hint::black_box(x);
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        std::hint::black_box(self.checksum);
        Ok(())
    }
}
