//! `weir checkpoints list <DIR>`: every checkpoint and savepoint under a directory, per job,
//! newest first, each with its size, operators and whether it can be restored (and if not, why).
//!
//! Whether a snapshot is restorable is decided by weir-state's own loading, exactly as automatic
//! recovery decides it: a job's `chk-<n>` directories are listed and opened by the steps of
//! `find_latest_restorable` ([`list_checkpoint_dirs`], [`open_checkpoint`]) and their files
//! verified; a savepoint is opened and verified as a `-s` restore would. Nothing is re-implemented
//! here, so the list never calls restorable what a restore would refuse.
//!
//! Finding and loading is [`find`] (the I/O); [`render`] is pure. It is **not** a repair tool:
//! it changes nothing on disk.

use super::format::{Align, human_bytes, iso8601_utc, table};
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use weir_checkpoint::SnapshotKind;
use weir_checkpoint::paths::{METADATA_FILE_NAME, SAVEPOINT_DIR_PREFIX, parse_checkpoint_dir_name};
use weir_state::storage::{StorageError, UnverifiedSnapshot, list_checkpoint_dirs, open_checkpoint, open_snapshot};

/// One snapshot found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The job id: from `_metadata`, else from the job directory's name; `None` for an
    /// unreadable savepoint.
    pub job: Option<String>,
    pub kind: SnapshotKind,
    /// The checkpoint id (from `_metadata`, else from a `chk-<n>` directory's name).
    pub id: Option<u64>,
    /// When it was triggered, in milliseconds since the epoch (from `_metadata`).
    pub timestamp: Option<i64>,
    /// Bytes of all files under its directory (shared files of incremental checkpoints are not
    /// in it); `None` if the directory could not be walked.
    pub size: Option<u64>,
    /// How many operators `_metadata` names.
    pub operators: Option<usize>,
    pub dir: PathBuf,
    pub status: Status,
}

/// Whether a snapshot can be restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// `_metadata` is intact and every file it references has its recorded size and CRC32C.
    Restorable,
    /// Why a restore would refuse it (the loader's own message, naming the file).
    NotRestorable(String),
}

/// Prints the snapshots under `path`.
pub fn execute(path: &Path) -> anyhow::Result<()> {
    let listed = find(path)?;
    super::super::print_stdout(&render(path, &listed))
}

/// Every snapshot under `path`: a single snapshot directory (or its `_metadata`), a job directory
/// (its `chk-<n>`), or a directory of job directories and savepoint directories
/// (`state.checkpoints.dir`, `state.savepoints.dir`). Fails only if `path` cannot be listed.
pub fn find(path: &Path) -> anyhow::Result<Vec<Listed>> {
    if !path.exists() {
        anyhow::bail!("'{}' does not exist", path.display());
    }
    if path.is_file() || path.join(METADATA_FILE_NAME).is_file() {
        return Ok(vec![single(path)]);
    }
    let job_dir_checkpoints =
        list_checkpoint_dirs(path).with_context(|| format!("cannot list '{}'", path.display()))?;
    if !job_dir_checkpoints.is_empty() {
        return Ok(job(path, job_dir_checkpoints));
    }
    let mut listed = Vec::new();
    for dir in subdirectories(path)? {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with(SAVEPOINT_DIR_PREFIX) || dir.join(METADATA_FILE_NAME).is_file() {
            listed.push(single(&dir));
            continue;
        }
        let checkpoints = list_checkpoint_dirs(&dir).with_context(|| format!("cannot list '{}'", dir.display()))?;
        listed.extend(job(&dir, checkpoints));
    }
    Ok(listed)
}

/// The directories directly under `dir`, sorted by name.
fn subdirectories(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let context = || format!("cannot list '{}'", dir.display());
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(context)? {
        let entry = entry.with_context(context)?;
        if entry.file_type().with_context(context)?.is_dir() {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

/// The checkpoints of the job directory `job_dir`, opened as automatic recovery opens them.
fn job(job_dir: &Path, checkpoints: Vec<(weir_checkpoint::CheckpointId, PathBuf)>) -> Vec<Listed> {
    let job = job_dir.file_name().map(|n| n.to_string_lossy().into_owned());
    checkpoints
        .into_iter()
        .map(|(id, dir)| match open_checkpoint(&dir, id) {
            Ok(snapshot) => opened(snapshot),
            Err(reason) => unreadable(job.clone(), SnapshotKind::Checkpoint, Some(id.0), dir, &reason),
        })
        .collect()
}

/// One snapshot given by its directory or `_metadata`: a `chk-<n>` directory is opened as a
/// checkpoint of its job, anything else as a savepoint.
fn single(path: &Path) -> Listed {
    let dir = if path.is_file() { path.parent().unwrap_or(Path::new(".")).to_path_buf() } else { path.to_path_buf() };
    let checkpoint = dir.file_name().and_then(|name| parse_checkpoint_dir_name(&name.to_string_lossy()));
    let opened_or = match checkpoint {
        Some(id) => open_checkpoint(&dir, id).map_err(|e| (SnapshotKind::Checkpoint, Some(id.0), e)),
        None => open_snapshot(path).map_err(|e| (SnapshotKind::Savepoint, None, e)),
    };
    match opened_or {
        Ok(snapshot) => opened(snapshot),
        Err((kind, id, reason)) => {
            let job = match kind {
                SnapshotKind::Checkpoint => dir.parent().and_then(Path::file_name).map(|n| n.to_string_lossy().into()),
                SnapshotKind::Savepoint => None,
            };
            unreadable(job, kind, id, dir, &reason)
        }
    }
}

/// A snapshot whose `_metadata` decoded: verified now, file by file, as a restore would.
fn opened(snapshot: UnverifiedSnapshot) -> Listed {
    let metadata = &snapshot.metadata;
    let mut listed = Listed {
        job: Some(metadata.job_id.to_string()),
        kind: metadata.kind,
        id: Some(metadata.checkpoint_id.0),
        timestamp: Some(metadata.timestamp),
        size: dir_size(snapshot.dir()),
        operators: Some(metadata.operators.len()),
        dir: snapshot.dir().to_path_buf(),
        status: Status::Restorable,
    };
    if let Err(reason) = snapshot.verify() {
        listed.status = Status::NotRestorable(reason.to_string());
    }
    listed
}

fn unreadable(job: Option<String>, kind: SnapshotKind, id: Option<u64>, dir: PathBuf, reason: &StorageError) -> Listed {
    Listed {
        job,
        kind,
        id,
        timestamp: None,
        size: dir_size(&dir),
        operators: None,
        dir,
        status: Status::NotRestorable(reason.to_string()),
    }
}

/// Bytes of every file under `dir`.
fn dir_size(dir: &Path) -> Option<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).ok()? {
        let entry = entry.ok()?;
        let meta = entry.metadata().ok()?;
        total += if meta.is_dir() { dir_size(&entry.path())? } else { meta.len() };
    }
    Some(total)
}

/// The snapshots grouped by job (the job with the newest snapshot first); within a job, its
/// checkpoints newest (highest id) first, then its savepoints newest first. Paths are shown
/// relative to `base`, the listed directory.
pub fn render(base: &Path, listed: &[Listed]) -> String {
    if listed.is_empty() {
        return format!("No checkpoints or savepoints under '{}'.\n", base.display());
    }
    let mut jobs: BTreeMap<Option<&str>, Vec<&Listed>> = BTreeMap::new();
    for snapshot in listed {
        jobs.entry(snapshot.job.as_deref()).or_default().push(snapshot);
    }
    let mut jobs: Vec<(Option<&str>, Vec<&Listed>)> = jobs.into_iter().collect();
    jobs.sort_by_key(|(_, snapshots)| std::cmp::Reverse(snapshots.iter().filter_map(|s| s.timestamp).max()));

    let columns = [
        ("KIND", Align::Left),
        ("ID", Align::Right),
        ("TIME (UTC)", Align::Left),
        ("SIZE", Align::Right),
        ("OPERATORS", Align::Right),
        ("PATH", Align::Left),
        ("STATUS", Align::Left),
    ];
    let mut text = String::new();
    for (job, mut snapshots) in jobs {
        snapshots.sort_by_key(|s| {
            let kind = match s.kind {
                SnapshotKind::Checkpoint => 0,
                SnapshotKind::Savepoint => 1,
            };
            (kind, std::cmp::Reverse(s.timestamp.filter(|_| kind == 1)), std::cmp::Reverse(s.id))
        });
        let restorable = snapshots.iter().filter(|s| s.status == Status::Restorable).count();
        text.push_str(&format!(
            "Job {}: {} of {} restorable\n",
            job.unwrap_or("unknown (unreadable _metadata)"),
            restorable,
            snapshots.len()
        ));
        let rows: Vec<Vec<String>> = snapshots.iter().map(|s| row(base, s)).collect();
        text.push_str(&table("  ", &columns, &rows));
        text.push('\n');
    }
    text
}

fn row(base: &Path, s: &Listed) -> Vec<String> {
    let unknown = || "-".to_string();
    let path = s.dir.strip_prefix(base).ok().filter(|p| !p.as_os_str().is_empty()).unwrap_or(&s.dir);
    vec![
        s.kind.to_string(),
        s.id.map_or_else(unknown, |id| id.to_string()),
        s.timestamp.map_or_else(unknown, iso8601_utc),
        s.size.map_or_else(unknown, human_bytes),
        s.operators.map_or_else(unknown, |n| n.to_string()),
        path.display().to_string(),
        match &s.status {
            Status::Restorable => "restorable".to_string(),
            Status::NotRestorable(reason) => format!("NOT restorable: {reason}"),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(job: &str, kind: SnapshotKind, id: u64, timestamp: Option<i64>, status: Status) -> Listed {
        Listed {
            job: Some(job.into()),
            kind,
            id: Some(id),
            timestamp,
            size: Some(2048),
            operators: timestamp.map(|_| 3),
            dir: PathBuf::from(format!("/ck/{job}/{kind}-{id}")),
            status,
        }
    }

    #[test]
    fn newest_first_per_job_and_the_newest_job_first() {
        let broken = Status::NotRestorable("'/ck/b/chk-9' has no _metadata".into());
        let snapshots = vec![
            listed("a", SnapshotKind::Checkpoint, 1, Some(1_000), Status::Restorable),
            listed("a", SnapshotKind::Savepoint, 5, Some(1_500), Status::Restorable),
            listed("a", SnapshotKind::Checkpoint, 2, Some(2_000), Status::Restorable),
            listed("b", SnapshotKind::Checkpoint, 9, None, broken),
            listed("b", SnapshotKind::Checkpoint, 8, Some(9_000), Status::Restorable),
        ];
        let text = render(Path::new("/ck"), &snapshots);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Job b: 1 of 2 restorable", "{text}");
        assert!(lines[1].starts_with("  KIND") && lines[1].contains("TIME (UTC)"), "{text}");
        assert!(lines[2].contains(" 9 ") && lines[2].ends_with("NOT restorable: '/ck/b/chk-9' has no _metadata"));
        assert!(
            lines[3].contains(" 8 ")
                && lines[3].contains("1970-01-01T00:00:09.000Z")
                && lines[3].ends_with("restorable")
        );
        assert_eq!(lines[5], "Job a: 3 of 3 restorable", "{text}");
        let order: Vec<&str> = lines[7..10].iter().map(|l| l.split_whitespace().nth(1).unwrap_or("")).collect();
        assert_eq!(order, ["2", "1", "5"], "checkpoints by id, then savepoints:\n{text}");
        assert!(
            lines[7].contains("a/checkpoint-2") && lines[7].contains("2.0 KiB"),
            "paths relative to the listed dir:\n{text}"
        );
    }

    #[test]
    fn nothing_found_says_where_it_looked() {
        assert_eq!(render(Path::new("/ck"), &[]), "No checkpoints or savepoints under '/ck'.\n");
    }
}
