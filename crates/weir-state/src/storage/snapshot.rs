//! [`load_snapshot`] and [`LoadedSnapshot`]: a checkpoint or savepoint read back from disk and
//! verified before anything is restored from it; [`open_snapshot`] and [`UnverifiedSnapshot`]:
//! the same snapshot with only its `_metadata` read, for tools that look at a damaged one.
//!
//! Loading decodes `_metadata` (magic, format version, checksum and validity are weir-checkpoint's
//! [`decode_versioned`]) and then checks every state file it names for existence, size and
//! CRC32C, so a corrupt or incomplete snapshot is refused as a whole, with an error naming the
//! file, instead of failing half-way through a restore (DESIGN §7). Paths are resolved against
//! where the snapshot *is now*, never where it was written, so a copied directory restores from
//! its new place.
//!
//! **Why the two halves are public**: `weir checkpoints inspect` and `verify` must show a snapshot
//! whose files are damaged, and report every damaged file rather than the first. They open the
//! snapshot and check its files one by one with exactly the path resolution and checks a restore
//! uses, so what they call intact is what a restore accepts.
//!
//! It is **not** a reader of state file contents: [`LoadedSnapshot::read_file`] hands back
//! verified bytes, and the state backend that wrote them interprets them.

use super::durable;
use super::error::StorageError;
use std::path::{Path, PathBuf};
use weir_checkpoint::metadata::decode_versioned;
use weir_checkpoint::paths::{METADATA_FILE_NAME, SHARED_DIR_NAME, TASK_OWNED_DIR_NAME};
use weir_checkpoint::{CheckpointError, FileScope, Metadata, SnapshotKind, StateFile};

/// A snapshot (checkpoint or savepoint) read back from disk and verified.
#[derive(Debug, Clone)]
pub struct LoadedSnapshot {
    pub metadata: Metadata,
    /// The snapshot's directory, where its exclusive files are.
    dir: PathBuf,
    /// The directory `shared/` and `taskowned/` are in: the job directory, i.e. the parent of a
    /// checkpoint's directory. Savepoints never use it (they are self-contained).
    job_dir: PathBuf,
}

impl LoadedSnapshot {
    /// The snapshot's directory (`.../chk-<n>` or the savepoint directory).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a state file named in the metadata is now: exclusive files in [`Self::dir`], shared
    /// and task-owned ones in the job directory's `shared/` and `taskowned/`. A savepoint may
    /// name exclusive files only.
    pub fn file_path(&self, file: &StateFile) -> Result<PathBuf, StorageError> {
        resolve(self.metadata.kind, &self.dir, &self.job_dir, file)
    }

    /// Reads one of its state files, checking size and CRC32C; errors name the file and what is
    /// wrong.
    pub fn read_file(&self, file: &StateFile) -> Result<Vec<u8>, StorageError> {
        let path = self.file_path(file)?;
        let bytes = durable::read_state_file(&path)?;
        check(&path, file, bytes.len() as u64, crc32c::crc32c(&bytes))?;
        Ok(bytes)
    }
}

/// A snapshot whose `_metadata` was read and decoded, but whose state files were not checked yet:
/// [`Self::verify`] turns it into a [`LoadedSnapshot`], [`Self::check_file`] checks one file.
#[derive(Debug, Clone)]
pub struct UnverifiedSnapshot {
    pub metadata: Metadata,
    /// The format version `_metadata` was written in.
    pub format_version: u32,
    dir: PathBuf,
    metadata_path: PathBuf,
    job_dir: PathBuf,
}

impl UnverifiedSnapshot {
    /// The snapshot's directory (`.../chk-<n>` or the savepoint directory).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its `_metadata` file.
    pub fn metadata_path(&self) -> &Path {
        &self.metadata_path
    }

    /// The directory a checkpoint's `shared/` and `taskowned/` files are resolved in.
    pub fn job_dir(&self) -> &Path {
        &self.job_dir
    }

    /// Where a state file named in the metadata is now (see [`LoadedSnapshot::file_path`]).
    pub fn file_path(&self, file: &StateFile) -> Result<PathBuf, StorageError> {
        resolve(self.metadata.kind, &self.dir, &self.job_dir, file)
    }

    /// Checks one state file as a restore does: it exists, has the recorded size and CRC32C.
    /// Reads the whole file.
    pub fn check_file(&self, file: &StateFile) -> Result<(), StorageError> {
        let path = self.file_path(file)?;
        let (size, crc) = durable::size_and_crc32c(&path)?;
        check(&path, file, size, crc)
    }

    /// Checks every state file the metadata names: it exists, with the recorded size and CRC32C.
    /// Sizes are checked first for all files (cheap), then checksums (a full read). The first
    /// problem found is the error.
    pub fn verify(self) -> Result<LoadedSnapshot, StorageError> {
        let mut files = Vec::new();
        for (_, _, file) in self.metadata.files() {
            let path = self.file_path(file)?;
            let actual = match std::fs::metadata(&path) {
                Ok(meta) => meta.len(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(StorageError::StateFileMissing { path });
                }
                Err(source) => return Err(StorageError::Io { action: "inspect", path, source }),
            };
            if actual != file.size {
                return Err(StorageError::StateFileSize { path, expected: file.size, actual });
            }
            files.push((path, file));
        }
        for (path, file) in files {
            let (size, crc) = durable::size_and_crc32c(&path)?;
            check(&path, file, size, crc)?;
        }
        Ok(LoadedSnapshot { metadata: self.metadata, dir: self.dir, job_dir: self.job_dir })
    }
}

/// Where `file` of a snapshot of `kind` in `dir` is: exclusive files in `dir`, a checkpoint's
/// shared and task-owned ones in `job_dir`'s `shared/` and `taskowned/`; a savepoint may name
/// exclusive files only.
fn resolve(kind: SnapshotKind, dir: &Path, job_dir: &Path, file: &StateFile) -> Result<PathBuf, StorageError> {
    let base = match (kind, file.scope) {
        (_, FileScope::Exclusive) => dir.to_path_buf(),
        (SnapshotKind::Checkpoint, FileScope::Shared) => job_dir.join(SHARED_DIR_NAME),
        (SnapshotKind::Checkpoint, FileScope::TaskOwned) => job_dir.join(TASK_OWNED_DIR_NAME),
        (SnapshotKind::Savepoint, _) => {
            return Err(StorageError::InvalidPath {
                context: format!("savepoint '{}'", dir.display()),
                source: CheckpointError::InvalidPath {
                    path: file.path.to_string(),
                    problem: "a savepoint is self-contained and can hold exclusive files only",
                },
            });
        }
    };
    Ok(file.path.to_path_under(&base))
}

fn check(path: &Path, file: &StateFile, size: u64, crc: u32) -> Result<(), StorageError> {
    if size != file.size {
        return Err(StorageError::StateFileSize { path: path.to_path_buf(), expected: file.size, actual: size });
    }
    if crc != file.crc32c {
        return Err(StorageError::StateFileChecksum { path: path.to_path_buf(), expected: file.crc32c, actual: crc });
    }
    Ok(())
}

/// Loads `path` — a snapshot directory or its `_metadata` file — decodes the metadata (format,
/// version and checksum errors come from weir-checkpoint's decode) and verifies that every file it
/// names exists with the right size and CRC32C.
pub fn load_snapshot(path: &Path) -> Result<LoadedSnapshot, StorageError> {
    open_snapshot(path)?.verify()
}

/// The first half of [`load_snapshot`]: reads and decodes the `_metadata` of `path` (a snapshot
/// directory or its `_metadata` file) without looking at the state files.
pub fn open_snapshot(path: &Path) -> Result<UnverifiedSnapshot, StorageError> {
    let (dir, metadata_path) = if path.is_dir() {
        (path.to_path_buf(), path.join(METADATA_FILE_NAME))
    } else if path.is_file() {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        (parent.to_path_buf(), path.to_path_buf())
    } else {
        return Err(StorageError::NotFound { path: path.to_path_buf() });
    };
    let bytes = match std::fs::read(&metadata_path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StorageError::Incomplete { dir }),
        Err(source) => return Err(StorageError::Io { action: "read", path: metadata_path, source }),
    };
    let (metadata, format_version) = decode_versioned(&bytes, &metadata_path.display().to_string())
        .map_err(|source| StorageError::Decode { path: metadata_path.clone(), source })?;
    let job_dir = job_dir_of(&dir);
    Ok(UnverifiedSnapshot { metadata, format_version, dir, metadata_path, job_dir })
}

/// The parent of a checkpoint directory, where `shared/` and `taskowned/` are; `dir/..` when the
/// directory is given as `.` or `..`.
fn job_dir_of(dir: &Path) -> PathBuf {
    match (dir.file_name(), dir.parent()) {
        (Some(_), Some(parent)) if parent.as_os_str().is_empty() => PathBuf::from("."),
        (Some(_), Some(parent)) => parent.to_path_buf(),
        _ => dir.join(".."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_dir_is_the_parent_of_the_snapshot_dir() {
        assert_eq!(job_dir_of(Path::new("/ckpts/job/chk-3")), Path::new("/ckpts/job"));
        assert_eq!(job_dir_of(Path::new("chk-3")), Path::new("."));
        assert_eq!(job_dir_of(Path::new(".")), Path::new("./.."));
        assert_eq!(job_dir_of(Path::new("/")), Path::new("/.."));
    }

    #[test]
    fn a_missing_path_is_not_found_and_a_dir_without_metadata_is_incomplete() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = load_snapshot(&dir.path().join("nope")).expect_err("missing");
        assert!(matches!(missing, StorageError::NotFound { .. }), "{missing}");
        let incomplete = load_snapshot(dir.path()).expect_err("incomplete");
        assert!(matches!(incomplete, StorageError::Incomplete { .. }), "{incomplete}");
        assert!(incomplete.to_string().contains("has no _metadata"), "{incomplete}");
    }
}
