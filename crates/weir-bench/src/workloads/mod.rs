//! The named workloads: each builds one job on a prepared environment; the driver runs and
//! measures it.
//!
//! | workload | job | measures |
//! |---|---|---|
//! | [`stateless`] | datagen → filter → map → blackhole, one chain | per-record cost of a chain |
//! | [`keyed_count`] | datagen → key_by → count and sum in `ValueState` → blackhole | hash exchange + keyed state |
//! | [`rebalance`] | `stateless` with `.rebalance()` between filter and map | channel hand-over between two chains |
//! | [`slow_sink`] | fast datagen → exchange → sink ~100× slower than the source | that backpressure keeps RSS flat |
//! | [`tumbling`] | event-time datagen → key_by → 1 s tumbling windows, count+sum → blackhole | the window operator, tumbling |
//! | [`sliding`] | the same with 10 s windows sliding by `--slide` (1 s) | sliding windows, and their cost as size/slide grows |
//! | [`session`] | bursty keys → key_by → session windows (500 ms gap), count+sum → blackhole | merging session windows |
//! | [`restore`] | keyed count over `--keys` keys, a savepoint of the running job, a new job restored from it | savepoint time, restore-to-first-record time, savepoint size |
//! | [`recovery`] | the same job in a child process with checkpoints, killed with SIGKILL, restarted from its latest checkpoint in a new process | restart-to-first-record and time to catch up with the killed process |
//! | [`incremental`] | `--keys` keys loaded into RocksDB, then 1 % of them updated per checkpoint interval | what incremental checkpoints upload against the full state, and how long they take |
//! | [`nexmark`] | `nexmark-q0` … `nexmark-q12`: the Nexmark queries on its generator | events/s per core; with `--rate`, end-to-end latency |
//!
//! The three window workloads share their source, [`event_source`] (1,000 events per ms of event
//! time, up to 1 s out of order, bounded-out-of-orderness watermarks), and their aggregate,
//! [`count_sum`].
//!
//! Most workloads are one job ([`Run::Job`]) that the driver runs and measures; the Nexmark
//! queries are one job with a [`Probe`] inside (their latency sink), read by the driver after the
//! run ([`Run::ProbedJob`]); [`restore`] runs two jobs and times steps inside them itself, and
//! [`recovery`] runs its jobs in child processes it kills and restarts ([`Run::Scenario`]).
//!
//! Every source is [`weir_connectors::DataGenSource`] (the Nexmark generator too), bounded to the requested number of events
//! (unbounded in [`restore`] and [`recovery`], whose jobs are stopped by the workload), with records computed by
//! the stable random helpers (so runs are repeatable). A workload is **not** a test: it checks
//! nothing about its output except, in the driver, that the source emitted every event, and, in
//! [`restore`] and [`recovery`], that the restored state holds the counts the first job wrote.
//! Only [`restore`] and [`recovery`] do I/O of their own: they write their savepoints and
//! checkpoints under the system's temporary directory ([`scratch`]) and delete them afterwards,
//! and [`recovery`] starts, reads and kills child processes.

pub mod count_sum;
pub mod event_source;
pub mod incremental;
pub mod keyed_count;
pub mod nexmark;
pub mod rebalance;
pub mod recovery;
pub mod restore;
pub mod scratch;
pub mod session;
pub mod sliding;
pub mod slow_sink;
pub mod stateless;
pub mod tumbling;

use crate::nexmark::latency::LatencyRecorder;
use crate::report::{
    CheckpointFigures, IncrementalFigures, RecoveryFigures, RecoveryPhases, RestoreFigures, SavepointPhases,
};
use std::time::Duration;
use weir_core::config::Configuration;
use weir_runtime::StreamExecutionEnvironment;

/// The seed of every generator, so that all runs see the same records.
pub const SEED: u64 = 0x5745_4952; // "WEIR"

/// `--keys` when not given, for most workloads.
pub const DEFAULT_KEYS: u64 = 10_000;

/// What a workload is asked to build, beyond the environment's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadParams {
    /// Records the source emits in total.
    pub events: u64,
    /// Distinct keys, for keyed workloads.
    pub keys: u64,
    /// The slide of the `sliding` workload's windows.
    pub slide: Duration,
    /// The parallelism the job runs at (the event-time source needs it, see [`event_source`]).
    pub parallelism: usize,
    /// Events per second the source emits in total, for workloads that take a rate (the
    /// Nexmark queries, which then measure latency); `None`: as fast as the job goes.
    pub rate: Option<u64>,
}

impl WorkloadParams {
    /// `events` and `keys` with the defaults for the rest, at parallelism `parallelism`.
    pub fn new(events: u64, keys: u64, parallelism: usize) -> Self {
        WorkloadParams { events, keys, slide: sliding::DEFAULT_SLIDE, parallelism, rate: None }
    }
}

/// One named workload.
#[derive(Debug)]
pub struct Workload {
    pub name: &'static str,
    /// One line for `list`.
    pub description: &'static str,
    /// `--events` when not given: chosen so a run takes a few seconds on a 2-core machine.
    pub default_events: u64,
    /// `--keys` when not given (ignored by workloads without keys).
    pub default_keys: u64,
    /// Whether the driver samples the RSS during the run and prints an `RSS_SAMPLES` line.
    pub samples_rss: bool,
    pub run: Run,
}

/// How a workload is run.
#[derive(Debug, Clone, Copy)]
pub enum Run {
    /// One job: the function adds it to the environment (failing on parameters the job cannot
    /// use); the driver runs it with `env.execute` and measures that.
    Job(fn(&StreamExecutionEnvironment, &WorkloadParams) -> anyhow::Result<()>),
    /// One job, as [`Run::Job`], with a [`Probe`] the function returns: what the job measures
    /// from inside, read by the driver once the job has finished. Such workloads take `--rate`.
    ProbedJob(fn(&StreamExecutionEnvironment, &WorkloadParams) -> anyhow::Result<Probe>),
    /// Several jobs, which the function builds from the driver's configuration, runs and times
    /// itself; the driver measures the process around it.
    Scenario(fn(&Configuration, &WorkloadParams) -> anyhow::Result<ScenarioOutcome>),
}

/// What a [`Run::ProbedJob`] measures from inside its job.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// The latency sink's figures, when the job has one (Nexmark with `--rate`).
    pub latency: Option<LatencyRecorder>,
}

impl Run {
    /// Whether the workload takes `--rate`.
    pub fn takes_rate(&self) -> bool {
        matches!(self, Run::ProbedJob(_))
    }
}

/// What a [`Run::Scenario`] measured: the `RESULT` line's `events` and `seconds` (what they cover
/// is the workload's to document) and its own figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioOutcome {
    pub events: u64,
    pub seconds: f64,
    pub figures: ScenarioFigures,
}

/// A scenario's own figures.
#[derive(Debug, Clone, PartialEq)]
pub enum ScenarioFigures {
    /// [`restore`]: savepoint and restore times, and where the savepoint's time went, if the
    /// job's statistics had it.
    Restore { restore: RestoreFigures, savepoint_phases: Option<SavepointPhases> },
    /// [`recovery`]: restart and catch-up times after a killed process, and their parts.
    Recovery { recovery: RecoveryFigures, phases: RecoveryPhases },
    /// [`incremental`]: what incremental checkpoints upload, and what the measured checkpoints
    /// cost.
    Incremental { incremental: IncrementalFigures, checkpoints: CheckpointFigures },
}

/// Every workload, in the order `list` shows them.
pub const WORKLOADS: &[Workload] = &[
    stateless::WORKLOAD,
    keyed_count::WORKLOAD,
    rebalance::WORKLOAD,
    slow_sink::WORKLOAD,
    tumbling::WORKLOAD,
    sliding::WORKLOAD,
    session::WORKLOAD,
    restore::WORKLOAD,
    recovery::WORKLOAD,
    incremental::WORKLOAD,
    nexmark::Q0,
    nexmark::Q1,
    nexmark::Q2,
    nexmark::Q3,
    nexmark::Q4,
    nexmark::Q5,
    nexmark::Q7,
    nexmark::Q8,
    nexmark::Q11,
    nexmark::Q12,
];

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
        assert!(
            err.contains("'nexmark'")
                && err.contains(
                    "stateless, keyed-count, rebalance, slow-sink, tumbling, sliding, session, restore, recovery"
                )
                && err.contains("nexmark-q0, nexmark-q1, nexmark-q2, nexmark-q3, nexmark-q4, nexmark-q5, nexmark-q7"),
            "{err}"
        );
    }

    /// Every job workload builds a job the runtime accepts and runs to the end (tiny inputs);
    /// the scenarios have their own tests.
    #[test]
    fn every_workload_runs() {
        for w in WORKLOADS {
            for parallelism in [1, 2] {
                let env = StreamExecutionEnvironment::new();
                env.set_config("weir.progress", "false").set_config("taskmanager.numberOfTaskSlots", "2");
                env.set_parallelism(parallelism);
                let params = WorkloadParams::new(10_000, 100, parallelism);
                let built = match w.run {
                    Run::Job(build) => build(&env, &params),
                    Run::ProbedJob(build) => build(&env, &params).map(drop),
                    Run::Scenario(_) => continue,
                };
                built.unwrap_or_else(|e| panic!("{} at p={parallelism}: {e}", w.name));
                let result = env.execute(w.name).unwrap_or_else(|e| panic!("{} at p={parallelism}: {e}", w.name));
                let emitted: u64 =
                    result.operators.iter().filter(|o| o.name.starts_with("Source:")).map(|o| o.records_out).sum();
                assert_eq!(emitted, 10_000, "{}", w.name);
            }
        }
    }

    /// The window workloads fire the windows their docs promise: 1.1 s of event time (1,100,000
    /// events), whose first records are delayed up to 1 s before the start, over 100 keys.
    #[test]
    fn window_workloads_fire_the_expected_windows() {
        // Tumbling: [-1 s, 0), [0, 1 s), [1 s, 2 s) per key. Sliding: the 12 windows starting at
        // -10 s ..= 1 s per key. Session: the 25 keys of group 0 (second 0) and the 25 of group 1
        // (second 1), one session each. The same at P = 2, where each source subtask covers the
        // whole 1.1 s at half the rate.
        for (w, windows) in [(&tumbling::WORKLOAD, 300), (&sliding::WORKLOAD, 1_200), (&session::WORKLOAD, 50)] {
            for parallelism in [1, 2] {
                let env = StreamExecutionEnvironment::new();
                env.set_config("weir.progress", "false").set_config("taskmanager.numberOfTaskSlots", "2");
                env.set_parallelism(parallelism);
                let Run::Job(build) = w.run else { unreachable!("{} is a job workload", w.name) };
                build(&env, &WorkloadParams::new(1_100_000, 100, parallelism)).expect("builds");
                let result = env.execute(w.name).unwrap_or_else(|e| panic!("{} at p={parallelism}: {e}", w.name));
                let fired: u64 =
                    result.operators.iter().filter(|o| o.name.starts_with("Window")).map(|o| o.records_out).sum();
                assert_eq!(fired, windows, "{} at p={parallelism}", w.name);
            }
        }
    }
}
