//! [`Metadata`]: what a checkpoint's or savepoint's `_metadata` file says, and its validation.
//!
//! It names the job, the kind of snapshot, the max parallelism, every operator by uid with its
//! parallelism and, for every operator subtask, its state files (path relative to their scope's
//! directory, size, CRC32C, key-group range) and its source split positions as opaque bytes.
//! That is enough to restore every operator at the same or another parallelism and to verify
//! every file before trusting it (DESIGN §7).
//!
//! The bytes on disk — magic, format version, body, checksum — are [`mod@format`]'s business
//! ([`encode`], [`decode`]). This module is **not** a reader of state files: what is inside them
//! belongs to the state backend that wrote them.

pub mod format;
mod hex;

pub use format::{CURRENT_VERSION, MAGIC, OLDEST_READABLE_VERSION, decode, decode_from, decode_versioned, encode};

use crate::error::{CheckpointError, Result};
use crate::id::CheckpointId;
use crate::relative_path::RelativePath;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use weir_core::key_group::UPPER_BOUND_MAX_PARALLELISM;
use weir_core::{JobId, KeyGroupRange, OperatorUid, SubtaskIndex, Timestamp};

/// Whether a snapshot is a checkpoint (owned by weir) or a savepoint (owned by the user).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotKind {
    Checkpoint,
    Savepoint,
}

impl fmt::Display for SnapshotKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SnapshotKind::Checkpoint => "checkpoint",
            SnapshotKind::Savepoint => "savepoint",
        })
    }
}

/// Which directory a state file's relative path is relative to (see [`crate::paths`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileScope {
    /// Inside the snapshot's own directory (`chk-<n>/` or the savepoint directory); deleted with it.
    Exclusive,
    /// In the job's `shared/` directory; deleted when no retained checkpoint references it.
    Shared,
    /// In the job's `taskowned/` directory; never deleted by the coordinator.
    TaskOwned,
}

/// One state file of an operator subtask.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StateFile {
    /// Relative to the directory of its `scope`.
    pub path: RelativePath,
    pub scope: FileScope,
    /// Size in bytes, checked before a restore trusts the file.
    pub size: u64,
    /// CRC32C of the whole file.
    pub crc32c: u32,
    /// The key groups whose keyed state the file holds; `None` for operator state.
    pub key_groups: Option<KeyGroupRange>,
}

/// Bytes this crate stores without interpreting (source split positions, serialized by the source).
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpaqueBytes(#[serde(with = "hex::bytes")] pub Vec<u8>);

impl fmt::Debug for OpaqueBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OpaqueBytes({} bytes)", self.0.len())
    }
}

/// What one subtask of one operator snapshotted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubtaskState {
    pub subtask: SubtaskIndex,
    pub files: Vec<StateFile>,
    /// The source's split positions, if the operator is a source.
    pub source_splits: Option<OpaqueBytes>,
}

impl SubtaskState {
    /// Bytes of state: the files plus the split positions.
    pub fn state_size(&self) -> u64 {
        let files: u64 = self.files.iter().map(|f| f.size).sum();
        files + self.source_splits.as_ref().map_or(0, |s| s.0.len() as u64)
    }
}

/// The snapshot of one operator, matched to the operator of the same uid on restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorState {
    pub uid: OperatorUid,
    pub parallelism: u32,
    /// One entry per subtask that has state, in subtask order.
    pub subtasks: Vec<SubtaskState>,
}

/// The content of a `_metadata` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(with = "hex::job_id")]
    pub job_id: JobId,
    pub checkpoint_id: CheckpointId,
    /// When the snapshot was triggered, in milliseconds since the epoch.
    pub timestamp: Timestamp,
    pub kind: SnapshotKind,
    pub max_parallelism: u32,
    pub operators: Vec<OperatorState>,
}

impl Metadata {
    /// The operator of a uid.
    pub fn operator(&self, uid: &OperatorUid) -> Option<&OperatorState> {
        self.operators.iter().find(|op| &op.uid == uid)
    }

    /// Every state file with its operator and subtask.
    pub fn files(&self) -> impl Iterator<Item = (&OperatorUid, SubtaskIndex, &StateFile)> {
        self.operators.iter().flat_map(|op| {
            op.subtasks.iter().flat_map(move |st| st.files.iter().map(move |f| (&op.uid, st.subtask, f)))
        })
    }

    /// Bytes of state over all operators.
    pub fn state_size(&self) -> u64 {
        self.operators.iter().flat_map(|op| &op.subtasks).map(SubtaskState::state_size).sum()
    }

    /// Checks that the metadata describes a possible snapshot: max parallelism in range,
    /// operator uids unique, parallelism within max parallelism, subtask indices below the
    /// parallelism and unique, key-group ranges inside max parallelism, savepoints self-contained.
    pub fn validate(&self) -> Result<()> {
        self.problem().map_or(Ok(()), |problem| {
            Err(CheckpointError::MetadataInvalid {
                origin: "_metadata".into(),
                checkpoint_id: self.checkpoint_id,
                problem,
            })
        })
    }

    pub(crate) fn problem(&self) -> Option<String> {
        let max = self.max_parallelism;
        if max == 0 || max as usize > UPPER_BOUND_MAX_PARALLELISM {
            return Some(format!("max parallelism {max} is outside 1..={UPPER_BOUND_MAX_PARALLELISM}"));
        }
        let mut uids = BTreeSet::new();
        for op in &self.operators {
            if !uids.insert(&op.uid) {
                return Some(format!("operator '{}' appears twice", op.uid));
            }
            if op.parallelism == 0 || op.parallelism > max {
                return Some(format!("operator '{}' has parallelism {}, outside 1..={max}", op.uid, op.parallelism));
            }
            let mut subtasks = BTreeSet::new();
            for st in &op.subtasks {
                if st.subtask.0 >= op.parallelism as usize {
                    let (uid, p, i) = (&op.uid, op.parallelism, st.subtask);
                    return Some(format!("operator '{uid}' has state for subtask {i}, but parallelism {p}"));
                }
                if !subtasks.insert(st.subtask) {
                    return Some(format!("operator '{}' has two states for subtask {}", op.uid, st.subtask));
                }
                for file in &st.files {
                    if let Some(problem) = self.file_problem(file) {
                        return Some(format!("operator '{}' subtask {}: {problem}", op.uid, st.subtask));
                    }
                }
            }
        }
        None
    }

    fn file_problem(&self, file: &StateFile) -> Option<String> {
        if let Some(range) = file.key_groups
            && (range.start > range.end || range.end > self.max_parallelism)
        {
            let max = self.max_parallelism;
            return Some(format!("file '{}' has key groups {range}, outside [0, {max})", file.path));
        }
        if self.kind == SnapshotKind::Savepoint && file.scope != FileScope::Exclusive {
            return Some(format!("file '{}' is outside the savepoint, which must be self-contained", file.path));
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests;
