//! [`FsCheckpointStorage`]: where one job's checkpoints are written and deleted on the local
//! filesystem, in the layout of [`weir_checkpoint::paths`].
//!
//! The write order is what makes a checkpoint trustworthy: state files first (each fsynced),
//! `_metadata` last and atomically (`_metadata.inprogress`, fsync, rename, fsync of the
//! directory). A directory without `_metadata` is therefore an incomplete checkpoint, never a
//! restorable one. Deleting runs the other way: `_metadata` goes first, so an interrupted delete
//! leaves an incomplete checkpoint rather than a corrupt one.
//!
//! It is **not** the reader: [`super::load_snapshot`] and [`super::find_latest_restorable`] load
//! and verify what this writes. Nor does it decide *what* to delete; the coordinator's retention
//! ([`weir_checkpoint::CompletedCheckpointStore`]) does, and this executes it.

use super::durable;
use super::error::StorageError;
use std::path::{Path, PathBuf};
use weir_checkpoint::paths::{self, METADATA_FILE_NAME, METADATA_TEMP_FILE_NAME, SHARED_DIR_NAME, TASK_OWNED_DIR_NAME};
use weir_checkpoint::{CheckpointError, FileScope, Metadata, RelativePath, SnapshotKind, SnapshotLocation, StateFile};
use weir_core::{JobId, KeyGroupRange};

/// Checkpoint storage of one job on the local filesystem, under `state.checkpoints.dir`.
#[derive(Debug, Clone)]
pub struct FsCheckpointStorage {
    checkpoints_dir: PathBuf,
    savepoints_dir: Option<PathBuf>,
    job_id: JobId,
}

impl FsCheckpointStorage {
    /// The storage of `job_id` under `checkpoints_dir` (`state.checkpoints.dir`). Nothing is
    /// created until the first file is written.
    pub fn new(checkpoints_dir: impl Into<PathBuf>, job_id: JobId) -> Self {
        FsCheckpointStorage { checkpoints_dir: checkpoints_dir.into(), savepoints_dir: None, job_id }
    }

    /// Resolves savepoint locations under `savepoints_dir` (`state.savepoints.dir`) instead of
    /// the checkpoints directory.
    pub fn with_savepoints_dir(mut self, savepoints_dir: impl Into<PathBuf>) -> Self {
        self.savepoints_dir = Some(savepoints_dir.into());
        self
    }

    pub fn checkpoints_dir(&self) -> &Path {
        &self.checkpoints_dir
    }

    /// The base savepoint locations are relative to: the savepoints directory if one was given,
    /// else the checkpoints directory.
    pub fn savepoints_dir(&self) -> &Path {
        self.savepoints_dir.as_deref().unwrap_or(&self.checkpoints_dir)
    }

    pub fn job_id(&self) -> JobId {
        self.job_id
    }

    /// `<checkpoints-dir>/<job-id>`.
    pub fn job_dir(&self) -> PathBuf {
        paths::job_dir(self.job_id).to_path_under(&self.checkpoints_dir)
    }

    /// `<checkpoints-dir>/<job-id>/shared`, where files shared by several checkpoints live.
    pub fn shared_dir(&self) -> PathBuf {
        paths::shared_dir(self.job_id).to_path_under(&self.checkpoints_dir)
    }

    /// `<checkpoints-dir>/<job-id>/taskowned`, where files owned by tasks live.
    pub fn task_owned_dir(&self) -> PathBuf {
        paths::task_owned_dir(self.job_id).to_path_under(&self.checkpoints_dir)
    }

    /// The absolute directory of a snapshot: `<checkpoints-dir>/<job-id>/chk-<n>` for a
    /// checkpoint, the savepoint's directory under [`Self::savepoints_dir`] for a savepoint.
    pub fn location_dir(&self, location: &SnapshotLocation) -> PathBuf {
        location.dir().to_path_under(self.base_of(location))
    }

    /// Writes one exclusive state file into the location's directory (creating directories),
    /// fsyncs it and its directory, and returns its [`StateFile`] (relative path = `name`, scope
    /// exclusive, size, CRC32C, `key_groups`). `name` is a relative path (`op/0.state` is fine);
    /// a file is written once: an existing one is an error, never overwritten.
    pub fn write_exclusive_file(
        &self,
        location: &SnapshotLocation,
        name: &str,
        bytes: &[u8],
        key_groups: Option<KeyGroupRange>,
    ) -> Result<StateFile, StorageError> {
        let context = || format!("cannot write state file '{name}' of {location}");
        let relative =
            RelativePath::new(name).map_err(|source| StorageError::InvalidPath { context: context(), source })?;
        if relative.as_str() == METADATA_FILE_NAME || relative.as_str() == METADATA_TEMP_FILE_NAME {
            let source = CheckpointError::InvalidPath {
                path: name.to_string(),
                problem: "the name is reserved for the snapshot's metadata",
            };
            return Err(StorageError::InvalidPath { context: context(), source });
        }
        let path = relative.to_path_under(&self.location_dir(location));
        let parent = path.parent().unwrap_or(&path);
        durable::create_dirs_synced(parent)?;
        durable::write_synced(&path, bytes, false)?;
        durable::sync_dir(parent)?;
        Ok(StateFile {
            path: relative,
            scope: FileScope::Exclusive,
            size: bytes.len() as u64,
            crc32c: crc32c::crc32c(bytes),
            key_groups,
        })
    }

    /// Copies the local file `local` into the snapshot at `location` durably, as `name`: an
    /// exclusive file under the location's directory, or a shared one under the job's `shared/`
    /// directory (checkpoints only: a savepoint is self-contained). A shared file that exists
    /// already with the same contents (uploaded by an attempt that did not complete) is taken
    /// as it is; with other contents it is an error, never overwritten.
    pub fn copy_in_file(
        &self,
        location: &SnapshotLocation,
        local: &Path,
        name: &str,
        scope: FileScope,
        key_groups: Option<KeyGroupRange>,
    ) -> Result<StateFile, StorageError> {
        let context = || format!("cannot copy state file '{name}' into {location}");
        let relative =
            RelativePath::new(name).map_err(|source| StorageError::InvalidPath { context: context(), source })?;
        let base = match (scope, location.is_savepoint()) {
            (FileScope::Exclusive, _) => self.location_dir(location),
            (FileScope::Shared, false) => self.shared_dir(),
            _ => {
                let source = CheckpointError::InvalidPath {
                    path: name.to_string(),
                    problem: "only a checkpoint's files may be shared or task-owned; a savepoint is self-contained",
                };
                return Err(StorageError::InvalidPath { context: context(), source });
            }
        };
        let path = relative.to_path_under(&base);
        let parent = path.parent().unwrap_or(&path);
        durable::create_dirs_synced(parent)?;
        let (size, crc32c) = match durable::copy_synced(local, &path) {
            Ok(copied) => copied,
            Err(StorageError::AlreadyExists { .. }) if scope == FileScope::Shared => {
                let existing = durable::size_and_crc32c(&path)?;
                if existing != durable::size_and_crc32c(local)? {
                    return Err(StorageError::AlreadyExists { path });
                }
                existing
            }
            Err(error) => return Err(error),
        };
        durable::sync_dir(parent)?;
        Ok(StateFile { path: relative, scope, size, crc32c, key_groups })
    }

    /// Writes `_metadata` last and atomically: encodes it, writes `_metadata.inprogress`, fsyncs
    /// it, renames it to `_metadata` and fsyncs the directory. Refuses metadata of another kind,
    /// job or checkpoint id than the location, and an existing `_metadata`.
    pub fn write_metadata(&self, location: &SnapshotLocation, metadata: &Metadata) -> Result<(), StorageError> {
        let dir = self.location_dir(location);
        let final_path = dir.join(METADATA_FILE_NAME);
        if let Some(problem) = mismatch(location, metadata) {
            return Err(StorageError::LocationMismatch { path: final_path, problem });
        }
        let bytes = weir_checkpoint::metadata::encode(metadata)
            .map_err(|source| StorageError::Encode { path: final_path.clone(), source })?;
        durable::create_dirs_synced(&dir)?;
        if final_path.exists() {
            return Err(StorageError::AlreadyExists { path: final_path });
        }
        let temp_path = dir.join(METADATA_TEMP_FILE_NAME);
        durable::write_synced(&temp_path, &bytes, true)?;
        std::fs::rename(&temp_path, &final_path).map_err(StorageError::io("rename to _metadata", &temp_path))?;
        durable::sync_dir(&dir)
    }

    /// Deletes a checkpoint's directory completely, `_metadata` first; a missing one is fine.
    /// Savepoints are never deleted by weir: asking is [`StorageError::SavepointNotDeletable`].
    pub fn discard_location(&self, location: &SnapshotLocation) -> Result<(), StorageError> {
        let dir = self.location_dir(location);
        if location.is_savepoint() {
            return Err(StorageError::SavepointNotDeletable { dir });
        }
        durable::remove_file_if_exists(&dir.join(METADATA_FILE_NAME))?;
        durable::remove_dir_all_if_exists(&dir)
    }

    /// Deletes these files of the job's `shared/` directory (paths relative to it); missing ones
    /// are fine. Tries every file and returns the first error.
    pub fn discard_shared_files(&self, files: &[RelativePath]) -> Result<(), StorageError> {
        let shared = self.shared_dir();
        let mut first_error = None;
        for file in files {
            if let Err(e) = durable::remove_file_if_exists(&file.to_path_under(&shared)) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Deletes every file of the job's `shared/` directory that `keep` (a retained checkpoint's
    /// reference, relative to `shared/`) does not name: uploads of checkpoints that were aborted,
    /// declined or cut short by a failure. Call it only when no checkpoint is in flight (after a
    /// failure's aborts, or when the job ends), since an in-flight checkpoint's uploads are not
    /// referenced yet. Returns how many files went.
    pub fn sweep_shared_files(&self, keep: &std::collections::BTreeSet<&str>) -> Result<usize, StorageError> {
        let shared = self.shared_dir();
        let Some(entries) = durable::list_dir(&shared)? else { return Ok(0) };
        let mut removed = 0;
        for (name, path, is_dir) in entries {
            if is_dir || keep.contains(name.as_str()) {
                continue;
            }
            if durable::remove_file_if_exists(&path)? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Deletes the job directory if it holds no checkpoint any more (for
    /// `DELETE_ON_CANCELLATION`, or after the last checkpoint was discarded). Call it only when
    /// no checkpoint is in progress.
    ///
    /// It is deliberately conservative: the directory is deleted only if it holds nothing but
    /// `shared/` (unreferenced once no checkpoint is left) and a `taskowned/` without files
    /// (task-owned files are never deleted by weir). Any `chk-<n>` directory — complete or not —
    /// or anything weir did not put there keeps the directory, and the outcome says why.
    pub fn remove_job_dir_if_empty(&self) -> Result<JobDirRemoval, StorageError> {
        let job_dir = self.job_dir();
        let Some(entries) = durable::list_dir(&job_dir)? else {
            return Ok(JobDirRemoval::Missing);
        };
        for (name, path, is_dir) in entries {
            let kept_for = match name.as_str() {
                SHARED_DIR_NAME if is_dir => continue,
                TASK_OWNED_DIR_NAME if is_dir => {
                    if !holds_files(&path)? {
                        continue;
                    }
                    format!("task-owned files in '{}'", path.display())
                }
                _ if is_dir && paths::parse_checkpoint_dir_name(&name).is_some() => {
                    format!("checkpoint directory '{}'", path.display())
                }
                _ => format!("'{}', which weir does not write there", path.display()),
            };
            return Ok(JobDirRemoval::Kept { reason: kept_for });
        }
        durable::remove_dir_all_if_exists(&job_dir)?;
        Ok(JobDirRemoval::Removed)
    }

    fn base_of(&self, location: &SnapshotLocation) -> &Path {
        match location {
            SnapshotLocation::Checkpoint { .. } => &self.checkpoints_dir,
            SnapshotLocation::Savepoint { .. } => self.savepoints_dir(),
        }
    }
}

/// What [`FsCheckpointStorage::remove_job_dir_if_empty`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobDirRemoval {
    /// The job directory held no checkpoint and was deleted.
    Removed,
    /// There was no job directory.
    Missing,
    /// The job directory was kept; `reason` names what is still in it.
    Kept { reason: String },
}

/// Why `metadata` does not belong at `location`, if it does not.
fn mismatch(location: &SnapshotLocation, metadata: &Metadata) -> Option<String> {
    match location {
        SnapshotLocation::Checkpoint { job_id, id } => {
            if metadata.kind != SnapshotKind::Checkpoint {
                Some(format!("the metadata is of a {}, but the location is a checkpoint's", metadata.kind))
            } else if metadata.checkpoint_id != *id {
                Some(format!(
                    "the metadata is of checkpoint {}, but the location is checkpoint {id}'s",
                    metadata.checkpoint_id
                ))
            } else if metadata.job_id != *job_id {
                Some(format!("the metadata is of job {}, but the location is job {job_id}'s", metadata.job_id))
            } else {
                None
            }
        }
        SnapshotLocation::Savepoint { .. } => (metadata.kind != SnapshotKind::Savepoint)
            .then(|| format!("the metadata is of a {}, but the location is a savepoint's", metadata.kind)),
    }
}

/// Whether a directory tree holds anything but directories.
fn holds_files(dir: &Path) -> Result<bool, StorageError> {
    for (_, path, is_dir) in durable::list_dir(dir)?.unwrap_or_default() {
        if !is_dir || holds_files(&path)? {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
