//! Per-split watermarks (issue 3, item 2; Flink's FLIP-27 split-local watermarks): a watermark
//! strategy given at the source (`from_source_with_watermarks`) generates watermarks per split
//! inside the source subtask, so a subtask reading several splits at very different event times
//! drops no record as late — whether it reads them from the start (a datagen's range splits,
//! rotated by one reader) or is given them by a restore (four subtasks stopped with a savepoint,
//! restored into one). Every run's windows are compared with a reference computed here, and
//! `late_records_dropped` must be 0.
//!
//! The same strategy assigned after the source (`assign_timestamps_and_watermarks`, one generator
//! per subtask, as `from_source_with_watermarks` did before) drops records in the same job: the
//! scenario is sharp, and the later assigner keeps its per-subtask meaning.

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE};
use std::collections::BTreeMap;
use std::time::Duration;
use weir_connectors::DataGenSource;
use weir_runtime::prelude::*;
use weir_runtime::{CheckpointingMode, SavepointStatus};
use weir_testkit::CollectSink;

const RECORDS: u64 = 200_000;
/// Range splits of 50,000 records each: 50 s of event time apart.
const SPLITS: usize = 4;
const KEYS: u64 = 7;
const WINDOW_MS: i64 = 1_000;
/// The out-of-orderness bound; the jitter stays below it, so within a split nothing is late.
const BOUND_MS: i64 = 40;

/// Every window of an uninterrupted run without late records, as the job prints them, sorted.
fn reference() -> Vec<String> {
    let mut windows: BTreeMap<(u64, i64), (u64, u64)> = BTreeMap::new();
    for i in 0..RECORDS {
        let ts = common::jittered_timestamp(i);
        let window = windows.entry((i % KEYS, ts - ts.rem_euclid(WINDOW_MS))).or_default();
        window.0 += 1;
        window.1 += i;
    }
    let mut lines: Vec<String> = windows
        .into_iter()
        .map(|((key, start), (n, sum))| format!("{key} [{start}, {}) n={n} sum={sum}", start + WINDOW_MS))
        .collect();
    lines.sort();
    lines
}

/// Reports the watermark its (single) key sees whenever it changed: proof that watermarks
/// advanced while records were still flowing, not only with the final one.
#[derive(Clone)]
struct WatermarkProbe {
    last: ValueStateDescriptor<i64>,
}

impl KeyedProcessFunction<u8, (u64, u64), i64> for WatermarkProbe {
    fn process_element(&mut self, _record: (u64, u64), ctx: &mut KeyedContext<'_, u8, i64>) -> Result<()> {
        let watermark = ctx.timer_service().current_watermark().0;
        let mut last = ctx.value(&self.last)?;
        if last.get().copied() != Some(watermark) {
            last.update(watermark);
            ctx.collect(watermark);
        }
        Ok(())
    }
}

/// Where the strategy runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Strategy {
    /// `from_source_with_watermarks`: per split, in the source subtask.
    AtTheSource,
    /// `from_source(..).assign_timestamps_and_watermarks(..)`: per subtask, after the source.
    AfterTheSource,
}

/// A punctuated strategy: after every record, the watermark trails the split's (or the subtask's)
/// highest timestamp by the bound — deterministic, unlike periodic emission.
fn punctuated() -> WatermarkStrategy<(u64, u64)> {
    WatermarkStrategy::for_generator(|| common::Punctuated::new(BOUND_MS))
        .with_timestamp_assigner(|(_, i): &(u64, u64), _| common::jittered_timestamp(*i))
}

/// Periodic bounded out-of-orderness, every `pipeline.auto-watermark-interval`.
fn periodic() -> WatermarkStrategy<(u64, u64)> {
    WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(BOUND_MS as u64))
        .with_timestamp_assigner(|(_, i): &(u64, u64), _| common::jittered_timestamp(*i))
}

/// The events: `SPLITS` range splits of a bounded datagen, read by `source_parallelism` subtasks.
fn events(
    env: &StreamExecutionEnvironment,
    source_parallelism: usize,
    strategy: WatermarkStrategy<(u64, u64)>,
    at: Strategy,
    rate: Option<f64>,
) -> DataStream<(u64, u64)> {
    let source = DataGenSource::new(|i| (i % KEYS, i)).with_count(RECORDS).with_splits(SPLITS);
    let source = match rate {
        Some(rate) => source.with_rate_limit(rate),
        None => source,
    };
    match at {
        Strategy::AtTheSource => env
            .from_source_with_watermarks(source, strategy, "events")
            .uid("events")
            .set_parallelism(source_parallelism),
        Strategy::AfterTheSource => env
            .from_source(source, "events")
            .uid("events")
            .set_parallelism(source_parallelism)
            .assign_timestamps_and_watermarks(strategy)
            .set_parallelism(source_parallelism),
    }
}

fn windows(events: DataStream<(u64, u64)>, sink: &CollectSink<String>) {
    events
        .key_by(|(k, _): &(u64, u64)| *k)
        .window(TumblingWindows::event_time(Duration::from_millis(WINDOW_MS as u64)).expect("valid"))
        .process(common::SummarizeWindow)
        .uid("windows")
        .sink_to(sink.clone());
}

fn late_records_dropped(result: &JobExecutionResult) -> u64 {
    result.operators.iter().map(|o| o.late_records_dropped).sum()
}

/// Runs the job with one source subtask reading all four splits; returns its windows, sorted,
/// and how many records it dropped as late.
fn one_reader_of_four_splits(strategy: WatermarkStrategy<(u64, u64)>, at: Strategy) -> (Vec<String>, u64) {
    let env = common::env(2);
    env.set_config("pipeline.auto-watermark-interval", "5 ms");
    let sink = CollectSink::new();
    windows(events(&env, 1, strategy, at, None), &sink);
    let result = env.execute("one reader, four splits").expect("runs");
    assert_eq!(result.status, JobStatus::Finished);
    (sink.sorted_values(), late_records_dropped(&result))
}

fn assert_same_windows(got: &[String], expected: &[String], what: &str) {
    let missing: Vec<&String> = expected.iter().filter(|l| !got.contains(l)).take(3).collect();
    let extra: Vec<&String> = got.iter().filter(|l| !expected.contains(l)).take(3).collect();
    assert!(
        got == expected,
        "{what}: {} windows, {} expected; missing {missing:?}, differing {extra:?}",
        got.len(),
        expected.len()
    );
}

#[test]
fn one_subtask_reading_four_splits_at_different_event_times_drops_no_record_as_late() {
    let (windows, late) = one_reader_of_four_splits(punctuated(), Strategy::AtTheSource);
    assert_eq!(late, 0, "late records dropped");
    assert_same_windows(&windows, &reference(), "punctuated, per split");
}

#[test]
fn the_same_strategy_after_the_source_is_per_subtask_and_drops_the_earlier_splits_records() {
    let (windows, late) = one_reader_of_four_splits(punctuated(), Strategy::AfterTheSource);
    assert!(late > 0, "the reader's later splits move the subtask's watermark past the earlier ones");
    assert_ne!(windows, reference());
}

#[test]
fn periodic_watermarks_per_split_advance_mid_stream_and_drop_nothing() {
    let env = common::env(2);
    env.set_config("pipeline.auto-watermark-interval", "5 ms");
    let (sink, probe) = (CollectSink::new(), CollectSink::new());
    // Rate-limited to about half a second, so that many periodic emissions fall inside the run.
    let events = events(&env, 1, periodic(), Strategy::AtTheSource, Some(400_000.0));
    events
        .key_by(|_: &(u64, u64)| 0u8)
        .process(WatermarkProbe { last: ValueStateDescriptor::new("last") })
        .set_parallelism(1)
        .sink_to(probe.clone());
    windows(events, &sink);
    let result = env.execute("periodic, per split").expect("runs");
    assert_eq!(late_records_dropped(&result), 0, "late records dropped");
    assert_same_windows(&sink.sorted_values(), &reference(), "periodic, per split");
    let seen = probe.values();
    assert!(
        seen.iter().any(|w| *w > 0 && *w < RECORDS as i64),
        "the watermark advanced while records flowed: {:?}",
        &seen[..seen.len().min(10)]
    );
}

/// Runs the job at `parallelism` (its source too) under `dir` until three checkpoints completed,
/// stops it with a savepoint without draining, and returns the savepoint and the windows fired.
fn run_and_stop(dir: &std::path::Path, parallelism: usize, at: Strategy) -> (std::path::PathBuf, Vec<String>) {
    let env = checkpointed_env(dir, parallelism);
    let sink = CollectSink::new();
    windows(events(&env, parallelism, periodic(), at, Some(100_000.0)), &sink);
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("stopped").expect("submitted");
    watch.wait_for_completed(3);
    let trigger = client.stop_with_savepoint(None, false).expect("the stop is accepted");
    let path = match client.wait_for_savepoint(&trigger, PATIENCE) {
        Some(SavepointStatus::Completed { path }) => path,
        other => panic!("the stop's savepoint did not complete: {other:?}"),
    };
    let result = client.wait_timeout(PATIENCE).expect("the job ended").expect("finished, not failed");
    assert_eq!(late_records_dropped(&result), 0, "the stopped run dropped late records");
    (path, sink.sorted_values())
}

fn checkpointed_env(dir: &std::path::Path, parallelism: usize) -> StreamExecutionEnvironment {
    let env = common::env(parallelism);
    env.enable_checkpointing(Duration::from_millis(20), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.join("checkpoints").display().to_string())
        .set_config("state.savepoints.dir", dir.join("savepoints").display().to_string())
        .set_config("pipeline.auto-watermark-interval", "5 ms");
    env
}

#[test]
fn four_source_subtasks_stopped_with_a_savepoint_and_restored_into_one_drop_no_record_as_late() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (savepoint, before) = run_and_stop(dir.path(), 4, Strategy::AtTheSource);
    let expected = reference();
    assert!(!before.is_empty() && before.len() < expected.len(), "stopped mid-stream: {} windows", before.len());

    // One subtask takes all four splits back, each at its own position: ~50 s of event time apart.
    let env = checkpointed_env(dir.path(), 1);
    env.set_config("execution.savepoint.path", savepoint.display().to_string());
    let sink = CollectSink::new();
    windows(events(&env, 1, periodic(), Strategy::AtTheSource, None), &sink);
    let result = env.execute("restored at 1").expect("the restored job runs");
    assert_eq!(result.status, JobStatus::Finished);
    assert_eq!(late_records_dropped(&result), 0, "the restored run dropped late records");

    let mut all = before;
    all.extend(sink.sorted_values());
    all.sort();
    assert_same_windows(&all, &expected, "stopped at 4, restored at 1");
}
