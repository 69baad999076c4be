//! [`find_latest_restorable`]: which checkpoint automatic recovery restores from.
//!
//! The newest complete and intact `chk-<n>` of the job wins. Newer ones that are incomplete (no
//! `_metadata`: the job died mid-checkpoint) or corrupt (a bad `_metadata`, a missing or damaged
//! state file) are skipped and returned with their reason, so the caller can warn naming each
//! one: a bad checkpoint is never restored, and falling back is never silent (DESIGN §7).
//!
//! [`list_checkpoint_dirs`] and [`open_checkpoint`] are its two steps, public so that
//! `weir checkpoints list` classifies every checkpoint of a job by the same rules.
//!
//! It is **not** for savepoints or `-s` paths: those are loaded as given with
//! [`super::load_snapshot`], and a bad one fails the restore instead of falling back.

use super::durable;
use super::error::StorageError;
use super::snapshot::{LoadedSnapshot, UnverifiedSnapshot, open_snapshot};
use std::fmt;
use std::path::{Path, PathBuf};
use weir_checkpoint::paths::parse_checkpoint_dir_name;
use weir_checkpoint::{CheckpointId, SnapshotKind};

/// A checkpoint directory passed over by [`find_latest_restorable`], and why.
#[derive(Debug)]
pub struct SkippedSnapshot {
    pub dir: PathBuf,
    /// The id its directory name (`chk-<n>`) gives.
    pub id: CheckpointId,
    pub reason: StorageError,
}

impl fmt::Display for SkippedSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "skipped checkpoint {} at '{}': {}", self.id, self.dir.display(), self.reason)
    }
}

/// For automatic recovery: lists `<job_dir>/chk-<n>` newest first and returns the first that
/// loads and verifies, plus every newer one skipped with its reason. `Ok((None, skipped))` when
/// there is none (also when `job_dir` does not exist). Only failing to list `job_dir` is an error.
///
/// Besides [`super::load_snapshot`]'s checks, the `_metadata` in `chk-<n>` must be a checkpoint's with
/// id `n`. The caller's checkpoint id counter must start after the newest `chk-<n>` listed,
/// skipped or not, so no new checkpoint lands in a skipped directory.
pub fn find_latest_restorable(job_dir: &Path) -> Result<(Option<LoadedSnapshot>, Vec<SkippedSnapshot>), StorageError> {
    let mut skipped = Vec::new();
    for (id, dir) in list_checkpoint_dirs(job_dir)? {
        match open_checkpoint(&dir, id).and_then(UnverifiedSnapshot::verify) {
            Ok(snapshot) => return Ok((Some(snapshot), skipped)),
            Err(reason) => skipped.push(SkippedSnapshot { dir, id, reason }),
        }
    }
    Ok((None, skipped))
}

/// Every `<job_dir>/chk-<n>` directory, complete or not, newest first; empty when `job_dir` does
/// not exist.
pub fn list_checkpoint_dirs(job_dir: &Path) -> Result<Vec<(CheckpointId, PathBuf)>, StorageError> {
    let mut checkpoints: Vec<(CheckpointId, PathBuf)> = durable::list_dir(job_dir)?
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, _, is_dir)| *is_dir)
        .filter_map(|(name, path, _)| parse_checkpoint_dir_name(&name).map(|id| (id, path)))
        .collect();
    checkpoints.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    Ok(checkpoints)
}

/// Opens checkpoint `id` in its directory `dir` ([`open_snapshot`]) and checks that its
/// `_metadata` is a checkpoint's with that id; what [`find_latest_restorable`] requires before it
/// verifies the files.
pub fn open_checkpoint(dir: &Path, id: CheckpointId) -> Result<UnverifiedSnapshot, StorageError> {
    let snapshot = open_snapshot(dir)?;
    let metadata = &snapshot.metadata;
    let problem = if metadata.kind != SnapshotKind::Checkpoint {
        format!("_metadata describes a {}, not a checkpoint", metadata.kind)
    } else if metadata.checkpoint_id != id {
        format!("_metadata describes checkpoint {}, but the directory is checkpoint {id}'s", metadata.checkpoint_id)
    } else {
        return Ok(snapshot);
    };
    Err(StorageError::Misplaced { path: dir.to_path_buf(), problem })
}
