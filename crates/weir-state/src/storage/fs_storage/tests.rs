use super::*;
use weir_checkpoint::{CheckpointId, OperatorState, SubtaskState};
use weir_core::{OperatorUid, SubtaskIndex};

const JOB: JobId = JobId([0x5a; 16]);

fn checkpoint(id: u64) -> SnapshotLocation {
    SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(id) }
}

fn metadata(id: u64, kind: SnapshotKind, files: Vec<StateFile>) -> Metadata {
    Metadata {
        job_id: JOB,
        checkpoint_id: CheckpointId(id),
        timestamp: 1_700_000_000_000,
        kind,
        max_parallelism: 128,
        operators: vec![OperatorState {
            uid: OperatorUid("counter".into()),
            parallelism: 1,
            subtasks: vec![SubtaskState { subtask: SubtaskIndex(0), files, source_splits: None }],
        }],
    }
}

#[test]
fn locations_resolve_under_their_base() {
    let storage = FsCheckpointStorage::new("/ckpts", JOB);
    let job = JOB.to_string();
    assert_eq!(storage.job_dir(), Path::new(&format!("/ckpts/{job}")));
    assert_eq!(storage.shared_dir(), Path::new(&format!("/ckpts/{job}/shared")));
    assert_eq!(storage.task_owned_dir(), Path::new(&format!("/ckpts/{job}/taskowned")));
    assert_eq!(storage.location_dir(&checkpoint(7)), Path::new(&format!("/ckpts/{job}/chk-7")));
    let savepoint = SnapshotLocation::Savepoint { dir: paths::savepoint_dir_name(JOB, 1) };
    assert_eq!(storage.location_dir(&savepoint), Path::new("/ckpts/savepoint-5a5a5a-000000000001"));
    let storage = storage.with_savepoints_dir("/savepoints");
    assert_eq!(storage.location_dir(&savepoint), Path::new("/savepoints/savepoint-5a5a5a-000000000001"));
    assert_eq!(storage.location_dir(&checkpoint(7)), Path::new(&format!("/ckpts/{job}/chk-7")));
}

#[test]
fn exclusive_files_are_described_as_written_and_never_overwritten() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let range = Some(KeyGroupRange { start: 0, end: 64 });
    let file = storage.write_exclusive_file(&checkpoint(1), "op/0.state", b"hello", range).expect("write");
    assert_eq!(file.path.as_str(), "op/0.state");
    assert_eq!(
        (file.scope, file.size, file.crc32c, file.key_groups),
        (FileScope::Exclusive, 5, crc32c::crc32c(b"hello"), range)
    );
    let on_disk = storage.location_dir(&checkpoint(1)).join("op").join("0.state");
    assert_eq!(std::fs::read(on_disk).expect("read"), b"hello");
    let again = storage.write_exclusive_file(&checkpoint(1), "op/0.state", b"other", None).expect_err("twice");
    assert!(matches!(again, StorageError::AlreadyExists { .. }), "{again}");
}

#[test]
fn file_names_must_be_relative_and_not_the_metadata() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    for (name, needle) in [("../escape", "'..'"), ("/abs", "absolute"), ("_metadata", "reserved"), ("", "empty")] {
        let err = storage.write_exclusive_file(&checkpoint(1), name, b"x", None).expect_err(name).to_string();
        assert!(err.contains(needle) && err.contains("cannot write state file"), "{name}: {err}");
    }
    assert!(!base.path().join("escape").exists());
}

#[test]
fn metadata_must_belong_to_its_location() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let cases = [
        (checkpoint(2), metadata(3, SnapshotKind::Checkpoint, vec![]), "checkpoint 3"),
        (checkpoint(2), metadata(2, SnapshotKind::Savepoint, vec![]), "of a savepoint"),
        (
            SnapshotLocation::Savepoint { dir: paths::savepoint_dir_name(JOB, 2) },
            metadata(2, SnapshotKind::Checkpoint, vec![]),
            "of a checkpoint",
        ),
    ];
    for (location, metadata, needle) in cases {
        let err = storage.write_metadata(&location, &metadata).expect_err(needle);
        assert!(matches!(err, StorageError::LocationMismatch { .. }) && err.to_string().contains(needle), "{err}");
    }
    let mut other_job = metadata(2, SnapshotKind::Checkpoint, vec![]);
    other_job.job_id = JobId([1; 16]);
    assert!(storage.write_metadata(&checkpoint(2), &other_job).is_err());
    let mut invalid = metadata(2, SnapshotKind::Checkpoint, vec![]);
    invalid.max_parallelism = 0;
    let err = storage.write_metadata(&checkpoint(2), &invalid).expect_err("invalid");
    assert!(matches!(err, StorageError::Encode { .. }), "{err}");
    assert!(!storage.location_dir(&checkpoint(2)).join(METADATA_FILE_NAME).exists());
}

#[test]
fn metadata_is_written_once() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let metadata = metadata(4, SnapshotKind::Checkpoint, vec![]);
    storage.write_metadata(&checkpoint(4), &metadata).expect("first");
    let err = storage.write_metadata(&checkpoint(4), &metadata).expect_err("second");
    assert!(matches!(err, StorageError::AlreadyExists { .. }), "{err}");
}

#[test]
fn the_job_dir_goes_only_when_no_checkpoint_and_no_task_owned_file_is_left() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    assert_eq!(storage.remove_job_dir_if_empty().expect("missing"), JobDirRemoval::Missing);

    storage.write_exclusive_file(&checkpoint(1), "a", b"a", None).expect("write");
    let kept = storage.remove_job_dir_if_empty().expect("kept");
    assert!(matches!(&kept, JobDirRemoval::Kept { reason } if reason.contains("chk-1")), "{kept:?}");
    storage.discard_location(&checkpoint(1)).expect("discard");

    let task_owned = storage.task_owned_dir().join("sink");
    std::fs::create_dir_all(&task_owned).expect("mkdir");
    std::fs::write(task_owned.join("pending-0"), b"p").expect("write");
    std::fs::create_dir_all(storage.shared_dir().join("op")).expect("mkdir");
    std::fs::write(storage.shared_dir().join("op").join("1.sst"), b"s").expect("write");
    let kept = storage.remove_job_dir_if_empty().expect("kept");
    assert!(matches!(&kept, JobDirRemoval::Kept { reason } if reason.contains("task-owned")), "{kept:?}");

    std::fs::remove_file(task_owned.join("pending-0")).expect("rm");
    assert_eq!(storage.remove_job_dir_if_empty().expect("removed"), JobDirRemoval::Removed);
    assert!(!storage.job_dir().exists());

    std::fs::create_dir_all(storage.job_dir()).expect("mkdir");
    std::fs::write(storage.job_dir().join("notes.txt"), b"mine").expect("write");
    let kept = storage.remove_job_dir_if_empty().expect("kept");
    assert!(matches!(&kept, JobDirRemoval::Kept { reason } if reason.contains("notes.txt")), "{kept:?}");
}
