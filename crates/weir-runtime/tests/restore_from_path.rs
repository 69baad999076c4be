//! Restoring a job from a retained checkpoint's path (`execution.savepoint.path`, what
//! `weir run -s` sets), at the same and at another parallelism: the committed output of the
//! stopped run and the restored run together equal what an uninterrupted run writes, computed
//! here independently. Also the refusals: state no operator claims (unless
//! `execution.savepoint.ignore-unclaimed-state`), a path that holds no snapshot, and another
//! max parallelism.

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE};
use std::path::{Path, PathBuf};
use std::time::Duration;
use weir_connectors::{DataGenSource, ExactlyOnceFileSink};
use weir_runtime::prelude::*;
use weir_runtime::{CancelOutcome, CheckpointingMode, RetentionPolicy};
use weir_state::storage::find_latest_restorable;

const RECORDS: u64 = 200_000;
const KEYS: u64 = 37;

/// What an uninterrupted run commits, sorted.
fn expected() -> Vec<String> {
    common::running_counts(RECORDS, KEYS)
}

/// The job: a one-subtask source and sink around the keyed function at `parallelism`, checkpoints
/// every 10 ms retained on cancellation. `rate` limits the source (`None`: as fast as it goes).
fn job(checkpoints: &Path, out: &Path, parallelism: usize, rate: Option<f64>) -> StreamExecutionEnvironment {
    let env = common::env(parallelism);
    env.checkpoint_config()
        .set_checkpoint_interval(Duration::from_millis(10))
        .expect("interval")
        .set_checkpointing_mode(CheckpointingMode::ExactlyOnce)
        .set_externalized_checkpoint_retention(RetentionPolicy::RetainOnCancellation)
        .set_checkpoint_storage(checkpoints)
        .expect("dir");
    common::add_running_count_job(&env, RECORDS, KEYS, rate, out);
    env
}

/// Runs the job at `parallelism` until three checkpoints completed, cancels it, and returns the
/// directory of its newest retained checkpoint.
fn run_and_cancel(base: &Path, out: &Path, parallelism: usize) -> PathBuf {
    let env = job(base, out, parallelism, Some(200_000.0));
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("stopped mid-stream").expect("submitted");
    watch.wait_for_completed(3);
    assert_eq!(client.cancel(), CancelOutcome::Requested);
    let result = client.wait_timeout(PATIENCE).expect("the job stopped").expect("cancelled, not failed");
    assert_eq!(result.status, JobStatus::Cancelled, "the job ended before it was stopped mid-stream");
    let job_dir = base.join(result.job_id.to_string());
    let (latest, skipped) = find_latest_restorable(&job_dir).expect("readable job dir");
    assert!(skipped.is_empty(), "{skipped:?}");
    latest.expect("a retained checkpoint").dir().to_path_buf()
}

fn restore_equivalence(from: usize, to: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (checkpoints, out) = (dir.path().join("checkpoints"), dir.path().join("out"));
    let retained = run_and_cancel(&checkpoints, &out, from);

    let env = job(&checkpoints, &out, to, None);
    env.set_config("execution.savepoint.path", retained.display().to_string());
    let result = env.execute("restored").expect("the restored job runs");
    assert_eq!(result.status, JobStatus::Finished);
    assert_eq!(common::committed_lines(&out), expected(), "restored {from} -> {to} from {}", retained.display());
}

#[test]
fn restored_at_the_same_parallelism_the_output_equals_an_uninterrupted_run() {
    restore_equivalence(2, 2);
}

#[test]
fn restored_from_1_to_2_subtasks_the_output_equals_an_uninterrupted_run() {
    restore_equivalence(1, 2);
}

#[test]
fn restored_from_2_to_4_subtasks_the_output_equals_an_uninterrupted_run() {
    restore_equivalence(2, 4);
}

#[test]
fn restored_from_4_to_1_subtask_the_output_equals_an_uninterrupted_run() {
    restore_equivalence(4, 1);
}

/// A retained checkpoint of the job at parallelism 2 (stopped mid-stream), in `dir`.
fn retained_checkpoint(dir: &Path) -> PathBuf {
    run_and_cancel(&dir.join("checkpoints"), &dir.join("out"), 2)
}

/// The job with its stateful operator under another uid (its old state belongs to no operator),
/// writing where the stopped run wrote (the sink keeps its uid and commits what it staged there).
fn renamed_job(dir: &Path) -> StreamExecutionEnvironment {
    let env = common::env(2);
    env.from_source(DataGenSource::new(|i| (i % KEYS, i)).with_count(100), "numbers")
        .uid("numbers")
        .set_parallelism(1)
        .key_by(|(key, _): &(u64, u64)| *key)
        .process(common::RunningCount::new())
        .uid("running-count-v2")
        .sink_to(ExactlyOnceFileSink::lines(dir.join("out")))
        .uid("sink")
        .set_parallelism(1);
    env
}

#[test]
fn state_no_operator_claims_is_refused_naming_its_uid_unless_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let retained = retained_checkpoint(dir.path());

    let env = renamed_job(dir.path());
    env.set_config("execution.savepoint.path", retained.display().to_string());
    let error = env.execute_async("renamed").expect_err("refused at submission").to_string();
    assert!(error.contains("running-count") && error.contains("--allow-non-restored-state"), "{error}");
    assert!(error.contains(&retained.display().to_string()), "names the snapshot: {error}");

    let env = renamed_job(dir.path());
    env.set_config("execution.savepoint.path", retained.join("_metadata").display().to_string())
        .set_config("execution.savepoint.ignore-unclaimed-state", "true");
    let result = env.execute("renamed, allowed").expect("runs, dropping the unclaimed state");
    assert_eq!(result.status, JobStatus::Finished);
}

#[test]
fn a_path_without_a_snapshot_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-savepoint");
    let env = job(&dir.path().join("checkpoints"), &dir.path().join("out"), 1, None);
    env.set_config("execution.savepoint.path", missing.display().to_string());
    let error = env.execute_async("from nothing").expect_err("refused").to_string();
    assert!(error.contains(&missing.display().to_string()), "{error}");
}

#[test]
fn another_max_parallelism_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let retained = retained_checkpoint(dir.path());
    let env = job(&dir.path().join("checkpoints"), &dir.path().join("out"), 2, None);
    env.set_max_parallelism(64).set_config("execution.savepoint.path", retained.display().to_string());
    let error = env.execute_async("other max parallelism").expect_err("refused").to_string();
    assert!(error.contains("max parallelism") && error.contains("64"), "{error}");
}

#[test]
fn a_retained_checkpoint_copied_elsewhere_restores_from_the_copy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (checkpoints, out) = (dir.path().join("checkpoints"), dir.path().join("out"));
    let retained = run_and_cancel(&checkpoints, &out, 2);

    // Another disk, as far as the checkpoint can tell: a copy of its chk-<n> directory under
    // another name, and the original job directory gone.
    let copy = dir.path().join("elsewhere").join("copied-checkpoint");
    std::fs::create_dir_all(&copy).expect("copy dir");
    for entry in std::fs::read_dir(&retained).expect("checkpoint dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), copy.join(entry.file_name())).expect("copy file");
    }
    std::fs::remove_dir_all(&checkpoints).expect("remove the original");

    let env = job(&checkpoints, &out, 3, None);
    env.set_config("execution.savepoint.path", copy.display().to_string());
    let result = env.execute("restored from a copy").expect("the restored job runs");
    assert_eq!(result.status, JobStatus::Finished);
    assert_eq!(common::committed_lines(&out), expected());
}
