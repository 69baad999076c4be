//! Restoring jobs whose keyed state lives in RocksDB (issue 6): from retained incremental
//! checkpoints at the same and at another parallelism, and across backends through savepoints
//! (which are always in the canonical format). The committed output of the stopped run and the
//! restored run together must equal an uninterrupted run's, computed here independently.
//! A `rocksdb` incremental checkpoint given to the `hashmap` backend is refused, saying what to
//! do.

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE};
use std::path::{Path, PathBuf};
use std::time::Duration;
use weir_runtime::prelude::*;
use weir_runtime::{CancelOutcome, CheckpointingMode, RetentionPolicy, SavepointStatus};
use weir_state::storage::find_latest_restorable;

const RECORDS: u64 = 200_000;
const KEYS: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    HashMap,
    RocksDb { incremental: bool },
}

/// What an uninterrupted run commits, sorted.
fn expected() -> Vec<String> {
    common::running_counts(RECORDS, KEYS)
}

/// The job on `backend`: a one-subtask source and sink around the keyed function at
/// `parallelism`, checkpoints every 10 ms retained on cancellation.
fn job(base: &Path, parallelism: usize, backend: Backend, rate: Option<f64>) -> StreamExecutionEnvironment {
    let env = common::env(parallelism);
    env.checkpoint_config()
        .set_checkpoint_interval(Duration::from_millis(10))
        .expect("interval")
        .set_checkpointing_mode(CheckpointingMode::ExactlyOnce)
        .set_externalized_checkpoint_retention(RetentionPolicy::RetainOnCancellation)
        .set_checkpoint_storage(base.join("checkpoints"))
        .expect("dir");
    if let Backend::RocksDb { incremental } = backend {
        env.set_config("state.backend.type", "rocksdb")
            .set_config("execution.checkpointing.incremental", incremental.to_string())
            .set_config("state.backend.rocksdb.localdir", base.join("rocksdb").display().to_string());
    }
    common::add_running_count_job(&env, RECORDS, KEYS, rate, &base.join("out"));
    env
}

/// Runs the job until three checkpoints completed and cancels it — with `savepoint`, with a
/// savepoint, which it returns; else it returns the newest retained checkpoint.
fn run_and_cancel(base: &Path, parallelism: usize, backend: Backend, savepoint: bool) -> PathBuf {
    // Slow enough that three checkpoints complete long before the end, even with RocksDB's
    // flushes on a loaded machine.
    let env = job(base, parallelism, backend, Some(40_000.0));
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("stopped mid-stream").expect("submitted");
    watch.wait_for_completed(3);
    // A savepoint is taken by cancelling with one (`cancel -s`): no checkpoint after it commits
    // output the restored job would write again.
    let taken = savepoint.then(|| {
        let trigger = client.cancel_with_savepoint(Some(&base.join("savepoints"))).expect("triggered");
        match client.wait_for_savepoint(&trigger, PATIENCE) {
            Some(SavepointStatus::Completed { path }) => path,
            other => panic!("the savepoint did not complete: {other:?}"),
        }
    });
    if !savepoint {
        assert_eq!(client.cancel(), CancelOutcome::Requested);
    }
    let result = client.wait_timeout(PATIENCE).expect("the job stopped").expect("cancelled, not failed");
    assert_eq!(result.status, JobStatus::Cancelled, "the job ended before it was stopped mid-stream");
    if let Some(path) = taken {
        return path;
    }
    let job_dir = base.join("checkpoints").join(result.job_id.to_string());
    let (latest, skipped) = find_latest_restorable(&job_dir).expect("readable job dir");
    assert!(skipped.is_empty(), "{skipped:?}");
    latest.expect("a retained checkpoint").dir().to_path_buf()
}

fn restore_equivalence(from: (usize, Backend), to: (usize, Backend), savepoint: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = run_and_cancel(dir.path(), from.0, from.1, savepoint);
    let env = job(dir.path(), to.0, to.1, None);
    env.set_config("execution.savepoint.path", snapshot.display().to_string());
    let result = env.execute("restored").expect("the restored job runs");
    assert_eq!(result.status, JobStatus::Finished);
    assert_eq!(
        common::committed_lines(&dir.path().join("out")),
        expected(),
        "restored {from:?} -> {to:?} from {}",
        snapshot.display()
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("rocksdb")).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(left.is_empty(), "rocksdb working directories left behind: {left:?}");
}

const INCREMENTAL: Backend = Backend::RocksDb { incremental: true };
const FULL: Backend = Backend::RocksDb { incremental: false };

#[test]
fn an_incremental_checkpoint_restores_at_the_same_parallelism() {
    restore_equivalence((2, INCREMENTAL), (2, INCREMENTAL), false);
}

#[test]
fn an_incremental_checkpoint_restores_from_2_to_4_subtasks() {
    restore_equivalence((2, INCREMENTAL), (4, INCREMENTAL), false);
}

#[test]
fn an_incremental_checkpoint_restores_from_4_to_1_subtask() {
    restore_equivalence((4, INCREMENTAL), (1, INCREMENTAL), false);
}

#[test]
fn a_full_rocksdb_checkpoint_restores_on_the_hashmap_backend_rescaled() {
    restore_equivalence((2, FULL), (3, Backend::HashMap), false);
}

#[test]
fn a_savepoint_of_the_rocksdb_backend_restores_on_the_hashmap_backend() {
    restore_equivalence((2, INCREMENTAL), (3, Backend::HashMap), true);
}

#[test]
fn a_savepoint_of_the_hashmap_backend_restores_on_the_rocksdb_backend() {
    restore_equivalence((3, Backend::HashMap), (2, INCREMENTAL), true);
}

#[test]
fn an_incremental_checkpoint_on_the_hashmap_backend_is_refused_saying_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let retained = run_and_cancel(dir.path(), 2, INCREMENTAL, false);
    let env = job(dir.path(), 2, Backend::HashMap, None);
    env.set_config("execution.savepoint.path", retained.display().to_string())
        .set_config("restart-strategy.type", "none");
    let error = format!("{:?}", env.execute("wrong backend").expect_err("the restore fails"));
    assert!(error.contains("running-count"), "names the operator: {error}");
    assert!(error.contains("state.backend.type: rocksdb") && error.contains("savepoint"), "{error}");
}
