//! `restore`: what a savepoint of a job holding a lot of keyed state costs, and how long a new
//! job takes to get going from it (heap state, the only backend weir has).
//!
//! Two jobs, the same each time: datagen of `(key, index)` with `key = index % keys` (one source
//! subtask, unbounded) → `key_by(key)` → a keyed function keeping a running count and sum per
//! key in one `ValueState<(u64, u64)>`, as `keyed-count` does, emitting `(key, count, sum)` →
//! blackhole. The run:
//!
//! 1. **Load.** The first job runs until its keyed function has processed `--events` records
//!    (default and minimum: `--keys`, 2,000,000 by default), so every key holds state.
//!    `seconds` and `events_per_s` of the `RESULT` line are this phase: submission to the
//!    `--events`-th record processed.
//! 2. **Savepoint** (`savepoint_ms`). With the job still running at full speed, the workload
//!    calls `JobClient::trigger_savepoint` and waits for `SavepointStatus::Completed`: the wall
//!    time from the call to the status. `state_bytes` is the total size of the files in the
//!    savepoint's directory. A second line, `SAVEPOINT_PHASES`, splits the savepoint's time as
//!    the job's checkpoint statistics do (alignment, synchronous and asynchronous parts). Then
//!    the job is cancelled and waited for.
//! 3. **Restore** (`restore_ms`). A second job, built the same way, is submitted with
//!    `execution.savepoint.path` set to the savepoint: the wall time from the `execute_async`
//!    call to the moment the keyed function has processed its first record.
//!
//! How the first record is observed: the keyed function itself, after it has read and updated
//! the record's state, takes `Instant::now()` and sends it over a channel (only for the first
//! record; one relaxed atomic increment per record finds it). The driver waits on the channel,
//! but the time is the function's, so the driver's wake-up is not measured. Marking the record
//! *after* its state access matters: the heap backend keeps restored state serialized until a
//! descriptor first names it, so the first access decodes every key of the subtask. Marking the
//! record on entry would leave that decode out; marking a sink would add a channel hop.
//!
//! The restored state is checked, so that an empty restore cannot pass for a fast one. With one
//! source subtask the keyed function sees every key's records in index order, so before record
//! `i` its key must have counted exactly `i / keys` records: the function checks that for every
//! record and fails the job (restarts are off) if not. For the restored job's first record the
//! workload also checks ([`check_restored`]) that it did not start from the beginning (its index
//! is at least `--events`, so the count it found is at least 1) and that the sum it found is
//! that of the values before it.
//!
//! Configuration the workload sets unless `-D` sets it: `execution.checkpointing.interval=1h`
//! (checkpointing must be on for savepoints; the savepoint is the only snapshot taken),
//! `restart-strategy.type=none`, and `state.checkpoints.dir` under a scratch directory. The
//! savepoint is written to that scratch directory (in the system's temporary directory),
//! which is deleted at the end. `cpu_s` and `peak_rss_mb` cover the whole run, both jobs.
//!
//! It is **not** a restore-equivalence test (`weir-runtime/tests/restore_from_path.rs` is), and
//! it does not measure a restored job's throughput.

use super::scratch::Scratch;
use super::{Run, ScenarioFigures, ScenarioOutcome, Workload, WorkloadParams};
use crate::report::{RestoreFigures, SavepointPhases};
use anyhow::{Context, bail, ensure};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};
use weir_connectors::{BlackholeSink, DataGenSource, random_u64};
use weir_core::config::Configuration;
use weir_runtime::SavepointStatus;
use weir_runtime::prelude::*;

pub const WORKLOAD: Workload = Workload {
    name: "restore",
    description: "keyed count over --keys keys, savepoint of the running job, new job restored from it: savepoint and restore times",
    default_events: 2_000_000,
    default_keys: 2_000_000,
    samples_rss: false,
    run: Run::Scenario(run),
};

/// How long any one phase may take before the run gives up: far beyond any useful figure.
const PATIENCE: Duration = Duration::from_secs(600);

/// Configuration set unless `-D` set it: see the module docs.
const DEFAULTS: &[(&str, &str)] = &[("execution.checkpointing.interval", "1h"), ("restart-strategy.type", "none")];

/// The seed of the values summed per key.
const VALUE_SEED: u64 = super::SEED ^ 1;

fn run(conf: &Configuration, params: &WorkloadParams) -> anyhow::Result<ScenarioOutcome> {
    ensure!(
        params.events >= params.keys,
        "restore loads every key at least once: --events ({}) must be at least --keys ({}); give --events {}",
        params.events,
        params.keys,
        params.keys
    );
    let scratch = Scratch::create("restore")?;
    let mut conf = conf.clone();
    for (key, value) in DEFAULTS {
        if conf.get_raw(key).is_none() {
            conf.set(*key, *value);
        }
    }
    if conf.get_raw("state.checkpoints.dir").is_none() {
        conf.set("state.checkpoints.dir", scratch.path.join("checkpoints").display().to_string());
    }

    // 1. Load every key.
    let (progress, reached) = Progress::new(params.events);
    let env = StreamExecutionEnvironment::with_config(conf.clone());
    build(&env, params.keys, progress);
    let submitted = Instant::now();
    let client = env.execute_async("weir-bench restore: load").context("submitting the load job")?;
    let loaded = wait_for(&reached, &client, "the load job processed --events records")?;
    let load_time = loaded.at.saturating_duration_since(submitted);

    // 2. A savepoint of the running job.
    let target = scratch.path.join("savepoints");
    let triggered = Instant::now();
    let trigger = client.trigger_savepoint(Some(&target)).context("triggering the savepoint")?;
    let status = client.wait_for_savepoint(&trigger, PATIENCE);
    let savepoint_time = triggered.elapsed();
    let savepoint = match status {
        Some(SavepointStatus::Completed { path }) => path,
        Some(SavepointStatus::Failed { message }) => bail!("the savepoint failed: {message}"),
        Some(SavepointStatus::InProgress) => bail!("the savepoint did not complete within {PATIENCE:?}"),
        None => bail!("the job does not know its own savepoint request {trigger}"),
    };
    let state_bytes = size_of_files(&savepoint)?;
    let savepoint_phases =
        client.checkpoints().latest_savepoint.filter(|s| s.completed && s.path == savepoint).map(|s| SavepointPhases {
            coordinator: s.duration.unwrap_or_default(),
            alignment: s.max_alignment,
            sync: s.max_sync,
            asynchronous: s.max_async,
        });
    stop(&client, "the load job")?;

    // 3. A new job from the savepoint, up to its first record.
    let (progress, reached) = Progress::new(1);
    conf.set("execution.savepoint.path", savepoint.display().to_string());
    let env = StreamExecutionEnvironment::with_config(conf);
    build(&env, params.keys, progress);
    let submitted = Instant::now();
    let client = env.execute_async("weir-bench restore: restored").context("submitting the restored job")?;
    let first = wait_for(&reached, &client, "the restored job processed its first record")?;
    let restore_time = first.at.saturating_duration_since(submitted);
    stop(&client, "the restored job")?;
    check_restored(&first, params.keys, params.events)?;

    Ok(ScenarioOutcome {
        events: params.events,
        seconds: load_time.as_secs_f64(),
        figures: ScenarioFigures::Restore {
            restore: RestoreFigures { savepoint: savepoint_time, restore: restore_time, state_bytes },
            savepoint_phases,
        },
    })
}

/// Adds the job (both runs build the same one, so the restore matches every uid).
fn build(env: &StreamExecutionEnvironment, keys: u64, progress: Arc<Progress>) {
    env.from_source(DataGenSource::new(move |index| (index % keys, index)), "DataGen")
        .uid("keys")
        .set_parallelism(1)
        .key_by(|&(key, _): &(u64, u64)| key)
        .process(CheckedCountAndSum { totals: ValueStateDescriptor::new("count-and-sum"), keys, progress })
        .uid("count-and-sum")
        .sink_to(BlackholeSink::new())
        .uid("blackhole");
}

/// The value record `index` adds to its key's sum.
fn value_of(index: u64) -> u64 {
    random_u64(VALUE_SEED, index) % 1_000
}

/// Adds record `index` of `key` to the key's count and sum in `totals` and emits
/// `(key, count, sum)`, after checking that the key had counted every earlier record of its own
/// (`index / keys` of them, with `key = index % keys`): an error names the key and the record if
/// its state was lost or is wrong. Returns the new count and sum. Shared by the `restore` and
/// `recovery` jobs.
pub(super) fn add_checked(
    ctx: &mut KeyedContext<'_, u64, (u64, u64, u64)>,
    totals: &ValueStateDescriptor<(u64, u64)>,
    keys: u64,
    (key, index): (u64, u64),
) -> Result<(u64, u64)> {
    let mut state = ctx.value(totals)?;
    let (count, sum) = state.get().copied().unwrap_or((0, 0));
    if count != index / keys {
        return Err(Error::User(
            format!(
                "key {key} had counted {count} records before record {index} instead of {}: its state was lost or is wrong",
                index / keys
            )
            .into(),
        ));
    }
    let (count, sum) = (count + 1, sum + value_of(index));
    state.update((count, sum));
    ctx.collect((key, count, sum));
    Ok((count, sum))
}

/// Per key: how many records, and the sum of their values; checks every record's count (see
/// the module docs) and reports the record that makes the job's count reach a mark.
#[derive(Clone)]
struct CheckedCountAndSum {
    totals: ValueStateDescriptor<(u64, u64)>,
    keys: u64,
    progress: Arc<Progress>,
}

impl KeyedProcessFunction<u64, (u64, u64), (u64, u64, u64)> for CheckedCountAndSum {
    fn process_element(
        &mut self,
        (key, index): (u64, u64),
        ctx: &mut KeyedContext<'_, u64, (u64, u64, u64)>,
    ) -> Result<()> {
        let (count, sum) = add_checked(ctx, &self.totals, self.keys, (key, index))?;
        self.progress.processed(|| Reached {
            at: Instant::now(),
            key,
            index,
            count_before: count - 1,
            sum_before: sum - value_of(index),
        });
        Ok(())
    }
}

/// Counts the records the keyed function processed (over all its instances) and reports the
/// `mark`-th one.
struct Progress {
    processed: AtomicU64,
    mark: u64,
    to: Sender<Reached>,
}

impl Progress {
    fn new(mark: u64) -> (Arc<Self>, Receiver<Reached>) {
        let (to, from) = mpsc::channel();
        (Arc::new(Progress { processed: AtomicU64::new(0), mark, to }), from)
    }

    /// One more record processed; `reached` describes it, and is called only for the mark.
    #[inline]
    fn processed(&self, reached: impl FnOnce() -> Reached) {
        if self.processed.fetch_add(1, Ordering::Relaxed) + 1 == self.mark {
            // The workload may have given up waiting; nobody to tell then.
            let _ = self.to.send(reached());
        }
    }
}

/// The record that reached a mark, and when it had been processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reached {
    at: Instant,
    key: u64,
    index: u64,
    /// What the key's state held before this record.
    count_before: u64,
    sum_before: u64,
}

/// Checks that the restored job's first record found what the first job left for its key: it
/// continues after the `loaded` records (the source position was restored, so its key must
/// have counted at least one record) and its key's count and sum are those of every record
/// before it.
fn check_restored(first: &Reached, keys: u64, loaded: u64) -> anyhow::Result<()> {
    ensure!(
        first.index >= loaded,
        "the restored job started at record {} although {loaded} were processed before the savepoint: was nothing restored?",
        first.index
    );
    let before: Vec<u64> = (0..first.index / keys).map(|round| first.key + round * keys).collect();
    let expected = (before.len() as u64, before.iter().map(|&i| value_of(i)).sum::<u64>());
    ensure!(
        (first.count_before, first.sum_before) == expected,
        "the restored state of key {} holds count {} and sum {}, expected {} and {}",
        first.key,
        first.count_before,
        first.sum_before,
        expected.0,
        expected.1
    );
    ensure!(first.count_before >= 1, "the restored job's first key had no state");
    Ok(())
}

/// Waits for the mark of `reached`, failing if the job ends first or takes too long.
fn wait_for(reached: &Receiver<Reached>, client: &JobClient, what: &str) -> anyhow::Result<Reached> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match reached.recv_timeout(Duration::from_millis(100)) {
            Ok(reached) => return Ok(reached),
            Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                // Only to notice a job that ended; the figures come from the job's own clock.
                if let Some(ended) = client.wait_timeout(Duration::ZERO) {
                    return Err(job_ended(ended, what));
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                client.cancel();
                bail!("waited {PATIENCE:?} in vain until {what}");
            }
            Err(RecvTimeoutError::Disconnected) => {
                let ended = client.wait_timeout(PATIENCE).context("the job dropped its functions but runs on")?;
                return Err(job_ended(ended, what));
            }
        }
    }
}

fn job_ended(ended: Result<JobExecutionResult, JobError>, what: &str) -> anyhow::Error {
    match ended {
        Ok(result) => anyhow::anyhow!("the job ended ({}) before {what}", result.status),
        Err(error) => anyhow::Error::new(error).context(format!("the job failed before {what}")),
    }
}

/// Cancels a job and waits until it stopped.
fn stop(client: &JobClient, which: &str) -> anyhow::Result<()> {
    client.cancel();
    match client.wait_timeout(PATIENCE) {
        Some(Ok(_)) => Ok(()),
        Some(Err(error)) => Err(error).with_context(|| format!("{which} failed")),
        None => bail!("{which} did not stop within {PATIENCE:?} of being cancelled"),
    }
}

/// The total size of the files under `dir`.
fn size_of_files(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let meta = entry.metadata().with_context(|| format!("reading {}", entry.path().display()))?;
        total += if meta.is_dir() { size_of_files(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reached(key: u64, index: u64, count_before: u64, sum_before: u64) -> Reached {
        Reached { at: Instant::now(), key, index, count_before, sum_before }
    }

    #[test]
    fn a_restored_key_must_hold_the_count_and_sum_of_the_records_before_it() {
        // 10 keys, 25 records loaded; record 37 is key 7's fourth (7, 17, 27 came before).
        let sum = value_of(7) + value_of(17) + value_of(27);
        check_restored(&reached(7, 37, 3, sum), 10, 25).expect("the right state");
        let err = check_restored(&reached(7, 37, 3, sum + 1), 10, 25).expect_err("wrong sum").to_string();
        assert!(err.contains("key 7") && err.contains("expected 3"), "{err}");
        check_restored(&reached(7, 37, 0, 0), 10, 25).expect_err("empty state");
    }

    #[test]
    fn a_restored_job_that_starts_from_the_beginning_is_refused() {
        // The first record of a job that restored nothing: index 0, nothing before it — the
        // state checks alone would pass.
        let err = check_restored(&reached(0, 0, 0, 0), 10, 25).expect_err("nothing restored").to_string();
        assert!(err.contains("nothing restored"), "{err}");
    }

    /// What a restore that lost the keyed state but kept the source position would look like:
    /// key 5's second record (index 15 of 10 keys) meets an empty state, and the job fails.
    #[test]
    fn a_record_whose_key_lost_its_count_fails_the_job() {
        let env = StreamExecutionEnvironment::new();
        env.set_config("weir.progress", "false").set_parallelism(1);
        let (progress, _reached) = Progress::new(1);
        env.from_collection(vec![(5_u64, 15_u64)])
            .key_by(|&(key, _): &(u64, u64)| key)
            .process(CheckedCountAndSum { totals: ValueStateDescriptor::new("count-and-sum"), keys: 10, progress })
            .sink_to(BlackholeSink::new());
        let err = env.execute("lost state").expect_err("the check fails the job").to_string();
        assert!(err.contains("key 5 had counted 0 records before record 15 instead of 1"), "{err}");
    }

    #[test]
    fn too_few_events_for_the_keys_are_refused() {
        let err = run(&Configuration::new(), &WorkloadParams::new(5, 10, 1)).expect_err("refused").to_string();
        assert!(err.contains("--events 10"), "{err}");
    }

    /// The whole scenario on a small state, at parallelism 1 and 2.
    #[test]
    fn a_savepoint_is_taken_and_restored() {
        for parallelism in [1, 2] {
            let mut conf = Configuration::new();
            conf.set("weir.progress", "false")
                .set("taskmanager.numberOfTaskSlots", "2")
                .set("parallelism.default", parallelism.to_string());
            let outcome = run(&conf, &WorkloadParams::new(20_000, 10_000, parallelism))
                .unwrap_or_else(|e| panic!("at p={parallelism}: {e:#}"));
            assert_eq!(outcome.events, 20_000);
            let ScenarioFigures::Restore { restore, savepoint_phases } = outcome.figures else {
                panic!("restore reports restore figures: {outcome:?}");
            };
            // 10,000 keys of (u64 key, (u64, u64)) state: at least a few bytes each.
            assert!(restore.state_bytes > 30_000, "{restore:?}");
            let phases = savepoint_phases.expect("the overview names the savepoint");
            assert!(phases.coordinator >= phases.asynchronous, "{phases:?}");
        }
    }
}
