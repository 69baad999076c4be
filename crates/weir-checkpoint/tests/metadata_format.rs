//! The `_metadata` format against files checked in under `testdata/checkpoint-format/`: every
//! format version ever written must stay readable (DESIGN §7), so a change to the format can
//! never silently strand a user's checkpoint or savepoint.
//!
//! The fixtures were written once by the v1 encoder and are never regenerated. A new format
//! version adds its own `v<N>/` directory and test here; the old ones stay.

use weir_checkpoint::metadata::{self, CURRENT_VERSION, MAGIC};
use weir_checkpoint::*;
use weir_core::{JobId, KeyGroupRange, OperatorUid, SubtaskIndex};

const V1_CHECKPOINT: &[u8] = include_bytes!("../../../testdata/checkpoint-format/v1/_metadata");
const V1_SAVEPOINT: &[u8] = include_bytes!("../../../testdata/checkpoint-format/v1/savepoint/_metadata");

fn file(path: &str, scope: FileScope, size: u64, crc32c: u32, key_groups: Option<(u32, u32)>) -> StateFile {
    StateFile {
        path: RelativePath::new(path).expect("valid"),
        scope,
        size,
        crc32c,
        key_groups: key_groups.map(|(start, end)| KeyGroupRange { start, end }),
    }
}

/// What the v1 checkpoint fixture says: a job of a source (parallelism 1), a keyed window
/// operator (parallelism 2, exclusive and shared files) and a sink with operator state.
fn v1_checkpoint() -> Metadata {
    Metadata {
        job_id: JobId([0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0]),
        checkpoint_id: CheckpointId(42),
        timestamp: 1_735_689_600_000,
        kind: SnapshotKind::Checkpoint,
        max_parallelism: 128,
        operators: vec![
            OperatorState {
                uid: OperatorUid("clicks-source".into()),
                parallelism: 1,
                subtasks: vec![SubtaskState {
                    subtask: SubtaskIndex(0),
                    files: vec![],
                    source_splits: Some(OpaqueBytes(vec![0x01, 0x00, 0xff, 0x7f, 0x80])),
                }],
            },
            OperatorState {
                uid: OperatorUid("views-per-page ✓".into()),
                parallelism: 2,
                subtasks: vec![
                    SubtaskState {
                        subtask: SubtaskIndex(0),
                        files: vec![
                            file("views-0.state", FileScope::Exclusive, 1_234, 0x1234_5678, Some((0, 64))),
                            file("views/000012.sst", FileScope::Shared, 65_536, 0x9abc_def0, Some((0, 64))),
                        ],
                        source_splits: None,
                    },
                    SubtaskState {
                        subtask: SubtaskIndex(1),
                        files: vec![file("views-1.state", FileScope::Exclusive, 987, 0x0bad_f00d, Some((64, 128)))],
                        source_splits: None,
                    },
                ],
            },
            OperatorState {
                uid: OperatorUid("file-sink".into()),
                parallelism: 1,
                subtasks: vec![SubtaskState {
                    subtask: SubtaskIndex(0),
                    files: vec![file("sink/pending-0", FileScope::TaskOwned, 0, 0, None)],
                    source_splits: None,
                }],
            },
        ],
    }
}

/// The v1 savepoint fixture: self-contained, one operator.
fn v1_savepoint() -> Metadata {
    Metadata {
        job_id: JobId([0xab; 16]),
        checkpoint_id: CheckpointId(7),
        timestamp: 1_735_700_000_000,
        kind: SnapshotKind::Savepoint,
        max_parallelism: 4,
        operators: vec![OperatorState {
            uid: OperatorUid("counts".into()),
            parallelism: 4,
            subtasks: vec![SubtaskState {
                subtask: SubtaskIndex(3),
                files: vec![file("counts-3.state", FileScope::Exclusive, 10, 0xffff_ffff, Some((3, 4)))],
                source_splits: None,
            }],
        }],
    }
}

#[test]
fn v1_checkpoint_fixture_is_readable() {
    assert_eq!(&V1_CHECKPOINT[..8], MAGIC);
    assert_eq!(V1_CHECKPOINT[8..12], 1u32.to_le_bytes(), "the fixture is format version 1");
    assert_eq!(metadata::decode(V1_CHECKPOINT).expect("v1 stays readable"), v1_checkpoint());
}

#[test]
fn v1_savepoint_fixture_is_readable() {
    assert_eq!(metadata::decode(V1_SAVEPOINT).expect("v1 stays readable"), v1_savepoint());
}

#[test]
fn while_v1_is_current_the_encoder_writes_the_fixture_byte_for_byte() {
    // A change to the body without a new format version would strand old readers: bump
    // CURRENT_VERSION instead (and this test then stops applying).
    if CURRENT_VERSION == 1 {
        assert_eq!(metadata::encode(&v1_checkpoint()).expect("encode"), V1_CHECKPOINT);
        assert_eq!(metadata::encode(&v1_savepoint()).expect("encode"), V1_SAVEPOINT);
    }
}

#[test]
fn every_truncation_of_the_fixture_is_detected() {
    for len in 0..V1_CHECKPOINT.len() {
        let err = metadata::decode(&V1_CHECKPOINT[..len]).expect_err("truncated");
        assert!(
            matches!(err, CheckpointError::MetadataTooShort { .. } | CheckpointError::MetadataTruncated { .. }),
            "{len}: {err}"
        );
    }
}

#[test]
fn every_flipped_bit_of_the_fixture_is_detected() {
    let mut bytes = V1_CHECKPOINT.to_vec();
    for i in 0..bytes.len() {
        for bit in 0..8 {
            bytes[i] ^= 1 << bit;
            assert!(metadata::decode(&bytes).is_err(), "flipping bit {bit} of byte {i} went unnoticed");
            bytes[i] ^= 1 << bit;
        }
    }
}

#[test]
fn the_fixture_resolves_its_files_inside_its_directories() {
    let metadata = metadata::decode(V1_CHECKPOINT).expect("decode");
    let location = SnapshotLocation::Checkpoint { job_id: metadata.job_id, id: metadata.checkpoint_id };
    let job = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let paths: Vec<String> =
        metadata.files().map(|(_, _, f)| location.state_file_path(f).expect("resolves").to_string()).collect();
    assert_eq!(
        paths,
        vec![
            format!("{job}/chk-42/views-0.state"),
            format!("{job}/shared/views/000012.sst"),
            format!("{job}/chk-42/views-1.state"),
            format!("{job}/taskowned/sink/pending-0"),
        ]
    );
}
