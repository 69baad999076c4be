//! Automatic recovery picks the newest intact checkpoint: it falls back over incomplete and
//! corrupt newer ones and reports each one it skipped, with the reason (DESIGN §7).

mod common;

use common::*;
use std::fs;
use weir_checkpoint::CheckpointId;
use weir_state::storage::{FsCheckpointStorage, StorageError, find_latest_restorable};

#[test]
fn the_newest_intact_checkpoint_is_chosen() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    for id in [1, 2, 10] {
        write_checkpoint(&storage, id);
    }
    fs::create_dir_all(storage.shared_dir()).expect("mkdir");
    fs::create_dir_all(storage.job_dir().join("chk-x")).expect("mkdir");
    let (latest, skipped) = find_latest_restorable(&storage.job_dir()).expect("find");
    let latest = latest.expect("a checkpoint");
    assert_eq!(latest.metadata.checkpoint_id, CheckpointId(10), "10 is newer than 2, numerically");
    assert_eq!(latest.dir(), storage.location_dir(&checkpoint(10)));
    assert!(skipped.is_empty(), "{skipped:?}");
}

#[test]
fn falls_back_over_an_incomplete_and_a_corrupt_checkpoint() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    write_checkpoint(&storage, 1);
    let good = write_checkpoint(&storage, 2);
    write_checkpoint(&storage, 3);
    flip_byte(&storage.location_dir(&checkpoint(3)).join("counter").join("0.state"), 5);
    // Checkpoint 4 died before its _metadata was written.
    storage.write_exclusive_file(&checkpoint(4), "counter/0.state", b"partial", None).expect("write");

    let (latest, skipped) = find_latest_restorable(&storage.job_dir()).expect("find");
    let latest = latest.expect("checkpoint 2");
    assert_eq!(latest.metadata, good);
    assert_eq!(latest.read_file(&good.operators[1].subtasks[1].files[0]).expect("read"), state_bytes(2, 1));

    let reasons: Vec<(u64, String)> = skipped.iter().map(|s| (s.id.0, s.to_string())).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert_eq!(skipped[0].dir, storage.location_dir(&checkpoint(4)));
    assert!(matches!(skipped[0].reason, StorageError::Incomplete { .. }), "{reasons:?}");
    assert!(reasons[0].1.contains("chk-4") && reasons[0].1.contains("incomplete"), "{reasons:?}");
    assert_eq!(skipped[1].dir, storage.location_dir(&checkpoint(3)));
    assert!(matches!(skipped[1].reason, StorageError::StateFileChecksum { .. }), "{reasons:?}");
    assert!(reasons[1].1.contains("chk-3") && reasons[1].1.contains("0.state"), "{reasons:?}");
}

#[test]
fn a_corrupt_newest_metadata_falls_back_too() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    write_checkpoint(&storage, 1);
    write_checkpoint(&storage, 2);
    truncate_by(&storage.location_dir(&checkpoint(2)).join("_metadata"), 3);
    let (latest, skipped) = find_latest_restorable(&storage.job_dir()).expect("find");
    assert_eq!(latest.expect("checkpoint 1").metadata.checkpoint_id, CheckpointId(1));
    assert_eq!(skipped.len(), 1);
    assert!(skipped[0].to_string().contains("truncated"), "{}", skipped[0]);
}

#[test]
fn metadata_in_the_wrong_directory_is_not_trusted() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    write_checkpoint(&storage, 1);
    write_checkpoint(&storage, 2);
    common::copy_dir(&storage.location_dir(&checkpoint(2)), &storage.job_dir().join("chk-5"));
    let (latest, skipped) = find_latest_restorable(&storage.job_dir()).expect("find");
    assert_eq!(latest.expect("checkpoint 2").metadata.checkpoint_id, CheckpointId(2));
    assert_eq!(skipped.len(), 1);
    assert!(matches!(skipped[0].reason, StorageError::Misplaced { .. }), "{}", skipped[0]);
    assert!(skipped[0].to_string().contains("describes checkpoint 2"), "{}", skipped[0]);
}

#[test]
fn none_when_there_is_nothing_to_restore() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let (latest, skipped) = find_latest_restorable(&storage.job_dir()).expect("missing job dir");
    assert!(latest.is_none() && skipped.is_empty());

    write_checkpoint(&storage, 1);
    fs::remove_file(storage.location_dir(&checkpoint(1)).join("_metadata")).expect("rm");
    let (latest, skipped) = find_latest_restorable(&storage.job_dir()).expect("find");
    assert!(latest.is_none());
    assert_eq!(skipped.iter().map(|s| s.id.0).collect::<Vec<_>>(), [1]);
}
