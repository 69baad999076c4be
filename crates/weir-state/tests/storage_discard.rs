//! Deleting what retention discards: checkpoint directories completely, shared files by name,
//! savepoints never.

mod common;

use common::*;
use std::fs;
use weir_checkpoint::{FileScope, RelativePath, SnapshotKind, SnapshotLocation, paths};
use weir_state::storage::{FsCheckpointStorage, JobDirRemoval, StorageError, find_latest_restorable, load_snapshot};

#[test]
fn discarding_a_checkpoint_deletes_its_directory_completely() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    write_checkpoint(&storage, 1);
    write_checkpoint(&storage, 2);
    let shared = write_job_file(&storage, FileScope::Shared, "counter/1.sst", b"sst");

    storage.discard_location(&checkpoint(1)).expect("discard");
    assert!(!storage.location_dir(&checkpoint(1)).exists());
    load_snapshot(&storage.location_dir(&checkpoint(2))).expect("the other checkpoint is untouched");
    assert!(shared.path.to_path_under(&storage.shared_dir()).exists(), "shared files are not the directory's");
    storage.discard_location(&checkpoint(1)).expect("discarding again is fine");
    storage.discard_location(&checkpoint(99)).expect("discarding a checkpoint never written is fine");

    let (latest, skipped) = find_latest_restorable(&storage.job_dir()).expect("find");
    assert_eq!(latest.expect("checkpoint 2").metadata.checkpoint_id.0, 2);
    assert!(skipped.is_empty());
}

#[test]
fn savepoints_are_never_deleted() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let location = SnapshotLocation::Savepoint { dir: paths::savepoint_dir_name(JOB, 1) };
    let file = storage.write_exclusive_file(&location, "state", b"precious", None).expect("write");
    storage.write_metadata(&location, &metadata(1, SnapshotKind::Savepoint, [vec![file], vec![]])).expect("write");

    let err = storage.discard_location(&location).expect_err("refused");
    assert!(matches!(err, StorageError::SavepointNotDeletable { .. }), "{err:?}");
    assert!(err.to_string().contains("savepoint-0f1e2d-000000000001"), "{err}");
    load_snapshot(&storage.location_dir(&location)).expect("the savepoint is intact");
}

#[test]
fn discarding_shared_files_deletes_exactly_those() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let a = write_job_file(&storage, FileScope::Shared, "counter/a.sst", b"a");
    let b = write_job_file(&storage, FileScope::Shared, "counter/b.sst", b"b");
    let never_written = RelativePath::new("counter/gone.sst").expect("valid");
    storage.discard_shared_files(&[a.path.clone(), never_written]).expect("discard");
    assert!(!a.path.to_path_under(&storage.shared_dir()).exists());
    assert!(b.path.to_path_under(&storage.shared_dir()).exists());
}

#[test]
fn the_job_dir_is_removed_after_the_last_checkpoint_is_discarded() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    write_checkpoint(&storage, 1);
    let shared = write_job_file(&storage, FileScope::Shared, "counter/a.sst", b"a");
    assert!(matches!(storage.remove_job_dir_if_empty().expect("kept"), JobDirRemoval::Kept { .. }));
    assert!(storage.job_dir().exists());

    storage.discard_location(&checkpoint(1)).expect("discard");
    storage.discard_shared_files(&[shared.path]).expect("discard");
    assert_eq!(storage.remove_job_dir_if_empty().expect("removed"), JobDirRemoval::Removed);
    assert!(!storage.job_dir().exists());
    assert!(base.path().exists(), "the checkpoints directory itself stays");
    assert!(fs::read_dir(base.path()).expect("list").next().is_none());
}
