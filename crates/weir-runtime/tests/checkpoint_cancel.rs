//! Cancelling a checkpointed job: the checkpoint in flight is aborted and its directory deleted,
//! and `execution.checkpointing.externalized-checkpoint-retention` decides what becomes of the
//! retained ones — kept and restorable (`RETAIN_ON_CANCELLATION`), or deleted together with the
//! job's directory (`DELETE_ON_CANCELLATION`, `NO_EXTERNALIZED_CHECKPOINTS`).
//!
//! Checkpoint 3 is held in flight by a [`SnapshotGate`] while the job is cancelled, so what is
//! in flight at the cancel is known, not a matter of timing.

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE, SnapshotGate, checkpoint_dirs, job_dirs};
use std::path::{Path, PathBuf};
use std::time::Duration;
use weir_connectors::{BlackholeSink, DataGenSource};
use weir_runtime::prelude::*;
use weir_runtime::{CancelOutcome, CheckpointingMode, RetentionPolicy};
use weir_state::storage::find_latest_restorable;

const HELD: u64 = 3;

/// Runs a keyed job with two retained checkpoints and `retention`, cancels it while checkpoint 3
/// is in flight, and returns its result and job directory.
fn cancel_during_checkpoint_3(base: &Path, retention: RetentionPolicy) -> (JobExecutionResult, PathBuf) {
    let env = common::env(2);
    env.checkpoint_config()
        .set_checkpoint_interval(Duration::from_millis(10))
        .expect("interval")
        .set_checkpointing_mode(CheckpointingMode::ExactlyOnce)
        .set_externalized_checkpoint_retention(retention)
        .set_num_retained_checkpoints(2)
        .expect("retained")
        .set_checkpoint_storage(base)
        .expect("dir");
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let gate = SnapshotGate::holding(HELD);
    env.from_source(DataGenSource::new(|i| i % 101).with_rate_limit(50_000.0), "numbers")
        .key_by(|x: &u64| *x)
        .reduce(|a, b| a + b)
        .transform("Gate", gate.clone())
        .disable_chaining()
        .sink_to(BlackholeSink::new());
    let client = env.execute_async("cancelled with a checkpoint in flight").expect("submitted");

    // Checkpoints are triggered one at a time: both instances holding 3 means 1 and 2 completed.
    gate.wait_until_held(2);
    assert_eq!(watch.completed(), HELD - 1);
    assert_eq!(client.cancel(), CancelOutcome::Requested);
    gate.release();
    let result = client.wait_timeout(PATIENCE).expect("the job stopped").expect("cancelled, not failed");
    assert_eq!(result.status, JobStatus::Cancelled);
    assert_eq!(watch.completed(), HELD - 1, "the held checkpoint never completed");

    let completed: Vec<u64> = result.checkpoints.iter().filter(|c| c.completed).map(|c| c.id).collect();
    assert_eq!(completed, [1, 2], "{:?}", result.checkpoints);
    let held = result.checkpoints.iter().find(|c| c.id == HELD).expect("the held checkpoint is in the history");
    assert!(!held.completed && held.failure.as_deref() == Some("the job ended"), "{held:?}");
    assert_eq!(result.checkpoints.len(), 3, "nothing was triggered after the cancel: {:?}", result.checkpoints);
    let job_dir = base.join(result.job_id.to_string());
    (result, job_dir)
}

#[test]
fn retain_on_cancellation_keeps_the_retained_checkpoints_restorable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_result, job_dir) = cancel_during_checkpoint_3(dir.path(), RetentionPolicy::RetainOnCancellation);
    assert_eq!(checkpoint_dirs(&job_dir), [(1, true), (2, true)], "the aborted checkpoint 3 left nothing");
    let (latest, skipped) = find_latest_restorable(&job_dir).expect("the job directory lists");
    let latest = latest.expect("a restorable checkpoint");
    assert_eq!(latest.metadata.checkpoint_id.0, 2);
    assert!(skipped.is_empty(), "{skipped:?}");
    assert!(!latest.metadata.operators.is_empty());
}

#[test]
fn delete_on_cancellation_deletes_the_job_s_checkpoint_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_result, job_dir) = cancel_during_checkpoint_3(dir.path(), RetentionPolicy::DeleteOnCancellation);
    assert!(!job_dir.exists(), "{} is left: {:?}", job_dir.display(), checkpoint_dirs(&job_dir));
    assert_eq!(job_dirs(dir.path()), Vec::<PathBuf>::new());
}

#[test]
fn no_externalized_checkpoints_are_deleted_on_cancellation_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_result, job_dir) = cancel_during_checkpoint_3(dir.path(), RetentionPolicy::NoExternalizedCheckpoints);
    assert!(!job_dir.exists(), "{} is left: {:?}", job_dir.display(), checkpoint_dirs(&job_dir));
}

/// Savepoints and anything else under the checkpoint directory belong to others: only the
/// cancelled job's own directory goes.
#[test]
fn delete_on_cancellation_leaves_other_directories_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let savepoint = dir.path().join("savepoint-0123ab-cdef");
    std::fs::create_dir_all(&savepoint).expect("a savepoint directory");
    std::fs::write(savepoint.join("_metadata"), b"not looked at").expect("its _metadata");
    let other_job = dir.path().join("00000000000000000000000000000001").join("chk-7");
    std::fs::create_dir_all(&other_job).expect("another job's checkpoint");
    let (_result, job_dir) = cancel_during_checkpoint_3(dir.path(), RetentionPolicy::DeleteOnCancellation);
    assert!(!job_dir.exists());
    assert!(savepoint.join("_metadata").exists() && other_job.exists());
}
