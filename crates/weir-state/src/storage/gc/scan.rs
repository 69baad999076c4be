//! [`scan_job_dir`]: the I/O half of the orphan sweep's look at a job directory. It checks that
//! the path is a job directory at all ([`check_job_dir`]), reads every `chk-<n>/_metadata`, and
//! walks `shared/` and the `chk-<n>/` directories, recording each entry's kind, size and mtime
//! for [`super::plan_sweep`] to judge.
//!
//! **Why the checkpoints are read twice**: a running job completes checkpoints and retention
//! deletes old ones while the scan runs. A checkpoint that completes during the scan may
//! reference shared files its predecessor did, and that predecessor may be deleted before its
//! `_metadata` is read. So the `chk-<n>/_metadata` files are read first, then the files are
//! walked, then the checkpoint directories are listed again and every `_metadata` not read yet
//! is read: the references that count are those of every `_metadata` seen at any point.
//!
//! Symbolic links are never followed (a `chk-<n>` that is one has its `_metadata` read through
//! it, but nothing in it is walked); `taskowned/` and entries weir does not write are never
//! entered. A file or directory that disappears while being walked is skipped; any other
//! failure to list or inspect is an error, because a scan with holes cannot decide anything.

use super::plan::{CheckpointDirScan, EntryKind, FoundEntry, FoundTree, JobDirScan, MetadataRead};
use crate::storage::error::StorageError;
use crate::storage::snapshot::open_snapshot;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use weir_checkpoint::paths::{
    CHECKPOINT_DIR_PREFIX, METADATA_FILE_NAME, SAVEPOINT_DIR_PREFIX, SHARED_DIR_NAME, TASK_OWNED_DIR_NAME,
    parse_checkpoint_dir_name,
};
use weir_checkpoint::{CheckpointId, Metadata};
use weir_core::JobId;

/// What a job directory should be passed as, for error messages.
const WHAT_TO_PASS: &str =
    "pass a job directory, <state.checkpoints.dir>/<job-id>, the one holding chk-<n>/ and shared/";

/// Checks that `path` is a job directory (`<state.checkpoints.dir>/<job-id>`): an existing
/// directory without a `_metadata` of its own that holds a `chk-<n>/`, or is named by a job id
/// and holds `shared/` or `taskowned/` (real directories, not links). Being strict here is what
/// keeps a mistyped path — a scratch directory that happens to hold a `shared/` — from being
/// swept. The error says what the path is instead and what to pass.
pub fn check_job_dir(path: &Path) -> Result<(), StorageError> {
    let not_one = |problem: String| Err(StorageError::NotAJobDirectory { path: path.to_path_buf(), problem });
    let parent = || path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).display();
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !path.exists() {
        return not_one("it does not exist".into());
    }
    if !path.is_dir() {
        let snapshot_dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let in_checkpoint =
            snapshot_dir.file_name().is_some_and(|n| parse_checkpoint_dir_name(&n.to_string_lossy()).is_some());
        return not_one(match snapshot_dir.parent().filter(|_| name == METADATA_FILE_NAME && in_checkpoint) {
            Some(job_dir) => {
                format!("it is a checkpoint's _metadata file; pass its job directory '{}'", job_dir.display())
            }
            None if name == METADATA_FILE_NAME => {
                format!("it is a snapshot's _metadata file (savepoints are never swept); {WHAT_TO_PASS}")
            }
            None => format!("it is a file; {WHAT_TO_PASS}"),
        });
    }
    if let Some(id) = parse_checkpoint_dir_name(&name) {
        return not_one(format!(
            "it is checkpoint {id}'s directory; pass its parent '{}', the job directory",
            parent()
        ));
    }
    if name.starts_with(SAVEPOINT_DIR_PREFIX) || path.join(METADATA_FILE_NAME).exists() {
        return not_one(format!(
            "it holds a _metadata, so it is a savepoint or checkpoint directory (savepoints belong to the user \
             and are never swept); {WHAT_TO_PASS}"
        ));
    }
    if name == SHARED_DIR_NAME || name == TASK_OWNED_DIR_NAME {
        return not_one(format!("it is the {name}/ directory of a job; pass its parent '{}'", parent()));
    }
    if looks_like_a_job_dir(path)? {
        return Ok(());
    }
    let mut job_dirs = Vec::new();
    for (_, dir) in list(path)?.unwrap_or_default() {
        if looks_like_a_job_dir(&dir).unwrap_or(false) {
            job_dirs.push(dir);
        }
    }
    job_dirs.sort();
    not_one(match job_dirs.first() {
        Some(example) => format!(
            "it holds {} job director{} (it looks like state.checkpoints.dir); pass one of them, e.g. '{}'",
            job_dirs.len(),
            if job_dirs.len() == 1 { "y" } else { "ies" },
            example.display()
        ),
        None if has_real_dir(path, SHARED_DIR_NAME) || has_real_dir(path, TASK_OWNED_DIR_NAME) => format!(
            "it holds no {CHECKPOINT_DIR_PREFIX}<n>/ and its name is not a job id, so its {SHARED_DIR_NAME}/ may \
             not be a job's; {WHAT_TO_PASS}"
        ),
        None => format!(
            "it holds no {CHECKPOINT_DIR_PREFIX}<n>/, {SHARED_DIR_NAME}/ or {TASK_OWNED_DIR_NAME}/; {WHAT_TO_PASS}"
        ),
    })
}

/// Whether `dir` is laid out as a job directory: it holds a `chk-<n>` directory, or it is named
/// by a job id and holds `shared/` or `taskowned/`. Links do not count: a directory that merely
/// links to a `shared/` (as a scratch directory might) is not taken for a job's.
fn looks_like_a_job_dir(dir: &Path) -> Result<bool, StorageError> {
    if !dir.is_dir() {
        return Ok(false);
    }
    let entries = list(dir)?.unwrap_or_default();
    if entries.iter().any(|(name, _)| parse_checkpoint_dir_name(name).is_some() && has_real_dir(dir, name)) {
        return Ok(true);
    }
    let name = fs::canonicalize(dir).ok().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let named_as_job = name.is_some_and(|name| JobId::parse(&name).is_some());
    Ok(named_as_job && (has_real_dir(dir, SHARED_DIR_NAME) || has_real_dir(dir, TASK_OWNED_DIR_NAME)))
}

/// Whether `dir/name` is a directory and not a link to one.
fn has_real_dir(dir: &Path, name: &str) -> bool {
    fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.file_type().is_dir())
}

/// Scans the job directory `job_dir` (checked with [`check_job_dir`] first).
pub fn scan_job_dir(job_dir: &Path) -> Result<JobDirScan, StorageError> {
    check_job_dir(job_dir)?;
    let mut not_entered = Vec::new();

    // 1. Every _metadata, before anything is walked.
    let mut first_read = Vec::new();
    for (id, dir, is_link) in checkpoint_dirs(job_dir, &mut not_entered)? {
        if let Some(metadata) = read_metadata(&dir) {
            first_read.push((id, dir, is_link, metadata));
        }
    }

    // 2. The files.
    let shared_path = job_dir.join(SHARED_DIR_NAME);
    let shared = match fs::symlink_metadata(&shared_path) {
        Ok(meta) if meta.file_type().is_dir() => walk(&shared_path, SHARED_DIR_NAME, &mut not_entered)?,
        Ok(meta) => {
            let why = if meta.file_type().is_symlink() { "symbolic link: not followed" } else { "not a directory" };
            not_entered.push((SHARED_DIR_NAME.to_string(), why));
            None
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(source) => return Err(StorageError::Io { action: "inspect", path: shared_path, source }),
    };
    let mut checkpoints = BTreeMap::new();
    let mut vanished = Vec::new();
    for (id, dir, is_link, metadata) in first_read {
        match checkpoint_scan(id, &dir, is_link, metadata, &mut not_entered)? {
            Walked::Found(scan) => {
                checkpoints.insert(id, scan);
            }
            Walked::Gone(read) => vanished.extend(read),
        }
    }

    // 3. The checkpoint directories again: what completed, appeared or went meanwhile. Those
    // still without _metadata are walked again, so their newest mtime is as fresh as it can be.
    let listed = checkpoint_dirs(job_dir, &mut Vec::new())?;
    let gone: Vec<CheckpointId> =
        checkpoints.keys().copied().filter(|id| !listed.iter().any(|(listed, _, _)| listed == id)).collect();
    for id in gone {
        if let Some(CheckpointDirScan { metadata: MetadataRead::Read(metadata), .. }) = checkpoints.remove(&id) {
            vanished.push(*metadata);
        }
    }
    for (id, dir, is_link) in listed {
        if checkpoints.get(&id).is_some_and(|c| c.metadata != MetadataRead::Missing) {
            continue;
        }
        checkpoints.remove(&id);
        let Some(metadata) = read_metadata(&dir) else { continue };
        if let Walked::Found(scan) = checkpoint_scan(id, &dir, is_link, metadata, &mut not_entered)? {
            checkpoints.insert(id, scan);
        }
    }
    Ok(JobDirScan { checkpoints: checkpoints.into_values().collect(), shared, vanished, not_entered })
}

/// A checkpoint directory after its walk.
enum Walked {
    Found(CheckpointDirScan),
    /// It went meanwhile; its metadata, if it was read, still counts.
    Gone(Option<Metadata>),
}

/// Walks checkpoint `id`'s directory (unless it is a link) and pairs it with its `_metadata`.
fn checkpoint_scan(
    id: CheckpointId,
    dir: &Path,
    is_link: bool,
    metadata: MetadataRead,
    not_entered: &mut Vec<(String, &'static str)>,
) -> Result<Walked, StorageError> {
    if is_link {
        return Ok(Walked::Found(CheckpointDirScan { id, metadata, tree: None }));
    }
    Ok(match walk(dir, &id.dir_name(), not_entered)? {
        Some(tree) => Walked::Found(CheckpointDirScan { id, metadata, tree: Some(tree) }),
        None => match metadata {
            MetadataRead::Read(metadata) => Walked::Gone(Some(*metadata)),
            _ => Walked::Gone(None),
        },
    })
}

/// The `chk-<n>` entries of the job directory that are directories or symbolic links to one,
/// as `(id, path, is_link)`; other `chk-<n>` entries are noted as not entered.
fn checkpoint_dirs(
    job_dir: &Path,
    not_entered: &mut Vec<(String, &'static str)>,
) -> Result<Vec<(CheckpointId, PathBuf, bool)>, StorageError> {
    let mut dirs = Vec::new();
    for (name, path) in list(job_dir)?.unwrap_or_default() {
        let Some(id) = parse_checkpoint_dir_name(&name) else { continue };
        let file_type = match fs::symlink_metadata(&path) {
            Ok(meta) => meta.file_type(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(StorageError::Io { action: "inspect", path, source }),
        };
        if file_type.is_dir() {
            dirs.push((id, path, false));
        } else if file_type.is_symlink() && path.is_dir() {
            dirs.push((id, path, true));
        } else {
            not_entered.push((name, "named like a checkpoint directory, but not a directory"));
        }
    }
    Ok(dirs)
}

/// Reads `dir/_metadata`; `None` when the directory itself went away.
fn read_metadata(dir: &Path) -> Option<MetadataRead> {
    match open_snapshot(dir) {
        Ok(snapshot) => Some(MetadataRead::Read(Box::new(snapshot.metadata))),
        Err(StorageError::Incomplete { .. }) => Some(MetadataRead::Missing),
        Err(StorageError::NotFound { .. }) => None,
        Err(error) => Some(MetadataRead::Unreadable { path: dir.join(METADATA_FILE_NAME), reason: error.to_string() }),
    }
}

/// Walks `dir` recursively without following symbolic links; `None` if it vanished. Entry
/// paths are relative to `dir`; `shown` is `dir` relative to the job directory, for the names
/// of entries that cannot be walked (not UTF-8).
fn walk(
    dir: &Path,
    shown: &str,
    not_entered: &mut Vec<(String, &'static str)>,
) -> Result<Option<FoundTree>, StorageError> {
    let modified = match fs::symlink_metadata(dir).and_then(|m| m.modified()) {
        Ok(modified) => modified,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StorageError::Io { action: "inspect", path: dir.to_path_buf(), source }),
    };
    let mut tree = FoundTree { modified, entries: Vec::new() };
    walk_into(dir, "", shown, &mut tree.entries, not_entered)?;
    Ok(Some(tree))
}

fn walk_into(
    dir: &Path,
    prefix: &str,
    shown: &str,
    out: &mut Vec<FoundEntry>,
    not_entered: &mut Vec<(String, &'static str)>,
) -> Result<(), StorageError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(StorageError::Io { action: "list directory", path: dir.to_path_buf(), source }),
    };
    for entry in entries {
        let entry = entry.map_err(StorageError::io("list directory", dir))?;
        let name = match entry.file_name().into_string() {
            Ok(name) => name,
            Err(raw) => {
                not_entered.push((format!("{shown}/{prefix}{}", raw.to_string_lossy()), "name is not UTF-8"));
                continue;
            }
        };
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => return Err(StorageError::Io { action: "inspect", path: entry.path(), source }),
        };
        let modified = meta.modified().map_err(StorageError::io("read the modification time of", entry.path()))?;
        let path = format!("{prefix}{name}");
        let file_type = meta.file_type();
        let kind = if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            walk_into(&entry.path(), &format!("{path}/"), shown, out, not_entered)?;
            EntryKind::Dir
        } else {
            EntryKind::File
        };
        let size = if kind == EntryKind::File { meta.len() } else { 0 };
        out.push(FoundEntry { path, kind, size, modified });
    }
    Ok(())
}

/// The entries of `dir` as `(name, path)`, names lossily converted (only compared against
/// weir's ASCII names); `None` if `dir` is missing.
fn list(dir: &Path) -> Result<Option<Vec<(String, PathBuf)>>, StorageError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StorageError::Io { action: "list directory", path: dir.to_path_buf(), source }),
    };
    let mut listed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(StorageError::io("list directory", dir))?;
        listed.push((entry.file_name().to_string_lossy().into_owned(), entry.path()));
    }
    Ok(Some(listed))
}
