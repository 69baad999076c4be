//! The named workloads: each builds one job on a prepared environment; the driver runs and
//! measures it.
//!
//! | workload | job | measures |
//! |---|---|---|
//! | [`stateless`] | datagen → filter → map → blackhole, one chain | per-record cost of a chain |
//! | [`keyed_count`] | datagen → key_by → count and sum in `ValueState` → blackhole | hash exchange + keyed state |
//! | [`rebalance`] | `stateless` with `.rebalance()` between filter and map | channel hand-over between two chains |
//! | [`slow_sink`] | fast datagen → exchange → sink ~100× slower than the source | that backpressure keeps RSS flat |
//!
//! Every source is [`weir_connectors::DataGenSource`], bounded to the requested number of events,
//! with records computed by the stable random helpers (so runs are repeatable). A workload is
//! **not** a test: it checks nothing about its output except, in the driver, that the source
//! emitted every event. It does no I/O of its own.

pub mod keyed_count;
pub mod rebalance;
pub mod slow_sink;
pub mod stateless;

use weir_runtime::StreamExecutionEnvironment;

/// The seed of every generator, so that all runs see the same records.
pub const SEED: u64 = 0x5745_4952; // "WEIR"

/// What a workload is asked to build, beyond the environment's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadParams {
    /// Records the source emits in total.
    pub events: u64,
    /// Distinct keys, for keyed workloads.
    pub keys: u64,
}

/// One named workload.
#[derive(Debug)]
pub struct Workload {
    pub name: &'static str,
    /// One line for `list`.
    pub description: &'static str,
    /// `--events` when not given: chosen so a run takes a few seconds on a 2-core machine.
    pub default_events: u64,
    /// Whether the driver samples the RSS during the run and prints an `RSS_SAMPLES` line.
    pub samples_rss: bool,
    /// Adds the job to the environment.
    pub build: fn(&StreamExecutionEnvironment, &WorkloadParams),
}

/// Every workload, in the order `list` shows them.
pub const WORKLOADS: &[Workload] =
    &[stateless::WORKLOAD, keyed_count::WORKLOAD, rebalance::WORKLOAD, slow_sink::WORKLOAD];

/// The workload called `name`; the error lists the valid names.
pub fn find(name: &str) -> Result<&'static Workload, String> {
    WORKLOADS.iter().find(|w| w.name == name).ok_or_else(|| {
        let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
        format!("unknown workload '{name}'; the workloads are: {} (see `weir-bench list`)", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for w in WORKLOADS {
            assert_eq!(find(w.name).map(|found| found.name), Ok(w.name));
            assert!(w.default_events > 0);
        }
        let err = find("nexmark").expect_err("unknown");
        assert!(err.contains("'nexmark'") && err.contains("stateless, keyed-count, rebalance, slow-sink"), "{err}");
    }

    /// Every workload builds a job the runtime accepts and runs to the end (tiny inputs).
    #[test]
    fn every_workload_runs() {
        for w in WORKLOADS {
            for parallelism in [1, 2] {
                let env = StreamExecutionEnvironment::new();
                env.set_config("weir.progress", "false").set_config("taskmanager.numberOfTaskSlots", "2");
                env.set_parallelism(parallelism);
                (w.build)(&env, &WorkloadParams { events: 10_000, keys: 100 });
                let result = env.execute(w.name).unwrap_or_else(|e| panic!("{} at p={parallelism}: {e}", w.name));
                let emitted: u64 =
                    result.operators.iter().filter(|o| o.name.starts_with("Source:")).map(|o| o.records_out).sum();
                assert_eq!(emitted, 10_000, "{}", w.name);
            }
        }
    }
}
