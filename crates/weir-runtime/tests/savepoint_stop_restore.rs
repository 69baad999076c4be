//! Restore equivalence through savepoints (STYLE.md, test 4; issue 5's proof): a keyed,
//! event-time windowed job is stopped mid-stream with a savepoint (`stop` without drain: the
//! windows still open go into the savepoint unfired), and a new job restores from it — at
//! another parallelism, into a graph with an added stateless operator, or without a stateful
//! operator (`-n`). The output of the stopped run and of the restored run together must equal
//! an uninterrupted run's, line for line once sorted. Also: a savepoint copied elsewhere (the
//! original deleted) restores from the copy; a savepoint of the running job (`weir savepoint`)
//! leaves the job running; `cancel -s` ends it cancelled.

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE};
use std::path::{Path, PathBuf};
use std::time::Duration;
use weir_connectors::{BlackholeSink, DataGenSource, ExactlyOnceFileSink};
use weir_runtime::prelude::*;
use weir_runtime::{CheckpointingMode, SavepointError, SavepointStatus};

const RECORDS: u64 = 120_000;
const KEYS: u64 = 23;

/// Counts records per key: state that a later version of the job drops.
#[derive(Clone)]
struct Audit {
    seen: ValueStateDescriptor<u64>,
}

impl KeyedProcessFunction<u64, (u64, u64), u64> for Audit {
    fn process_element(&mut self, _record: (u64, u64), ctx: &mut KeyedContext<'_, u64, u64>) -> Result<()> {
        let mut seen = ctx.value(&self.seen)?;
        let n = seen.get().copied().unwrap_or(0) + 1;
        seen.update(n);
        ctx.collect(n);
        Ok(())
    }
}

/// How the job's graph differs from the first version.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    /// Source, windows, file sink, plus a keyed audit branch into a blackhole.
    First,
    /// The first version with a stateless `map` (no uid) before the windows.
    AddedMap,
    /// The first version without the audit branch (its state has no operator: `-n`).
    WithoutAudit,
}

/// The job at `parallelism` with its source at `source_parallelism`, under `dirs`: output in
/// `out/`, checkpoints in `checkpoints/`, savepoints by default in `savepoints/`. `rate` limits
/// the source (`None`: as fast as it goes).
///
/// The watermark strategy is given at the source, so watermarks are per split: a subtask that
/// restores several splits at different event times (the source rescaled from 4 to 1) holds its
/// watermark back for the earliest, and none of their records is late (see
/// `time_split_watermarks.rs`).
fn job(
    dirs: &Path,
    (parallelism, source_parallelism): (usize, usize),
    version: Version,
    rate: Option<f64>,
) -> StreamExecutionEnvironment {
    let env = common::env(parallelism);
    env.enable_checkpointing(Duration::from_millis(20), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dirs.join("checkpoints").display().to_string())
        .set_config("state.savepoints.dir", dirs.join("savepoints").display().to_string())
        .set_config("pipeline.auto-watermark-interval", "10 ms");
    let source = DataGenSource::new(|i| (i % KEYS, i)).with_count(RECORDS);
    let source = match rate {
        Some(rate) => source.with_rate_limit(rate),
        None => source,
    };
    // Timestamps rise with a little jitter below the bound: no record is ever late, whichever
    // run reads it, so the output does not depend on where the stop fell.
    let strategy = WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(40))
        .with_timestamp_assigner(|(_, i): &(u64, u64), _| common::jittered_timestamp(*i));
    let events =
        env.from_source_with_watermarks(source, strategy, "events").uid("events").set_parallelism(source_parallelism);
    let events = if version == Version::AddedMap { events.map(|(k, i)| (k, i)) } else { events };
    if version != Version::WithoutAudit {
        events
            .key_by(|(k, _): &(u64, u64)| *k)
            .process(Audit { seen: ValueStateDescriptor::new("seen") })
            .uid("audit")
            .sink_to(BlackholeSink::new());
    }
    events
        .key_by(|(k, _): &(u64, u64)| *k)
        .window(TumblingWindows::event_time(Duration::from_millis(250)).expect("valid"))
        .process(common::SummarizeWindow)
        .uid("windows")
        .sink_to(ExactlyOnceFileSink::lines(dirs.join("out")))
        .uid("files");
    env
}

/// What an uninterrupted run commits, sorted.
fn uninterrupted(parallelism: usize) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = job(dir.path(), (parallelism, 1), Version::First, None).execute("uninterrupted").expect("runs");
    assert_eq!(result.status, JobStatus::Finished);
    assert_eq!(late_records_dropped(&result), 0);
    let lines = common::committed_lines(&dir.path().join("out"));
    assert!(lines.len() > 1000, "the job produces output: {}", lines.len());
    lines
}

/// Runs the first version at `parallelism` until three checkpoints completed, stops it with a
/// savepoint into the default directory (without drain), and returns the savepoint's directory.
fn run_and_stop(dirs: &Path, parallelism: (usize, usize)) -> PathBuf {
    let env = job(dirs, parallelism, Version::First, Some(60_000.0));
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("stopped with a savepoint").expect("submitted");
    watch.wait_for_completed(3);
    let trigger = client.stop_with_savepoint(None, false).expect("the stop is accepted");
    let path = match client.wait_for_savepoint(&trigger, PATIENCE) {
        Some(SavepointStatus::Completed { path }) => path,
        other => panic!("the stop's savepoint did not complete: {other:?}"),
    };
    let result = client.wait_timeout(PATIENCE).expect("the job ended").expect("finished, not failed");
    assert_eq!(result.status, JobStatus::Finished, "a stopped job is finished");
    assert_eq!(late_records_dropped(&result), 0, "the stopped run dropped late records");
    assert!(result.checkpoints.iter().any(|c| c.is_savepoint && c.completed && c.path == path));
    assert!(path.starts_with(dirs.join("savepoints")), "{} is under state.savepoints.dir", path.display());
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
    assert!(name.starts_with(&format!("savepoint-{}-", &result.job_id.to_string()[..6])), "{name}");
    assert!(path.join("_metadata").is_file());
    let stopped = common::committed_lines(&dirs.join("out")).len();
    assert!(stopped > 0, "the stopped run committed output before its savepoint");
    path
}

/// Restores `version` at `parallelism` from `savepoint` into `dirs`' output and runs it to the
/// end of its input.
fn restore(dirs: &Path, savepoint: &Path, parallelism: (usize, usize), version: Version, allow_non_restored: bool) {
    let env = job(dirs, parallelism, version, None);
    env.set_config("execution.savepoint.path", savepoint.display().to_string());
    if allow_non_restored {
        env.set_config("execution.savepoint.ignore-unclaimed-state", "true");
    }
    let result = env.execute("restored").expect("the restored job runs");
    assert_eq!(result.status, JobStatus::Finished);
    assert_eq!(late_records_dropped(&result), 0, "the restored run dropped late records");
}

fn late_records_dropped(result: &JobExecutionResult) -> u64 {
    result.operators.iter().map(|o| o.late_records_dropped).sum()
}

fn stop_and_restore(from: (usize, usize), to: (usize, usize), version: Version) {
    let expected = uninterrupted(2);
    let dir = tempfile::tempdir().expect("temp dir");
    let savepoint = run_and_stop(dir.path(), from);
    let allow = version == Version::WithoutAudit;
    restore(dir.path(), &savepoint, to, version, allow);
    let got = common::committed_lines(&dir.path().join("out"));
    let missing: Vec<&String> = expected.iter().filter(|l| !got.contains(l)).take(5).collect();
    let extra: Vec<&String> = got.iter().filter(|l| !expected.contains(l)).take(5).collect();
    assert_eq!(got.len(), expected.len(), "line count, {from:?} -> {to:?}; missing {missing:?}, extra {extra:?}");
    assert!(got == expected, "stopped at {from:?}, restored at {to:?}: the output differs from an uninterrupted run");
}

#[test]
fn stopped_with_a_savepoint_and_restored_from_1_to_2_subtasks_the_output_equals_an_uninterrupted_run() {
    stop_and_restore((1, 1), (2, 1), Version::First);
}

#[test]
fn stopped_with_a_savepoint_and_restored_from_2_to_4_subtasks_the_output_equals_an_uninterrupted_run() {
    stop_and_restore((2, 1), (4, 1), Version::First);
}

#[test]
fn stopped_with_a_savepoint_and_restored_from_4_to_1_subtask_the_output_equals_an_uninterrupted_run() {
    stop_and_restore((4, 1), (1, 1), Version::First);
}

#[test]
fn stopped_at_4_and_restored_at_1_with_the_source_rescaled_too_the_output_equals_an_uninterrupted_run() {
    // One source subtask takes the four splits back, each at its own position and event time.
    stop_and_restore((4, 4), (1, 1), Version::First);
}

#[test]
fn source_positions_are_dealt_out_by_split_when_the_source_is_rescaled() {
    // Two splits (one per old subtask) onto four subtasks: two read one each, two none.
    stop_and_restore((2, 2), (4, 4), Version::First);
}

#[test]
fn restored_into_a_graph_with_an_added_stateless_operator_the_output_equals_an_uninterrupted_run() {
    stop_and_restore((2, 1), (2, 1), Version::AddedMap);
}

#[test]
fn restored_without_a_stateful_operator_with_allow_non_restored_state_the_output_equals_an_uninterrupted_run() {
    stop_and_restore((2, 1), (2, 1), Version::WithoutAudit);
}

#[test]
fn without_allow_non_restored_state_a_removed_stateful_operator_is_refused_naming_its_uid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let savepoint = run_and_stop(dir.path(), (2, 1));
    let env = job(dir.path(), (2, 1), Version::WithoutAudit, None);
    env.set_config("execution.savepoint.path", savepoint.display().to_string());
    let error = env.execute_async("without audit").expect_err("refused at submission").to_string();
    assert!(error.contains("audit") && error.contains("--allow-non-restored-state"), "{error}");
}

#[test]
fn a_savepoint_copied_elsewhere_restores_from_the_copy_after_the_original_is_deleted() {
    let expected = uninterrupted(2);
    let dir = tempfile::tempdir().expect("temp dir");
    let savepoint = run_and_stop(dir.path(), (2, 1));
    let copy = dir.path().join("another-disk").join("the-savepoint");
    copy_dir(&savepoint, &copy);
    std::fs::remove_dir_all(dir.path().join("savepoints")).expect("delete the original");
    std::fs::remove_dir_all(dir.path().join("checkpoints")).expect("and every checkpoint");
    restore(dir.path(), &copy, (3, 1), Version::First, false);
    let got = common::committed_lines(&dir.path().join("out"));
    assert_eq!(got.len(), expected.len(), "line count");
    assert!(got == expected, "restored from the copy: the output differs from an uninterrupted run");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the savepoint") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy a file");
        }
    }
}

#[test]
fn a_savepoint_of_a_running_job_leaves_it_running_and_restores_like_a_stop() {
    let expected = uninterrupted(2);
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("chosen-target");
    let env = job(dir.path(), (2, 1), Version::First, Some(150_000.0));
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("savepoint while running").expect("submitted");
    watch.wait_for_completed(1);
    let trigger = client.trigger_savepoint(Some(&target)).expect("accepted");
    let path = match client.wait_for_savepoint(&trigger, PATIENCE) {
        Some(SavepointStatus::Completed { path }) => path,
        other => panic!("the savepoint did not complete: {other:?}"),
    };
    assert!(path.starts_with(&target) && path.join("_metadata").is_file(), "{}", path.display());
    assert_eq!(client.status(), JobStatus::Running, "the job goes on");
    let overview = client.checkpoints();
    assert_eq!(overview.latest_savepoint.as_ref().map(|s| &s.path), Some(&path));
    let result = client.wait().expect("finishes");
    assert_eq!(result.status, JobStatus::Finished);
    assert!(common::committed_lines(&dir.path().join("out")) == expected, "the job itself was not disturbed");
}

#[test]
fn cancel_with_a_savepoint_ends_the_job_cancelled_and_restores_exactly_once() {
    let expected = uninterrupted(2);
    let dir = tempfile::tempdir().expect("temp dir");
    let env = job(dir.path(), (2, 1), Version::First, Some(60_000.0));
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("cancelled with a savepoint").expect("submitted");
    watch.wait_for_completed(3);
    let trigger = client.cancel_with_savepoint(None).expect("accepted");
    let path = match client.wait_for_savepoint(&trigger, PATIENCE) {
        Some(SavepointStatus::Completed { path }) if path.join("_metadata").is_file() => path,
        other => panic!("the savepoint did not complete: {other:?}"),
    };
    let result = client.wait_timeout(PATIENCE).expect("ended").expect("cancelled, not failed");
    assert_eq!(result.status, JobStatus::Cancelled);
    // What the cancelled job committed and what a job restored from its savepoint commits
    // together are an uninterrupted run's output: nothing after the savepoint was committed.
    restore(dir.path(), &path, (2, 1), Version::First, false);
    let got = common::committed_lines(&dir.path().join("out"));
    assert_eq!(got.len(), expected.len(), "line count");
    assert!(got == expected, "cancelled with a savepoint and restored: the output differs from an uninterrupted run");
}

#[test]
fn savepoint_requests_the_job_cannot_serve_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    // No checkpointing: no savepoints.
    let env = common::env(1);
    env.from_source(DataGenSource::new(|i| i), "numbers").sink_to(BlackholeSink::new());
    let client = env.execute_async("unchecked").expect("submitted");
    client.wait_for_status(JobStatus::Running, PATIENCE);
    let error = client.trigger_savepoint(Some(dir.path())).expect_err("refused");
    assert!(matches!(error, SavepointError::CheckpointingOff { .. }), "{error}");
    assert!(error.to_string().contains("execution.checkpointing.interval"), "{error}");
    client.cancel();
    client.wait().expect("cancelled");

    // Checkpointing, but no directory given or configured.
    let env = common::env(1);
    env.enable_checkpointing(Duration::from_millis(50), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.path().join("checkpoints").display().to_string());
    env.from_source(DataGenSource::new(|i| i), "numbers").sink_to(BlackholeSink::new());
    let client = env.execute_async("no savepoint dir").expect("submitted");
    client.wait_for_status(JobStatus::Running, PATIENCE);
    let error = client.trigger_savepoint(None).expect_err("refused");
    assert!(error.to_string().contains("state.savepoints.dir"), "{error}");
    client.cancel();
    client.wait().expect("cancelled");
    let error = client.trigger_savepoint(Some(dir.path())).expect_err("refused once ended");
    assert!(matches!(error, SavepointError::NotRunning { .. }), "{error}");
}

/// `(n, sum)` of one output line `key [start, end) n=<n> sum=<sum>`.
fn counts(line: &str) -> (u64, u64) {
    let field = |name: &str| -> u64 {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in '{line}'"))
    };
    (field("n="), field("sum="))
}

#[test]
fn a_drained_stop_fires_every_open_window_and_the_restored_job_reads_on_from_the_stop() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = job(dir.path(), (2, 1), Version::First, Some(60_000.0));
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("drained").expect("submitted");
    watch.wait_for_completed(3);
    let trigger = client.stop_with_savepoint(None, true).expect("accepted");
    let Some(SavepointStatus::Completed { path }) = client.wait_for_savepoint(&trigger, PATIENCE) else {
        panic!("the drained stop's savepoint did not complete");
    };
    assert_eq!(client.wait().expect("finished").status, JobStatus::Finished);
    let stopped = common::committed_lines(&dir.path().join("out"));
    let read_before: u64 = stopped.iter().map(|l| counts(l).0).sum();
    assert!(read_before > 0 && read_before < RECORDS, "stopped mid-stream after {read_before} records");

    restore(dir.path(), &path, (2, 1), Version::First, false);
    let all = common::committed_lines(&dir.path().join("out"));
    // Every record in exactly one fired window: none lost, none counted twice ...
    let (n, sum) = all.iter().map(|l| counts(l)).fold((0, 0), |(n, s), (a, b)| (n + a, s + b));
    assert_eq!((n, sum), (RECORDS, RECORDS * (RECORDS - 1) / 2));
    // ... and the drain fired the windows open at the stop, so those fired again after it.
    let bounds = |line: &String| line.split(" n=").next().unwrap_or_default().to_string();
    let mut seen = std::collections::BTreeSet::new();
    let fired_twice = all.iter().filter(|l| !seen.insert(bounds(l))).count();
    assert!(fired_twice > 0, "the drain fired the windows that were open when the job stopped");
}

#[test]
fn the_checkpoints_overview_names_the_savepoint_a_job_was_restored_from() {
    let dir = tempfile::tempdir().expect("temp dir");
    let savepoint = run_and_stop(dir.path(), (2, 1));
    let env = job(dir.path(), (2, 1), Version::First, None);
    env.set_config("execution.savepoint.path", savepoint.display().to_string());
    let client = env.execute_async("restored, watched").expect("submitted");
    let result = client.wait().expect("finishes");
    let overview = client.checkpoints();
    let restored = overview.latest_restored.expect("a restore is recorded");
    assert!(restored.is_savepoint && restored.path == savepoint, "{restored:?}");
    assert_eq!(overview.counts.restored, 1);
    assert!(overview.counts.completed >= 1 && overview.counts.in_progress == 0, "{:?}", overview.counts);
    let newest = overview.recent.last().expect("checkpoints ended");
    assert_eq!(Some(newest), result.checkpoints.last(), "the overview's newest is the job result's newest");
    assert_eq!(overview.latest_completed.as_ref().map(|c| c.id), Some(newest.id));
}

#[test]
fn a_savepoint_whose_state_does_not_fit_the_operator_with_its_uid_fails_naming_the_operator() {
    let dir = tempfile::tempdir().expect("temp dir");
    let savepoint = run_and_stop(dir.path(), (2, 1));
    // Another job under the same uids: its windows hold sums of strings, not the first job's
    // element lists.
    let env = common::env(2);
    env.set_config("execution.savepoint.path", savepoint.display().to_string())
        .set_config("execution.savepoint.ignore-unclaimed-state", "true");
    env.from_source(DataGenSource::new(|i| (format!("k{}", i % 3), i)).with_count(1000), "events")
        .uid("events")
        .set_parallelism(1)
        .key_by(|(k, _): &(String, u64)| k.clone())
        .count_window(10)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .uid("windows")
        .sink_to(BlackholeSink::new());
    let error = env.execute("another job").expect_err("the state cannot be read").to_string();
    assert!(error.contains("operator 'windows'") && error.contains("cannot be read"), "{error}");
    assert!(error.contains("new uid") && error.contains("--allow-non-restored-state"), "says what to do: {error}");
}
