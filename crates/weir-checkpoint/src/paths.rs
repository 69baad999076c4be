//! The one place checkpoint and savepoint paths are built (DESIGN §7):
//!
//! ```text
//! <state.checkpoints.dir>/<job-id>/
//!     chk-<n>/_metadata          the checkpoint's metadata (written last, atomically)
//!     chk-<n>/...                files exclusive to checkpoint n
//!     shared/...                 files shared by several checkpoints (incremental state)
//!     taskowned/...              files owned by tasks; never deleted by the coordinator
//! <state.savepoints.dir>/savepoint-<job-id prefix>-<random>/
//!     _metadata, ...             everything the savepoint needs, nothing outside it
//! ```
//!
//! Every function returns a [`RelativePath`] relative to the *base* directory of its kind of
//! snapshot (`state.checkpoints.dir` for checkpoints, the savepoint directory's parent for
//! savepoints); [`RelativePath::to_path_under`] joins it to a base. This module is pure: it
//! never touches the filesystem, and it is **not** where files are written, listed or deleted
//! (weir-state's storage is).

use crate::error::{CheckpointError, Result};
use crate::id::CheckpointId;
use crate::metadata::{FileScope, StateFile};
use crate::relative_path::RelativePath;
use std::fmt;
use weir_core::JobId;

/// The name of the metadata file of every checkpoint and savepoint.
pub const METADATA_FILE_NAME: &str = "_metadata";
/// The name `_metadata` is written under before its atomic rename.
pub const METADATA_TEMP_FILE_NAME: &str = "_metadata.inprogress";
/// The directory of a job's shared (incremental) files.
pub const SHARED_DIR_NAME: &str = "shared";
/// The directory of a job's task-owned files.
pub const TASK_OWNED_DIR_NAME: &str = "taskowned";
/// The prefix of checkpoint directory names.
pub const CHECKPOINT_DIR_PREFIX: &str = "chk-";
/// The prefix of savepoint directory names.
pub const SAVEPOINT_DIR_PREFIX: &str = "savepoint-";

/// `<job-id>`: the directory of one job under `state.checkpoints.dir`.
pub fn job_dir(job_id: JobId) -> RelativePath {
    checked(job_id.to_string())
}

/// `<job-id>/chk-<n>`: the directory of one checkpoint.
pub fn checkpoint_dir(job_id: JobId, id: CheckpointId) -> RelativePath {
    checked(format!("{job_id}/{CHECKPOINT_DIR_PREFIX}{}", id.0))
}

/// `<job-id>/shared`.
pub fn shared_dir(job_id: JobId) -> RelativePath {
    checked(format!("{job_id}/{SHARED_DIR_NAME}"))
}

/// `<job-id>/taskowned`.
pub fn task_owned_dir(job_id: JobId) -> RelativePath {
    checked(format!("{job_id}/{TASK_OWNED_DIR_NAME}"))
}

/// `savepoint-<first 6 hex digits of the job id>-<12 hex digits of random>`, Flink's savepoint
/// directory name. `random` comes from the caller (this crate has no randomness); only its low
/// 48 bits are used.
pub fn savepoint_dir_name(job_id: JobId, random: u64) -> RelativePath {
    let job = job_id.to_string();
    let prefix = job.get(..6).unwrap_or(&job);
    checked(format!("{SAVEPOINT_DIR_PREFIX}{prefix}-{:012x}", random & 0xffff_ffff_ffff))
}

/// The checkpoint id of a directory named `chk-<n>`, if `name` is one (for listing a job's
/// directory at restore).
pub fn parse_checkpoint_dir_name(name: &str) -> Option<CheckpointId> {
    let digits = name.strip_prefix(CHECKPOINT_DIR_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    digits.parse().ok().map(CheckpointId)
}

/// Where one checkpoint or savepoint lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SnapshotLocation {
    /// `<job-id>/chk-<n>` under `state.checkpoints.dir`, owned and deleted by weir.
    Checkpoint { job_id: JobId, id: CheckpointId },
    /// A self-contained directory under the savepoint directory, owned by the user.
    Savepoint { dir: RelativePath },
}

impl SnapshotLocation {
    /// The snapshot's own directory, relative to its base.
    pub fn dir(&self) -> RelativePath {
        match self {
            SnapshotLocation::Checkpoint { job_id, id } => checkpoint_dir(*job_id, *id),
            SnapshotLocation::Savepoint { dir } => dir.clone(),
        }
    }

    /// `<dir>/_metadata`.
    pub fn metadata_path(&self) -> RelativePath {
        self.dir().join_path(&checked(METADATA_FILE_NAME.to_string()))
    }

    /// `<dir>/_metadata.inprogress`, renamed to `_metadata` once written and synced.
    pub fn metadata_temp_path(&self) -> RelativePath {
        self.dir().join_path(&checked(METADATA_TEMP_FILE_NAME.to_string()))
    }

    pub fn is_savepoint(&self) -> bool {
        matches!(self, SnapshotLocation::Savepoint { .. })
    }

    /// The path of a state file named in this snapshot's metadata, relative to the base:
    /// exclusive files are inside the snapshot's directory, shared and task-owned ones in the
    /// job's `shared/` and `taskowned/`. A savepoint is self-contained, so it may hold only
    /// exclusive files.
    pub fn state_file_path(&self, file: &StateFile) -> Result<RelativePath> {
        match (self, file.scope) {
            (_, FileScope::Exclusive) => Ok(self.dir().join_path(&file.path)),
            (SnapshotLocation::Checkpoint { job_id, .. }, FileScope::Shared) => {
                Ok(shared_dir(*job_id).join_path(&file.path))
            }
            (SnapshotLocation::Checkpoint { job_id, .. }, FileScope::TaskOwned) => {
                Ok(task_owned_dir(*job_id).join_path(&file.path))
            }
            (SnapshotLocation::Savepoint { .. }, scope) => Err(CheckpointError::InvalidPath {
                path: file.path.to_string(),
                problem: match scope {
                    FileScope::Shared => "a savepoint is self-contained and cannot reference shared files",
                    _ => "a savepoint is self-contained and cannot reference task-owned files",
                },
            }),
        }
    }
}

impl fmt::Display for SnapshotLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.dir().fmt(f)
    }
}

/// Wraps a path built here from parts that are valid by construction (hex ids, fixed names).
fn checked(path: String) -> RelativePath {
    RelativePath::trusted(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const JOB: JobId = JobId([0xab; 16]);

    #[test]
    fn the_layout_of_design_section_7() {
        let job = "abababababababababababababababab";
        assert_eq!(job_dir(JOB).as_str(), job);
        assert_eq!(checkpoint_dir(JOB, CheckpointId(12)).as_str(), format!("{job}/chk-12"));
        assert_eq!(shared_dir(JOB).as_str(), format!("{job}/shared"));
        assert_eq!(task_owned_dir(JOB).as_str(), format!("{job}/taskowned"));
        let location = SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(3) };
        assert_eq!(location.metadata_path().as_str(), format!("{job}/chk-3/_metadata"));
        assert_eq!(location.metadata_temp_path().as_str(), format!("{job}/chk-3/_metadata.inprogress"));
        assert_eq!(
            location.metadata_path().to_path_under(Path::new("/ckpts")),
            Path::new(&format!("/ckpts/{job}/chk-3/_metadata"))
        );
    }

    #[test]
    fn savepoint_names_have_a_job_prefix_and_twelve_random_hex_digits() {
        let name = savepoint_dir_name(JOB, 0x1234_5678_9abc_def0);
        assert_eq!(name.as_str(), "savepoint-ababab-56789abcdef0");
        assert_eq!(savepoint_dir_name(JOB, 1).as_str(), "savepoint-ababab-000000000001");
        let location = SnapshotLocation::Savepoint { dir: name };
        assert_eq!(location.metadata_path().as_str(), "savepoint-ababab-56789abcdef0/_metadata");
    }

    #[test]
    fn checkpoint_dir_names_parse_back() {
        assert_eq!(parse_checkpoint_dir_name("chk-7"), Some(CheckpointId(7)));
        assert_eq!(parse_checkpoint_dir_name(&CheckpointId(123).dir_name()), Some(CheckpointId(123)));
        for not_one in ["chk-", "chk-x", "chk-07", "chk--1", "shared", "chk-1a", "chk-99999999999999999999999"] {
            assert_eq!(parse_checkpoint_dir_name(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn state_files_resolve_by_scope() {
        let file = |scope| StateFile {
            path: RelativePath::new("op/0.state").expect("valid"),
            scope,
            size: 1,
            crc32c: 0,
            key_groups: None,
        };
        let job = JOB.to_string();
        let checkpoint = SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(4) };
        let path = |l: &SnapshotLocation, s| l.state_file_path(&file(s)).map(|p| p.to_string());
        assert_eq!(path(&checkpoint, FileScope::Exclusive), Ok(format!("{job}/chk-4/op/0.state")));
        assert_eq!(path(&checkpoint, FileScope::Shared), Ok(format!("{job}/shared/op/0.state")));
        assert_eq!(path(&checkpoint, FileScope::TaskOwned), Ok(format!("{job}/taskowned/op/0.state")));
        let savepoint = SnapshotLocation::Savepoint { dir: savepoint_dir_name(JOB, 9) };
        assert_eq!(path(&savepoint, FileScope::Exclusive), Ok("savepoint-ababab-000000000009/op/0.state".into()));
        assert!(path(&savepoint, FileScope::Shared).is_err());
        assert!(path(&savepoint, FileScope::TaskOwned).is_err());
    }
}
