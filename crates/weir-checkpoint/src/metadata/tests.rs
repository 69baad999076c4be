//! Round trips and corruption of the `_metadata` format.

use super::format::{MIN_LEN, frame};
use super::*;
use proptest::prelude::*;

pub(crate) fn sample() -> Metadata {
    let file = |path: &str, scope, size, key_groups| StateFile {
        path: RelativePath::new(path).expect("valid"),
        scope,
        size,
        crc32c: 0xdead_beef,
        key_groups,
    };
    Metadata {
        job_id: JobId([0x5a; 16]),
        checkpoint_id: CheckpointId(7),
        timestamp: 1_700_000_000_000,
        kind: SnapshotKind::Checkpoint,
        max_parallelism: 128,
        operators: vec![
            OperatorState {
                uid: OperatorUid("source".into()),
                parallelism: 1,
                subtasks: vec![SubtaskState {
                    subtask: SubtaskIndex(0),
                    files: vec![],
                    source_splits: Some(OpaqueBytes(vec![1, 2, 3, 0xff])),
                }],
            },
            OperatorState {
                uid: OperatorUid("counts".into()),
                parallelism: 2,
                subtasks: vec![
                    SubtaskState {
                        subtask: SubtaskIndex(0),
                        files: vec![file(
                            "counts-0.state",
                            FileScope::Exclusive,
                            100,
                            Some(KeyGroupRange { start: 0, end: 64 }),
                        )],
                        source_splits: None,
                    },
                    SubtaskState {
                        subtask: SubtaskIndex(1),
                        files: vec![
                            file(
                                "counts-1.state",
                                FileScope::Exclusive,
                                50,
                                Some(KeyGroupRange { start: 64, end: 128 }),
                            ),
                            file("a1/000001.sst", FileScope::Shared, 4096, Some(KeyGroupRange { start: 64, end: 128 })),
                        ],
                        source_splits: None,
                    },
                ],
            },
        ],
    }
}

#[test]
fn round_trips() {
    let metadata = sample();
    let bytes = encode(&metadata).expect("encode");
    assert_eq!(&bytes[..8], MAGIC);
    assert_eq!(decode(&bytes).expect("decode"), metadata);
    assert_eq!(metadata.state_size(), 4 + 100 + 50 + 4096);
    assert_eq!(metadata.files().count(), 3);
    assert!(metadata.operator(&OperatorUid("counts".into())).is_some());
}

#[test]
fn decoding_also_tells_the_format_version() {
    let bytes = encode(&sample()).expect("encode");
    assert_eq!(decode_versioned(&bytes, "x").expect("decode"), (sample(), CURRENT_VERSION));
}

#[test]
fn the_body_is_readable_json() {
    let bytes = encode(&sample()).expect("encode");
    let body = std::str::from_utf8(&bytes[20..bytes.len() - 4]).expect("utf-8");
    assert!(body.contains("\"job_id\":\"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a\""), "{body}");
    assert!(body.contains("\"source_splits\":\"010203ff\""), "{body}");
    assert!(body.contains("\"path\":\"a1/000001.sst\""), "{body}");
}

#[test]
fn too_short() {
    for len in [0, 1, 8, MIN_LEN - 1] {
        let err = decode(&vec![0u8; len]).expect_err("short");
        assert!(matches!(err, CheckpointError::MetadataTooShort { .. }), "{len}: {err}");
    }
}

#[test]
fn truncated_anywhere_after_the_header() {
    let bytes = encode(&sample()).expect("encode");
    for len in MIN_LEN..bytes.len() {
        let err = decode_from(&bytes[..len], "/c/chk-7/_metadata").expect_err("truncated");
        assert!(matches!(err, CheckpointError::MetadataTruncated { .. }), "{len}: {err}");
        assert!(err.to_string().contains("/c/chk-7/_metadata: truncated"), "{err}");
    }
}

#[test]
fn trailing_bytes() {
    let mut bytes = encode(&sample()).expect("encode");
    bytes.push(0);
    assert!(matches!(decode(&bytes), Err(CheckpointError::MetadataTrailingBytes { extra: 1, .. })));
}

#[test]
fn bad_magic() {
    let mut bytes = encode(&sample()).expect("encode");
    bytes[..8].copy_from_slice(b"PK\x03\x04zip!");
    let err = decode(&bytes).expect_err("bad magic");
    assert!(matches!(err, CheckpointError::MetadataBadMagic { .. }), "{err}");
    assert!(err.to_string().contains("not a weir _metadata file"), "{err}");
}

#[test]
fn checksum_mismatch() {
    let mut bytes = encode(&sample()).expect("encode");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    let err = decode(&bytes).expect_err("corrupt");
    assert!(matches!(err, CheckpointError::MetadataChecksumMismatch { .. }), "{err}");
    assert!(err.to_string().contains("corrupt"), "{err}");
}

#[test]
fn an_unknown_future_version_says_which_versions_this_build_reads() {
    let body = serde_json::to_vec(&sample()).expect("json");
    let err = decode(&frame(2, &body)).expect_err("future version");
    assert_eq!(
        err,
        CheckpointError::MetadataUnsupportedVersion { origin: "_metadata".into(), found: 2, oldest: 1, newest: 1 }
    );
    assert!(err.to_string().contains("this build reads versions 1..=1"), "{err}");
    assert!(matches!(decode(&frame(0, &body)), Err(CheckpointError::MetadataUnsupportedVersion { found: 0, .. })));
}

#[test]
fn a_checksummed_but_undecodable_body() {
    let err = decode(&frame(1, b"{not json")).expect_err("bad body");
    assert!(matches!(err, CheckpointError::MetadataBody { version: 1, .. }), "{err}");
}

#[test]
fn absolute_and_parent_paths_are_refused_when_decoding() {
    for bad in ["/etc/passwd", "../other-job/chk-1/x", "a/../../b", "C:/x"] {
        let body = serde_json::to_string(&sample()).expect("json").replace("counts-0.state", bad);
        let err = decode(&frame(1, body.as_bytes())).expect_err(bad);
        assert!(matches!(err, CheckpointError::MetadataBody { .. }), "{bad}: {err}");
        assert!(err.to_string().contains("not allowed"), "{bad}: {err}");
    }
}

#[test]
fn impossible_checkpoints_are_refused_both_ways() {
    let mut cases: Vec<(Metadata, &str)> = Vec::new();
    let mut m = sample();
    m.max_parallelism = 0;
    cases.push((m, "max parallelism 0"));
    let mut m = sample();
    m.operators[1].parallelism = 1;
    cases.push((m, "subtask 1, but parallelism 1"));
    let mut m = sample();
    m.operators[1].uid = OperatorUid("source".into());
    cases.push((m, "appears twice"));
    let mut m = sample();
    m.operators[1].subtasks[1].subtask = SubtaskIndex(0);
    cases.push((m, "two states for subtask 0"));
    let mut m = sample();
    m.operators[1].subtasks[0].files[0].key_groups = Some(KeyGroupRange { start: 0, end: 129 });
    cases.push((m, "outside [0, 128)"));
    let mut m = sample();
    m.kind = SnapshotKind::Savepoint;
    cases.push((m, "self-contained"));
    for (metadata, needle) in cases {
        let err = encode(&metadata).expect_err(needle).to_string();
        assert!(err.contains(needle), "{needle}: {err}");
        let body = serde_json::to_vec(&metadata).expect("json");
        let err = decode(&frame(1, &body)).expect_err(needle);
        assert!(matches!(err, CheckpointError::MetadataInvalid { checkpoint_id: CheckpointId(7), .. }), "{err}");
        assert!(err.to_string().contains(needle), "{needle}: {err}");
    }
}

proptest! {
    #[test]
    fn a_flipped_byte_anywhere_is_detected(position in any::<prop::sample::Index>(), mask in 1u8..=255) {
        let mut bytes = encode(&sample()).expect("encode");
        let i = position.index(bytes.len());
        bytes[i] ^= mask;
        prop_assert!(decode(&bytes).is_err(), "flipping byte {} with {:02x} went unnoticed", i, mask);
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
        let mut framed = MAGIC.to_vec();
        framed.extend_from_slice(&bytes);
        let _ = decode(&framed);
    }
}
