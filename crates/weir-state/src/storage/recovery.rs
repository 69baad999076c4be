//! [`find_latest_restorable`]: which checkpoint automatic recovery restores from.
//!
//! The newest complete and intact `chk-<n>` of the job wins. Newer ones that are incomplete (no
//! `_metadata`: the job died mid-checkpoint) or corrupt (a bad `_metadata`, a missing or damaged
//! state file) are skipped and returned with their reason, so the caller can warn naming each
//! one: a bad checkpoint is never restored, and falling back is never silent (DESIGN §7).
//!
//! It is **not** for savepoints or `-s` paths: those are loaded as given with
//! [`super::load_snapshot`], and a bad one fails the restore instead of falling back.

use super::durable;
use super::error::StorageError;
use super::snapshot::{LoadedSnapshot, load_snapshot};
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
/// Besides [`load_snapshot`]'s checks, the `_metadata` in `chk-<n>` must be a checkpoint's with
/// id `n`. The caller's checkpoint id counter must start after the newest `chk-<n>` listed,
/// skipped or not, so no new checkpoint lands in a skipped directory.
pub fn find_latest_restorable(job_dir: &Path) -> Result<(Option<LoadedSnapshot>, Vec<SkippedSnapshot>), StorageError> {
    let mut checkpoints: Vec<(CheckpointId, PathBuf)> = durable::list_dir(job_dir)?
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, _, is_dir)| *is_dir)
        .filter_map(|(name, path, _)| parse_checkpoint_dir_name(&name).map(|id| (id, path)))
        .collect();
    checkpoints.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let mut skipped = Vec::new();
    for (id, dir) in checkpoints {
        match load_checkpoint(&dir, id) {
            Ok(snapshot) => return Ok((Some(snapshot), skipped)),
            Err(reason) => skipped.push(SkippedSnapshot { dir, id, reason }),
        }
    }
    Ok((None, skipped))
}

fn load_checkpoint(dir: &Path, id: CheckpointId) -> Result<LoadedSnapshot, StorageError> {
    let snapshot = load_snapshot(dir)?;
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
