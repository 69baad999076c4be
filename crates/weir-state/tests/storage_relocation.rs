//! Paths in `_metadata` are relative, so a job directory or savepoint copied to another place
//! restores from there, with nothing read from the original place (DESIGN §7).

mod common;

use common::*;
use std::fs;
use weir_checkpoint::{FileScope, SnapshotKind, SnapshotLocation, paths};
use weir_state::storage::{FsCheckpointStorage, find_latest_restorable, load_snapshot};

#[test]
fn a_copied_job_directory_restores_from_its_new_place() {
    let original = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(original.path(), JOB);
    write_checkpoint(&storage, 1);
    let location = checkpoint(2);
    let exclusive =
        storage.write_exclusive_file(&location, "counter/0.state", &state_bytes(2, 0), key_groups(0)).expect("write");
    let shared = write_job_file(&storage, FileScope::Shared, "counter/000001.sst", b"shared sst");
    let task_owned = write_job_file(&storage, FileScope::TaskOwned, "sink/pending", b"pending");
    let metadata =
        metadata(2, SnapshotKind::Checkpoint, [vec![exclusive.clone(), shared.clone()], vec![task_owned.clone()]]);
    storage.write_metadata(&location, &metadata).expect("write _metadata");

    let elsewhere = tempfile::tempdir().expect("tempdir");
    let moved_job_dir = elsewhere.path().join("restored-here");
    copy_dir(&storage.job_dir(), &moved_job_dir);
    fs::remove_dir_all(storage.job_dir()).expect("the original is gone");

    let (latest, skipped) = find_latest_restorable(&moved_job_dir).expect("find");
    assert!(skipped.is_empty(), "{skipped:?}");
    let loaded = latest.expect("checkpoint 2");
    assert_eq!(loaded.metadata, metadata);
    assert_eq!(loaded.dir(), moved_job_dir.join("chk-2"));
    assert_eq!(loaded.read_file(&exclusive).expect("exclusive"), state_bytes(2, 0));
    assert_eq!(loaded.read_file(&shared).expect("shared"), b"shared sst");
    assert_eq!(loaded.read_file(&task_owned).expect("task-owned"), b"pending");
    assert!(loaded.file_path(&shared).expect("path").starts_with(&moved_job_dir));

    let by_path = load_snapshot(&moved_job_dir.join("chk-1").join("_metadata")).expect("load by path");
    assert_eq!(by_path.metadata.checkpoint_id.0, 1);
}

#[test]
fn a_copied_savepoint_restores_from_its_new_place() {
    let original = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(original.path(), JOB);
    let location = SnapshotLocation::Savepoint { dir: paths::savepoint_dir_name(JOB, 7) };
    let file =
        storage.write_exclusive_file(&location, "counter/0.state", &state_bytes(7, 0), key_groups(0)).expect("write");
    let metadata = metadata(7, SnapshotKind::Savepoint, [vec![file.clone()], vec![]]);
    storage.write_metadata(&location, &metadata).expect("write _metadata");

    let elsewhere = tempfile::tempdir().expect("tempdir");
    let moved = elsewhere.path().join("my-savepoint");
    copy_dir(&storage.location_dir(&location), &moved);
    fs::remove_dir_all(original.path()).expect("the original is gone");

    let loaded = load_snapshot(&moved).expect("load");
    assert_eq!(loaded.metadata, metadata);
    assert_eq!(loaded.read_file(&file).expect("read"), state_bytes(7, 0));
}
