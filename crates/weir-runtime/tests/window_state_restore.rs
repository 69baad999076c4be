//! Per-window and global state of a window function survive a savepoint and a restore at
//! another parallelism (issue 3, item 4), on the general window operator and on the
//! slice-sharing path: a keyed job whose windows re-fire on late records counts each window's
//! firings in per-window state and a running total per key in global state; it is stopped
//! with a savepoint mid-stream (windows open, some fired and waiting out their lateness) and
//! restored. The output of both runs together must equal an uninterrupted run's, line for line
//! once sorted: firing numbers continue where they were, totals too, and every window is
//! cleared once. The slice-sharing path runs with and without its local pre-aggregation, and
//! a savepoint of one restores into the other.
//!
//! The same on the `rocksdb` backend, whose timers (each window's firing and cleanup) are
//! stored in its database (issue 6): through a savepoint (timers listed in the canonical
//! format) into `rocksdb` and into `hashmap`, and from a retained incremental checkpoint (timers
//! in its files, clipped and copied on the rescale).

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use weir_connectors::{DataGenSource, ExactlyOnceFileSink};
use weir_core::watermark::{WatermarkGenerator, WatermarkOutput};
use weir_runtime::prelude::*;
use weir_runtime::{CancelOutcome, CheckpointingMode, RetentionPolicy, SavepointStatus};
use weir_state::storage::find_latest_restorable;

const RECORDS: u64 = 40_000;
const KEYS: u64 = 13;

/// Record `i` is `(key, i)` at time `i`, except every other one from 1000 on, 300 ms late: its
/// 100 ms window has fired, but the 500 ms of lateness are not over, so it re-fires. So the
/// first record after the restore is late half the time (a restored operator has no watermark
/// until the first one arrives: the case `operators::window::tests` pins down). No record is
/// later than the lateness: which records a run reads before a restore cannot make one dropped.
fn timestamp(i: u64) -> i64 {
    if i >= 1_000 && i % 2 == 1 { i as i64 - 300 } else { i as i64 }
}

/// After record `i`, the watermark is `i - 1`: a function of the record alone, so a restored
/// source goes on exactly where the stopped one was, wherever the stop fell.
struct ByIndex;

impl WatermarkGenerator<(u64, u64)> for ByIndex {
    fn on_event(&mut self, event: &(u64, u64), _timestamp: Timestamp, output: &mut WatermarkOutput) {
        output.emit_watermark(Watermark(event.1 as i64 - 1));
    }
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}

/// As in `window_state.rs`: firings per window, a running total per key, a line per cleanup.
#[derive(Clone)]
struct Firings {
    fired: ValueStateDescriptor<(u32, u64)>,
    total: ValueStateDescriptor<u64>,
}

impl Firings {
    fn new() -> Self {
        Firings { fired: ValueStateDescriptor::new("fired"), total: ValueStateDescriptor::new("total") }
    }

    fn report(&self, key: u64, ctx: &mut WindowContext<'_, u64, TimeWindow, String>, count: u64) -> Result<()> {
        let w = *ctx.window();
        let mut fired = ctx.window_state().value(&self.fired)?;
        let (firings, reported) = fired.get().copied().unwrap_or((0, 0));
        fired.update((firings + 1, count));
        let mut total = ctx.global_state().value(&self.total)?;
        let sum = total.get().copied().unwrap_or(0) + count - reported;
        total.update(sum);
        ctx.collect(format!("{key} [{}, {}) n={count} fire={} total={sum}", w.start, w.end, firings + 1));
        Ok(())
    }
}

impl ProcessWindowFunction<u64, (u64, u64), String, TimeWindow> for Firings {
    fn process(
        &mut self,
        key: &u64,
        ctx: &mut WindowContext<'_, u64, TimeWindow, String>,
        elements: Vec<(u64, u64)>,
    ) -> Result<()> {
        self.report(*key, ctx, elements.len() as u64)
    }

    fn clear(&mut self, key: &u64, ctx: &mut WindowContext<'_, u64, TimeWindow, String>) -> Result<()> {
        let w = *ctx.window();
        let firings = ctx.window_state().value(&self.fired)?.get().map_or(0, |(n, _)| *n);
        ctx.collect(format!("{key} [{}, {}) cleared after {firings}", w.start, w.end));
        Ok(())
    }
}

impl ProcessWindowFunction<u64, u64, String, TimeWindow> for Firings {
    fn process(&mut self, key: &u64, ctx: &mut WindowContext<'_, u64, TimeWindow, String>, c: Vec<u64>) -> Result<()> {
        self.report(*key, ctx, c.iter().sum())
    }

    fn clear(&mut self, key: &u64, ctx: &mut WindowContext<'_, u64, TimeWindow, String>) -> Result<()> {
        ProcessWindowFunction::<u64, (u64, u64), String, TimeWindow>::clear(self, key, ctx)
    }
}

#[derive(Clone)]
struct Count;

impl AggregateFunction<(u64, u64), u64, u64> for Count {
    fn create_accumulator(&self) -> u64 {
        0
    }
    fn add(&self, acc: &mut u64, _value: &(u64, u64)) {
        *acc += 1;
    }
    fn merge(&self, acc: &mut u64, other: &u64) {
        *acc += other;
    }
    fn get_result(&self, acc: &u64) -> u64 {
        *acc
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    /// `process` over all records: the general operator.
    General,
    /// `aggregate_with_process`: the slice-sharing operator, behind a local pre-aggregation
    /// (the default).
    Sliced,
    /// The same with `weir.windows.local-aggregation` off: every record crosses the exchange.
    SlicedWithoutLocalAggregation,
}

/// Where the windows' keyed state and timers live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    HashMap,
    /// `rocksdb` with its timers in the database, incremental checkpoints or full ones.
    RocksDb {
        incremental: bool,
    },
}

/// How the first run ends, and what the second restores from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Stopped with a savepoint (canonical format).
    Savepoint,
    /// Cancelled; restored from its latest retained checkpoint.
    Cancel,
}

/// The job at `parallelism` (source and sink at 1) under `dirs`; `rate` limits the source.
fn job(
    dirs: &Path,
    parallelism: usize,
    operator: Operator,
    backend: Backend,
    rate: Option<f64>,
) -> StreamExecutionEnvironment {
    let env = common::env(parallelism);
    env.enable_checkpointing(Duration::from_millis(20), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dirs.join("checkpoints").display().to_string())
        .set_config("state.savepoints.dir", dirs.join("savepoints").display().to_string());
    env.checkpoint_config().set_externalized_checkpoint_retention(RetentionPolicy::RetainOnCancellation);
    if let Backend::RocksDb { incremental } = backend {
        env.set_config("state.backend.type", "rocksdb")
            .set_config("execution.checkpointing.incremental", incremental.to_string())
            .set_config("state.backend.rocksdb.localdir", dirs.join("rocksdb").display().to_string());
    }
    if operator == Operator::SlicedWithoutLocalAggregation {
        env.set_config("weir.windows.local-aggregation", "false");
    }
    let source = DataGenSource::new(|i| (i % KEYS, i)).with_count(RECORDS);
    let source = match rate {
        Some(rate) => source.with_rate_limit(rate),
        None => source,
    };
    let windows = env
        .from_source(source, "events")
        .uid("events")
        .set_parallelism(1)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(|| ByIndex)
                .with_timestamp_assigner(|(_, i): &(u64, u64), _| timestamp(*i)),
        )
        .set_parallelism(1)
        .key_by(|(k, _): &(u64, u64)| *k)
        .window(TumblingWindows::event_time(Duration::from_millis(100)).expect("valid"))
        .allowed_lateness(Duration::from_millis(500));
    let out = match operator {
        Operator::General => windows.process(Firings::new()),
        Operator::Sliced | Operator::SlicedWithoutLocalAggregation => {
            windows.aggregate_with_process(Count, Firings::new())
        }
    };
    out.uid("windows").sink_to(ExactlyOnceFileSink::lines(dirs.join("out"))).uid("files").set_parallelism(1);
    env
}

/// What an uninterrupted run commits, sorted.
fn uninterrupted(operator: Operator) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = job(dir.path(), 2, operator, Backend::HashMap, None).execute("uninterrupted").expect("runs");
    assert_eq!(result.status, JobStatus::Finished);
    let lines = common::committed_lines(&dir.path().join("out"));
    let refired = lines.iter().filter(|l| l.contains("fire=2")).count();
    assert!(refired > 1_000, "windows re-fire: {refired} second firings");
    lines
}

/// Runs the job at `parallelism` until three checkpoints completed, stops it as `stop` says
/// and returns the directory to restore from.
fn run_and_stop(dirs: &Path, parallelism: usize, operator: Operator, backend: Backend, stop: Stop) -> PathBuf {
    let env = job(dirs, parallelism, operator, backend, Some(20_000.0));
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("stopped mid-stream").expect("submitted");
    watch.wait_for_completed(3);
    let savepoint = match stop {
        Stop::Savepoint => {
            let trigger = client.stop_with_savepoint(None, false).expect("the stop is accepted");
            match client.wait_for_savepoint(&trigger, PATIENCE) {
                Some(SavepointStatus::Completed { path }) => Some(path),
                other => panic!("the stop's savepoint did not complete: {other:?}"),
            }
        }
        Stop::Cancel => {
            assert_eq!(client.cancel(), CancelOutcome::Requested);
            None
        }
    };
    let result = client.wait_timeout(PATIENCE).expect("the job ended").expect("stopped, not failed");
    let expected_status = if stop == Stop::Savepoint { JobStatus::Finished } else { JobStatus::Cancelled };
    assert_eq!(result.status, expected_status, "the job ended before it was stopped mid-stream");
    if stop == Stop::Savepoint {
        // (A cancelled run leaves part files in progress, for the restored run to settle.)
        let stopped = common::committed_lines(&dirs.join("out"));
        assert!(stopped.iter().any(|l| l.contains("fire=2")), "the stopped run re-fired windows");
    }
    savepoint.unwrap_or_else(|| {
        let job_dir = dirs.join("checkpoints").join(result.job_id.to_string());
        let (latest, skipped) = find_latest_restorable(&job_dir).expect("readable job dir");
        assert!(skipped.is_empty(), "{skipped:?}");
        latest.expect("a retained checkpoint").dir().to_path_buf()
    })
}

fn stop_and_restore(from: usize, to: usize, operator: Operator) {
    stop_and_restore_on((from, Backend::HashMap), (to, Backend::HashMap), (operator, operator), Stop::Savepoint);
}

/// Stops the job as `before` and restores it as `after` (the same state under the same uids).
fn stop_and_restore_into(from: usize, to: usize, before: Operator, after: Operator) {
    stop_and_restore_on((from, Backend::HashMap), (to, Backend::HashMap), (before, after), Stop::Savepoint);
}

/// Runs the job as `operators.0` at `from` (parallelism, backend), stops it as `stop` says and
/// restores it as `operators.1` at `to`.
fn stop_and_restore_on(from: (usize, Backend), to: (usize, Backend), operators: (Operator, Operator), stop: Stop) {
    let (before, operator) = operators;
    let expected = uninterrupted(operator);
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = run_and_stop(dir.path(), from.0, before, from.1, stop);
    let env = job(dir.path(), to.0, operator, to.1, None);
    env.set_config("execution.savepoint.path", snapshot.display().to_string());
    let result = env.execute("restored").expect("the restored job runs");
    assert_eq!(result.status, JobStatus::Finished);
    let got = common::committed_lines(&dir.path().join("out"));
    if got != expected {
        let (got_set, expected_set): (BTreeSet<&String>, BTreeSet<&String>) =
            (got.iter().collect(), expected.iter().collect());
        let missing: Vec<_> = expected_set.difference(&got_set).take(5).collect();
        let extra: Vec<_> = got_set.difference(&expected_set).take(5).collect();
        panic!(
            "{before:?} stopped at {from:?} ({stop:?}), restored as {operator:?} at {to:?}: {} lines, {} expected; missing {missing:?}, extra {extra:?}",
            got.len(),
            expected.len()
        );
    }
}

#[test]
fn general_operator_state_survives_a_restore_from_2_to_3_subtasks() {
    stop_and_restore(2, 3, Operator::General);
}

#[test]
fn general_operator_state_survives_a_restore_from_3_to_1_subtask() {
    stop_and_restore(3, 1, Operator::General);
}

#[test]
fn slice_sharing_state_survives_a_restore_from_2_to_3_subtasks() {
    stop_and_restore(2, 3, Operator::Sliced);
}

#[test]
fn slice_sharing_state_survives_a_restore_from_3_to_1_subtask() {
    stop_and_restore(3, 1, Operator::Sliced);
}

#[test]
fn slice_sharing_without_local_aggregation_state_survives_a_restore_from_2_to_3_subtasks() {
    stop_and_restore(2, 3, Operator::SlicedWithoutLocalAggregation);
}

/// The local pre-aggregation sends everything it holds on before a barrier and keeps no state:
/// a savepoint taken with it restores without it, and the other way round.
#[test]
fn local_aggregation_can_be_switched_off_and_on_across_a_restore() {
    assert_eq!(uninterrupted(Operator::Sliced), uninterrupted(Operator::SlicedWithoutLocalAggregation));
    stop_and_restore_into(2, 2, Operator::Sliced, Operator::SlicedWithoutLocalAggregation);
    stop_and_restore_into(2, 3, Operator::SlicedWithoutLocalAggregation, Operator::Sliced);
}

const INCREMENTAL: Backend = Backend::RocksDb { incremental: true };
const FULL: Backend = Backend::RocksDb { incremental: false };

#[test]
fn general_operator_timers_in_rocksdb_survive_an_incremental_checkpoint_restore_from_2_to_3_subtasks() {
    stop_and_restore_on((2, INCREMENTAL), (3, INCREMENTAL), (Operator::General, Operator::General), Stop::Cancel);
}

#[test]
fn slice_sharing_timers_in_rocksdb_survive_an_incremental_checkpoint_restore_from_3_to_1_subtask() {
    stop_and_restore_on((3, INCREMENTAL), (1, INCREMENTAL), (Operator::Sliced, Operator::Sliced), Stop::Cancel);
}

#[test]
fn general_operator_timers_in_rocksdb_go_through_a_savepoint_into_the_hashmap_backend() {
    stop_and_restore_on(
        (2, INCREMENTAL),
        (1, Backend::HashMap),
        (Operator::General, Operator::General),
        Stop::Savepoint,
    );
}

#[test]
fn slice_sharing_timers_in_memory_go_through_a_savepoint_into_rocksdb() {
    stop_and_restore_on((1, Backend::HashMap), (2, FULL), (Operator::Sliced, Operator::Sliced), Stop::Savepoint);
}

#[test]
fn general_operator_timers_in_a_full_rocksdb_checkpoint_restore_rescaled() {
    stop_and_restore_on((3, FULL), (2, FULL), (Operator::General, Operator::General), Stop::Cancel);
}
