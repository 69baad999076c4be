//! [`StorageError`]: everything checkpoint storage can fail at, each variant naming the path and
//! what exactly is wrong, so a warning about a skipped checkpoint or a refused restore can be acted
//! on without reading code.

use std::io;
use std::path::PathBuf;
use weir_checkpoint::CheckpointError;
use weir_core::ErrorKind;

/// An error of reading, writing or deleting checkpoints and savepoints.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A filesystem operation failed; `action` says what was being done to `path`.
    #[error("cannot {action} '{path}': {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A file that is written once was about to be overwritten: a checkpoint id or file name was
    /// used twice.
    #[error("'{path}' already exists; snapshot files are written once and never overwritten")]
    AlreadyExists { path: PathBuf },

    /// A path given to storage, or one named by a `_metadata`, is not allowed (not relative, or a
    /// shared file in a self-contained savepoint).
    #[error("{context}: {source}")]
    InvalidPath {
        context: String,
        #[source]
        source: CheckpointError,
    },

    /// The metadata could not be encoded (it is invalid: a bug of the caller).
    #[error("cannot write '{path}': {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: CheckpointError,
    },

    /// The metadata does not belong at the location it is written to.
    #[error("refusing to write '{path}': {problem}")]
    LocationMismatch { path: PathBuf, problem: String },

    /// Nothing exists at the path a snapshot was to be loaded from.
    #[error("no checkpoint or savepoint at '{path}': it does not exist")]
    NotFound { path: PathBuf },

    /// The directory exists but has no `_metadata`: the checkpoint never completed (or its deletion
    /// was interrupted), or the path is not a snapshot directory at all.
    #[error(
        "'{dir}' has no _metadata: the checkpoint is incomplete (it never completed, or its deletion was interrupted), or this is not a checkpoint or savepoint directory"
    )]
    Incomplete { dir: PathBuf },

    /// `_metadata` is unreadable: truncated, corrupt, of an unknown format version or invalid. The
    /// message of `source` names the file.
    #[error("{source}")]
    Decode {
        path: PathBuf,
        #[source]
        source: CheckpointError,
    },

    /// `_metadata` decoded, but does not describe the snapshot its directory is for.
    #[error("'{path}': {problem}")]
    Misplaced { path: PathBuf, problem: String },

    /// A state file named by `_metadata` does not exist.
    #[error("state file '{path}' named in _metadata is missing")]
    StateFileMissing { path: PathBuf },

    /// A state file has another size than `_metadata` recorded: it was cut off or appended to.
    #[error(
        "state file '{path}' has {actual} bytes, but _metadata records {expected}; the file is truncated or corrupt"
    )]
    StateFileSize { path: PathBuf, expected: u64, actual: u64 },

    /// A state file's CRC32C differs from the one `_metadata` recorded: its content is corrupt.
    #[error(
        "state file '{path}': checksum mismatch: _metadata records crc32c {expected:08x}, the file has {actual:08x}; the file is corrupt"
    )]
    StateFileChecksum { path: PathBuf, expected: u32, actual: u32 },

    /// Savepoints belong to the user: weir never deletes them.
    #[error("refusing to delete savepoint '{dir}': savepoints belong to the user and are never deleted by weir")]
    SavepointNotDeletable { dir: PathBuf },

    /// The orphan sweep was given a path that is not a job directory; `problem` says what it is
    /// and what to pass instead.
    #[error("'{path}' is not a job directory: {problem}")]
    NotAJobDirectory { path: PathBuf, problem: String },

    /// The orphan sweep found a `_metadata` it cannot read, so the files that checkpoint
    /// references are unknown and nothing may be deleted.
    #[error(
        "refusing to sweep '{job_dir}', nothing was deleted: {}; the files its checkpoint references are unknown, \
         so no file can be called unreferenced (if it cannot be repaired, delete that checkpoint directory by hand, then sweep again)",
        unreadable_list(.unreadable)
    )]
    SweepRefused { job_dir: PathBuf, unreadable: Vec<(PathBuf, String)> },
}

/// `'<path>' cannot be read: <reason>` for every unreadable `_metadata`, joined by `; `; a reason
/// that starts with the path (decoding errors do) is not made to repeat it.
fn unreadable_list(unreadable: &[(PathBuf, String)]) -> String {
    let described: Vec<String> = unreadable
        .iter()
        .map(|(path, reason)| {
            let shown = path.display().to_string();
            let reason = reason.strip_prefix(&format!("{shown}: ")).unwrap_or(reason);
            format!("'{shown}' cannot be read: {reason}")
        })
        .collect();
    described.join("; ")
}

impl StorageError {
    /// How failover should treat this error: the disk and what is on it are external; a misuse of
    /// the API (overwriting, invalid metadata, deleting a savepoint) is weir's bug; an invalid
    /// path is classified by weir-checkpoint.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StorageError::Io { .. }
            | StorageError::NotFound { .. }
            | StorageError::Incomplete { .. }
            | StorageError::Misplaced { .. }
            | StorageError::StateFileMissing { .. }
            | StorageError::StateFileSize { .. }
            | StorageError::StateFileChecksum { .. }
            | StorageError::SweepRefused { .. } => ErrorKind::External,
            StorageError::NotAJobDirectory { .. } => ErrorKind::User,
            StorageError::Decode { source, .. } | StorageError::InvalidPath { source, .. } => source.kind(),
            StorageError::AlreadyExists { .. }
            | StorageError::Encode { .. }
            | StorageError::LocationMismatch { .. }
            | StorageError::SavepointNotDeletable { .. } => ErrorKind::Internal,
        }
    }

    /// A closure that wraps an [`io::Error`] of `action` on `path`, for `map_err`.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> StorageError {
        let path = path.into();
        move |source| StorageError::Io { action, path, source }
    }
}
