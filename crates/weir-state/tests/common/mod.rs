//! Helpers shared by the `storage_*` tests: a job, checkpoints written through
//! [`FsCheckpointStorage`] with exclusive, shared and task-owned files, and byte surgery on files.

#![allow(dead_code)]

use std::fs;
use std::path::Path;
use weir_checkpoint::{
    CheckpointId, FileScope, Metadata, OpaqueBytes, OperatorState, RelativePath, SnapshotKind, SnapshotLocation,
    StateFile, SubtaskState,
};
use weir_core::{JobId, KeyGroupRange, OperatorUid, SubtaskIndex};
use weir_state::storage::FsCheckpointStorage;

pub const JOB: JobId =
    JobId([0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0]);
pub const MAX_PARALLELISM: u32 = 128;

pub fn checkpoint(id: u64) -> SnapshotLocation {
    SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(id) }
}

/// The state bytes of subtask `subtask` of checkpoint `id`: distinct per checkpoint and subtask.
pub fn state_bytes(id: u64, subtask: usize) -> Vec<u8> {
    format!("checkpoint {id}, subtask {subtask}: ").bytes().chain((0..1000u32).map(|i| (i % 251) as u8)).collect()
}

/// Metadata of a job with a source (split positions only) and a keyed operator of parallelism 2,
/// subtask `i` owning `files[i]`.
pub fn metadata(id: u64, kind: SnapshotKind, files: [Vec<StateFile>; 2]) -> Metadata {
    let [files_0, files_1] = files;
    Metadata {
        job_id: JOB,
        checkpoint_id: CheckpointId(id),
        timestamp: 1_735_689_600_000 + id as i64,
        kind,
        max_parallelism: MAX_PARALLELISM,
        operators: vec![
            OperatorState {
                uid: OperatorUid("source".into()),
                parallelism: 1,
                subtasks: vec![SubtaskState {
                    subtask: SubtaskIndex(0),
                    files: vec![],
                    source_splits: Some(OpaqueBytes(id.to_le_bytes().to_vec())),
                }],
            },
            OperatorState {
                uid: OperatorUid("counter".into()),
                parallelism: 2,
                subtasks: vec![
                    SubtaskState { subtask: SubtaskIndex(0), files: files_0, source_splits: None },
                    SubtaskState { subtask: SubtaskIndex(1), files: files_1, source_splits: None },
                ],
            },
        ],
    }
}

pub fn key_groups(subtask: usize) -> Option<KeyGroupRange> {
    Some(KeyGroupRange::for_subtask(MAX_PARALLELISM as usize, 2, subtask))
}

/// Writes a complete checkpoint with one exclusive file per subtask of the keyed operator.
pub fn write_checkpoint(storage: &FsCheckpointStorage, id: u64) -> Metadata {
    let location = checkpoint(id);
    let file = |subtask: usize| {
        let name = format!("counter/{subtask}.state");
        storage.write_exclusive_file(&location, &name, &state_bytes(id, subtask), key_groups(subtask)).expect("write")
    };
    let metadata = metadata(id, SnapshotKind::Checkpoint, [vec![file(0)], vec![file(1)]]);
    storage.write_metadata(&location, &metadata).expect("write _metadata");
    metadata
}

/// Writes a file of scope `scope` (shared or task-owned) the way an incremental backend or a sink
/// would, and describes it.
pub fn write_job_file(storage: &FsCheckpointStorage, scope: FileScope, path: &str, bytes: &[u8]) -> StateFile {
    let base = match scope {
        FileScope::Shared => storage.shared_dir(),
        FileScope::TaskOwned => storage.task_owned_dir(),
        FileScope::Exclusive => panic!("exclusive files go through write_exclusive_file"),
    };
    let relative = RelativePath::new(path).expect("valid");
    let on_disk = relative.to_path_under(&base);
    fs::create_dir_all(on_disk.parent().expect("parent")).expect("mkdir");
    fs::write(&on_disk, bytes).expect("write");
    StateFile { path: relative, scope, size: bytes.len() as u64, crc32c: crc32c::crc32c(bytes), key_groups: None }
}

/// Flips every bit of the byte at `offset` (negative: from the end).
pub fn flip_byte(path: &Path, offset: isize) {
    let mut bytes = fs::read(path).expect("read");
    let at = if offset < 0 { bytes.len() - offset.unsigned_abs() } else { offset as usize };
    bytes[at] ^= 0xff;
    fs::write(path, bytes).expect("write");
}

/// Cuts `n` bytes off the end of a file.
pub fn truncate_by(path: &Path, n: usize) {
    let bytes = fs::read(path).expect("read");
    fs::write(path, &bytes[..bytes.len() - n]).expect("write");
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Every file under `dir`, relative to it, with `/` separators, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    weir_testkit::files_under(dir).expect("list the directory")
}
