//! Writing a checkpoint or savepoint through `FsCheckpointStorage` and loading it back: the exact
//! layout of DESIGN §7, no temporary file left behind, and every kind of state file readable.

mod common;

use common::*;
use std::fs;
use weir_checkpoint::{FileScope, SnapshotKind, SnapshotLocation, paths};
use weir_state::storage::{FsCheckpointStorage, load_snapshot};

#[test]
fn a_checkpoint_round_trips_through_the_filesystem() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let location = checkpoint(3);
    let exclusive =
        storage.write_exclusive_file(&location, "counter/0.state", &state_bytes(3, 0), key_groups(0)).expect("write");
    let shared = write_job_file(&storage, FileScope::Shared, "counter/000012.sst", b"an immutable sst");
    let task_owned = write_job_file(&storage, FileScope::TaskOwned, "sink/pending-0", b"staged output");
    let empty = storage.write_exclusive_file(&location, "counter/1.state", b"", key_groups(1)).expect("write empty");
    let metadata = metadata(
        3,
        SnapshotKind::Checkpoint,
        [vec![exclusive.clone(), shared.clone()], vec![empty.clone(), task_owned.clone()]],
    );
    storage.write_metadata(&location, &metadata).expect("write _metadata");

    for path in [storage.location_dir(&location), storage.location_dir(&location).join("_metadata")] {
        let loaded = load_snapshot(&path).expect("load");
        assert_eq!(loaded.metadata, metadata);
        assert_eq!(loaded.dir(), storage.location_dir(&location));
        assert_eq!(loaded.read_file(&exclusive).expect("exclusive"), state_bytes(3, 0));
        assert_eq!(loaded.read_file(&shared).expect("shared"), b"an immutable sst");
        assert_eq!(loaded.read_file(&task_owned).expect("task-owned"), b"staged output");
        assert_eq!(loaded.read_file(&empty).expect("empty"), b"");
    }
}

#[test]
fn the_layout_is_exactly_job_id_then_chk_n_then_metadata() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    write_checkpoint(&storage, 1);
    write_checkpoint(&storage, 2);

    let job = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    assert_eq!(storage.job_dir(), base.path().join(job));
    assert_eq!(
        files_under(base.path()),
        [
            format!("{job}/chk-1/_metadata"),
            format!("{job}/chk-1/counter/0.state"),
            format!("{job}/chk-1/counter/1.state"),
            format!("{job}/chk-2/_metadata"),
            format!("{job}/chk-2/counter/0.state"),
            format!("{job}/chk-2/counter/1.state"),
        ],
        "nothing else, in particular no _metadata.inprogress"
    );
    let metadata =
        weir_checkpoint::metadata::decode(&fs::read(base.path().join(job).join("chk-2/_metadata")).expect("read"))
            .expect("decodes");
    assert_eq!(metadata.checkpoint_id.0, 2);
}

#[test]
fn metadata_paths_are_relative() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let metadata = write_checkpoint(&storage, 1);
    let names: Vec<&str> = metadata.files().map(|(_, _, file)| file.path.as_str()).collect();
    assert_eq!(names, ["counter/0.state", "counter/1.state"]);
    let raw = fs::read(storage.location_dir(&checkpoint(1)).join("_metadata")).expect("read");
    let base_text = base.path().to_string_lossy().into_owned();
    assert!(!String::from_utf8_lossy(&raw).contains(&base_text), "_metadata must not contain the absolute base");
}

#[test]
fn a_savepoint_is_self_contained_under_the_savepoints_dir() {
    let checkpoints = tempfile::tempdir().expect("tempdir");
    let savepoints = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(checkpoints.path(), JOB).with_savepoints_dir(savepoints.path());
    let location = SnapshotLocation::Savepoint { dir: paths::savepoint_dir_name(JOB, 0xfeed) };
    let file = |subtask| {
        let name = format!("counter-{subtask}.state");
        storage.write_exclusive_file(&location, &name, &state_bytes(9, subtask), key_groups(subtask)).expect("write")
    };
    let metadata = metadata(9, SnapshotKind::Savepoint, [vec![file(0)], vec![file(1)]]);
    storage.write_metadata(&location, &metadata).expect("write _metadata");

    assert_eq!(
        files_under(savepoints.path()),
        [
            "savepoint-0f1e2d-00000000feed/_metadata",
            "savepoint-0f1e2d-00000000feed/counter-0.state",
            "savepoint-0f1e2d-00000000feed/counter-1.state"
        ]
    );
    assert!(files_under(checkpoints.path()).is_empty());
    let loaded = load_snapshot(&savepoints.path().join("savepoint-0f1e2d-00000000feed")).expect("load");
    assert_eq!(loaded.metadata, metadata);
    assert_eq!(loaded.read_file(&metadata.operators[1].subtasks[1].files[0]).expect("read"), state_bytes(9, 1));
}

#[test]
fn read_file_checks_again_what_changed_after_loading() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let metadata = write_checkpoint(&storage, 1);
    let loaded = load_snapshot(&storage.location_dir(&checkpoint(1))).expect("load");
    let file = &metadata.operators[1].subtasks[0].files[0];
    let path = loaded.file_path(file).expect("path");
    flip_byte(&path, 0);
    let err = loaded.read_file(file).expect_err("corrupt").to_string();
    assert!(err.contains("checksum mismatch") && err.contains(&path.display().to_string()), "{err}");
}
