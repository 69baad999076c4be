//! Every way a checkpoint on disk can be damaged is detected by `load_snapshot`, with an error
//! naming the damaged file and what is wrong with it (DESIGN §7: a corrupt or incomplete
//! checkpoint is never restored).

mod common;

use common::*;
use std::fs;
use std::path::PathBuf;
use weir_checkpoint::metadata::{CURRENT_VERSION, MAGIC};
use weir_checkpoint::{CheckpointError, FileScope, SnapshotKind};
use weir_state::storage::{FsCheckpointStorage, StorageError, load_snapshot, open_snapshot};

/// A job with checkpoint 1 written; returns the storage, the tempdir guard and `_metadata`'s path.
fn written() -> (FsCheckpointStorage, tempfile::TempDir, PathBuf) {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    write_checkpoint(&storage, 1);
    let metadata_path = storage.location_dir(&checkpoint(1)).join("_metadata");
    (storage, base, metadata_path)
}

fn state_file(storage: &FsCheckpointStorage, subtask: usize) -> PathBuf {
    storage.location_dir(&checkpoint(1)).join("counter").join(format!("{subtask}.state"))
}

fn load_error(storage: &FsCheckpointStorage) -> StorageError {
    load_snapshot(&storage.location_dir(&checkpoint(1))).expect_err("must not load")
}

fn assert_names(err: &StorageError, path: &std::path::Path, needle: &str) {
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "the error must name '{}': {message}", path.display());
    assert!(message.contains(needle), "the error must say '{needle}': {message}");
}

#[test]
fn truncated_metadata() {
    let (storage, _base, metadata_path) = written();
    truncate_by(&metadata_path, 10);
    let err = load_error(&storage);
    assert!(matches!(err, StorageError::Decode { source: CheckpointError::MetadataTruncated { .. }, .. }), "{err:?}");
    assert_names(&err, &metadata_path, "truncated");
}

#[test]
fn metadata_cut_to_a_few_bytes() {
    let (storage, _base, metadata_path) = written();
    fs::write(&metadata_path, b"WEIR").expect("write");
    let err = load_error(&storage);
    assert_names(&err, &metadata_path, "too short");
}

#[test]
fn flipped_byte_in_metadata() {
    let (storage, _base, metadata_path) = written();
    flip_byte(&metadata_path, 40);
    let err = load_error(&storage);
    assert!(
        matches!(err, StorageError::Decode { source: CheckpointError::MetadataChecksumMismatch { .. }, .. }),
        "{err:?}"
    );
    assert_names(&err, &metadata_path, "checksum mismatch");
}

#[test]
fn metadata_of_an_unknown_future_version() {
    let (storage, _base, metadata_path) = written();
    // A well-formed file in the frozen framing (magic, version, body length, body, CRC32C) of a
    // version this build does not know, as a newer weir would write it.
    let future = CURRENT_VERSION + 1;
    let body = br#"{"written_by":"a newer weir"}"#;
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&future.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(body);
    let checksum = crc32c::crc32c(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    fs::write(&metadata_path, bytes).expect("write");

    let err = load_error(&storage);
    assert!(
        matches!(err, StorageError::Decode { source: CheckpointError::MetadataUnsupportedVersion { found, .. }, .. } if found == future),
        "{err:?}"
    );
    assert_names(&err, &metadata_path, &format!("format version {future} is not supported"));
}

#[test]
fn not_a_metadata_file_at_all() {
    let (storage, _base, metadata_path) = written();
    fs::write(&metadata_path, b"{\"this is\": \"some other json file, long enough\"}").expect("write");
    assert_names(&load_error(&storage), &metadata_path, "not a weir _metadata file");
}

#[test]
fn missing_state_file() {
    let (storage, _base, _) = written();
    let path = state_file(&storage, 1);
    fs::remove_file(&path).expect("rm");
    let err = load_error(&storage);
    assert!(matches!(err, StorageError::StateFileMissing { .. }), "{err:?}");
    assert_names(&err, &path, "missing");
}

#[test]
fn missing_shared_file() {
    let base = tempfile::tempdir().expect("tempdir");
    let storage = FsCheckpointStorage::new(base.path(), JOB);
    let shared = write_job_file(&storage, FileScope::Shared, "counter/7.sst", b"sst");
    let metadata = metadata(1, SnapshotKind::Checkpoint, [vec![shared], vec![]]);
    storage.write_metadata(&checkpoint(1), &metadata).expect("write");
    load_snapshot(&storage.location_dir(&checkpoint(1))).expect("loads while the shared file is there");

    let path = storage.shared_dir().join("counter").join("7.sst");
    fs::remove_file(&path).expect("rm");
    assert_names(&load_error(&storage), &path, "missing");
}

#[test]
fn state_file_of_the_wrong_size() {
    let (storage, _base, _) = written();
    let path = state_file(&storage, 0);
    truncate_by(&path, 1);
    let err = load_error(&storage);
    let expected = state_bytes(1, 0).len() as u64;
    assert!(
        matches!(err, StorageError::StateFileSize { expected: e, actual, .. } if e == expected && actual == expected - 1),
        "{err:?}"
    );
    assert_names(&err, &path, &format!("has {} bytes, but _metadata records {expected}", expected - 1));

    let mut longer = state_bytes(1, 0);
    longer.push(0);
    fs::write(&path, longer).expect("write");
    assert_names(&load_error(&storage), &path, "truncated or corrupt");
}

#[test]
fn state_file_with_a_flipped_byte() {
    let (storage, _base, _) = written();
    let path = state_file(&storage, 1);
    flip_byte(&path, -1);
    let err = load_error(&storage);
    assert!(matches!(err, StorageError::StateFileChecksum { .. }), "{err:?}");
    assert_names(&err, &path, "checksum mismatch");
}

#[test]
fn a_checkpoint_without_metadata_is_incomplete() {
    let (storage, _base, metadata_path) = written();
    fs::rename(&metadata_path, metadata_path.with_file_name("_metadata.inprogress")).expect("rename");
    let err = load_error(&storage);
    assert!(matches!(err, StorageError::Incomplete { .. }), "{err:?}");
    assert_names(&err, &storage.location_dir(&checkpoint(1)), "incomplete");
}

#[test]
fn an_opened_snapshot_shows_every_damaged_file_not_only_the_first() {
    let (storage, _base, metadata_path) = written();
    let (first, second) = (state_file(&storage, 0), state_file(&storage, 1));
    truncate_by(&first, 1);
    flip_byte(&second, 0);
    let snapshot = open_snapshot(&storage.location_dir(&checkpoint(1))).expect("_metadata itself is intact");
    assert_eq!(snapshot.metadata_path(), metadata_path);
    assert_eq!(snapshot.format_version, CURRENT_VERSION);
    let problems: Vec<StorageError> =
        snapshot.metadata.files().filter_map(|(_, _, file)| snapshot.check_file(file).err()).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(matches!(problems[0], StorageError::StateFileSize { .. }), "{:?}", problems[0]);
    assert_names(&problems[0], &first, "truncated or corrupt");
    assert!(matches!(problems[1], StorageError::StateFileChecksum { .. }), "{:?}", problems[1]);
    assert_names(&problems[1], &second, "checksum mismatch");
    // Verifying the whole snapshot fails on the first, as loading it does.
    assert_names(&snapshot.verify().expect_err("damaged"), &first, "truncated or corrupt");
}
