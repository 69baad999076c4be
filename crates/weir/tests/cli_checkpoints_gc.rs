//! `weir checkpoints gc` run as the real binary on a job directory written with weir-state's
//! `FsCheckpointStorage` and real `Metadata`: two retained checkpoints sharing files, and orphans
//! of every kind, some aged past the grace period with `File::set_modified`. A dry run lists and
//! deletes nothing; the real run deletes exactly the old orphans, and the retained checkpoints
//! still verify. Paths that are not job directories and unreadable `_metadata` are refused.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};
use weir_checkpoint::{
    CheckpointId, FileScope, Metadata, OperatorState, RelativePath, SnapshotKind, SnapshotLocation, StateFile,
    SubtaskState, paths,
};
use weir_core::{JobId, OperatorUid, SubtaskIndex};
use weir_state::storage::FsCheckpointStorage;

const JOB: JobId = JobId([0x3e; 16]);
const HOUR: Duration = Duration::from_secs(3600);

fn weir(args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_weir")).args(args).output()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn checkpoint(id: u64) -> SnapshotLocation {
    SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(id) }
}

fn metadata(id: u64, kind: SnapshotKind, files: Vec<StateFile>) -> Metadata {
    Metadata {
        job_id: JOB,
        checkpoint_id: CheckpointId(id),
        timestamp: 1_735_689_600_000 + id as i64,
        kind,
        max_parallelism: 128,
        operators: vec![OperatorState {
            uid: OperatorUid("counts".into()),
            parallelism: 1,
            subtasks: vec![SubtaskState { subtask: SubtaskIndex(0), files, source_splits: None }],
        }],
    }
}

/// Writes a file into the job's `shared/` as an incremental backend would, and describes it.
fn write_shared(storage: &FsCheckpointStorage, path: &str, bytes: &[u8]) -> anyhow::Result<StateFile> {
    let relative = RelativePath::new(path)?;
    let on_disk = relative.to_path_under(&storage.shared_dir());
    fs::create_dir_all(on_disk.parent().ok_or_else(|| anyhow::anyhow!("no parent"))?)?;
    fs::write(&on_disk, bytes)?;
    Ok(StateFile {
        path: relative,
        scope: FileScope::Shared,
        size: bytes.len() as u64,
        crc32c: crc32c::crc32c(bytes),
        key_groups: None,
    })
}

/// Checkpoint `id`: an exclusive file, `shared`, and `_metadata` naming both.
fn write_checkpoint(storage: &FsCheckpointStorage, id: u64, shared: &[&StateFile]) -> anyhow::Result<()> {
    let mut files = vec![storage.write_exclusive_file(&checkpoint(id), "counts-0", b"state", None)?];
    files.extend(shared.iter().map(|f| (*f).clone()));
    storage.write_metadata(&checkpoint(id), &metadata(id, SnapshotKind::Checkpoint, files))?;
    Ok(())
}

/// Sets the mtime of `path`, and of everything in it, to `by` ago.
fn age(path: &Path, by: Duration) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in fs::read_dir(path)? {
            age(&entry?.path(), by)?;
        }
    }
    let file = if path.is_dir() { fs::File::open(path)? } else { fs::File::options().write(true).open(path)? };
    file.set_modified(SystemTime::now() - by)
}

/// Every file under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> std::io::Result<Vec<String>> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(base, &path, out)?;
            } else if let Ok(relative) = path.strip_prefix(base) {
                out.push(relative.display().to_string());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// A job directory with retained checkpoints 1 and 2 (sharing `b.sst`), and orphans: old ones
/// (an unreferenced shared file in its own directory, an incomplete `chk-3`, a stray file in
/// `chk-2`) and young ones (an unreferenced shared file, an incomplete `chk-4`), plus an old
/// task-owned file that is never touched.
fn job_dir_with_orphans(base: &Path) -> anyhow::Result<FsCheckpointStorage> {
    let storage = FsCheckpointStorage::new(base, JOB);
    let a = write_shared(&storage, "counts/a.sst", b"a")?;
    let b = write_shared(&storage, "counts/b.sst", b"bb")?;
    let c = write_shared(&storage, "counts/c.sst", b"ccc")?;
    write_checkpoint(&storage, 1, &[&a, &b])?;
    write_checkpoint(&storage, 2, &[&b, &c])?;
    write_shared(&storage, "compacted/old.sst", &[7; 3000])?;
    storage.write_exclusive_file(&checkpoint(3), "counts-0", b"aborted", None)?;
    fs::write(storage.location_dir(&checkpoint(2)).join("counts-0.tmp"), b"stray")?;
    fs::create_dir_all(storage.task_owned_dir())?;
    fs::write(storage.task_owned_dir().join("sink-0.pending"), b"pending")?;
    age(&storage.job_dir(), 2 * HOUR)?;
    write_shared(&storage, "counts/d.sst", b"young")?;
    storage.write_exclusive_file(&checkpoint(4), "counts-0", b"in progress", None)?;
    Ok(storage)
}

#[test]
fn a_dry_run_lists_the_orphans_and_a_real_run_deletes_exactly_them() -> anyhow::Result<()> {
    let base = tempfile::tempdir()?;
    let storage = job_dir_with_orphans(base.path())?;
    let job_dir = storage.job_dir();
    let job = job_dir.display().to_string();
    let before = files_under(&job_dir)?;

    let output = weir(&["checkpoints", "gc", &job, "--dry-run"])?;
    let (stdout, stderr) = (lossy(&output.stdout), lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Retained: checkpoints 1, 2, referencing 3 shared files."), "{stdout}");
    assert!(stdout.contains("Would delete (orphans at least 1h old):"), "{stdout}");
    for (path, why) in [
        ("chk-2/counts-0.tmp", "not named by its _metadata"),
        ("chk-3/ ", "checkpoint directory without _metadata"),
        ("shared/compacted/old.sst", "shared file no retained checkpoint references"),
    ] {
        let line = stdout.lines().find(|l| l.trim_start().starts_with(path));
        assert!(line.is_some_and(|l| l.contains(why) && l.contains(" 2h")), "{path}: {why}\n{stdout}");
    }
    assert!(stdout.contains("2.9 KiB"), "sizes for people:\n{stdout}");
    assert!(stdout.contains("Kept for now, younger than 1h: 2 orphans"), "{stdout}");
    assert!(stdout.ends_with("nothing was deleted.\n") && stdout.contains("Dry run: 3 orphans"), "{stdout}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(files_under(&job_dir)?, before, "a dry run deletes nothing");

    let output = weir(&["checkpoints", "gc", &job])?;
    let (stdout, stderr) = (lossy(&output.stdout), lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("Deleted (orphans at least 1h old):"), "{stdout}");
    assert!(stdout.ends_with("Deleted 3 orphans (2.9 KiB), and 1 empty directory under shared/.\n"), "{stdout}");
    let expected: Vec<String> = [
        "chk-1/_metadata",
        "chk-1/counts-0",
        "chk-2/_metadata",
        "chk-2/counts-0",
        "chk-4/counts-0",
        "shared/counts/a.sst",
        "shared/counts/b.sst",
        "shared/counts/c.sst",
        "shared/counts/d.sst",
        "taskowned/sink-0.pending",
    ]
    .iter()
    .map(|p| PathBuf::from(p).display().to_string())
    .collect();
    assert_eq!(files_under(&job_dir)?, expected);
    assert!(!storage.shared_dir().join("compacted").exists());
    for id in [1, 2] {
        let chk = storage.location_dir(&checkpoint(id)).display().to_string();
        let output = weir(&["checkpoints", "verify", &chk])?;
        assert_eq!(output.status.code(), Some(0), "checkpoint {id} still verifies: {}", lossy(&output.stdout));
    }

    // Nothing left that is old enough; a short grace period is warned about.
    let output = weir(&["checkpoints", "gc", &job, "--grace", "10 s"])?;
    let (stdout, stderr) = (lossy(&output.stdout), lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.starts_with("warning: the grace period 10s is shorter than the default checkpoint timeout (10m)"));
    assert!(stdout.contains("No orphans at least 10s old.") && stdout.ends_with("Deleted 0 orphans (0 B).\n"));
    Ok(())
}

#[test]
fn paths_that_are_not_job_directories_are_refused_with_what_to_pass() -> anyhow::Result<()> {
    let base = tempfile::tempdir()?;
    let storage = job_dir_with_orphans(base.path())?;
    let savepoint = SnapshotLocation::Savepoint { dir: paths::savepoint_dir_name(JOB, 1) };
    let file = storage.write_exclusive_file(&savepoint, "counts-0", b"mine", None)?;
    storage.write_metadata(&savepoint, &metadata(5, SnapshotKind::Savepoint, vec![file]))?;
    let job = storage.job_dir().display().to_string();
    let chk = storage.location_dir(&checkpoint(1));
    let cases = [
        (chk.clone(), format!("it is checkpoint 1's directory; pass its parent '{job}'")),
        (chk.join("_metadata"), format!("it is a checkpoint's _metadata file; pass its job directory '{job}'")),
        (storage.location_dir(&savepoint), "savepoints belong to the user and are never swept".to_string()),
        (base.path().to_path_buf(), format!("it looks like state.checkpoints.dir); pass one of them, e.g. '{job}'")),
    ];
    for (path, expected) in cases {
        let shown = path.display().to_string();
        let output = weir(&["checkpoints", "gc", &shown, "--dry-run"])?;
        let stderr = lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{shown}: {stderr}");
        assert!(stderr.starts_with(&format!("error: '{shown}' is not a job directory: ")), "{stderr}");
        assert!(stderr.contains(&expected), "{shown}: expected {expected:?} in {stderr}");
    }
    let output = weir(&["checkpoints", "gc", &job, "--grace", "3600"])?;
    let stderr = lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("'3600' has no unit"), "{stderr}");
    Ok(())
}

#[test]
fn an_unreadable_metadata_refuses_the_sweep() -> anyhow::Result<()> {
    let base = tempfile::tempdir()?;
    let storage = job_dir_with_orphans(base.path())?;
    let metadata = storage.location_dir(&checkpoint(2)).join("_metadata");
    let bytes = fs::read(&metadata)?;
    fs::write(&metadata, &bytes[..bytes.len() - 10])?;
    let before = files_under(&storage.job_dir())?;

    let output = weir(&["checkpoints", "gc", &storage.job_dir().display().to_string()])?;
    let (stdout, stderr) = (lossy(&output.stdout), lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.starts_with("error: refusing to sweep '"), "{stderr}");
    assert!(stderr.contains("nothing was deleted") && stderr.contains(&metadata.display().to_string()), "{stderr}");
    assert!(stderr.contains("truncated"), "says why the file cannot be read: {stderr}");
    assert_eq!(files_under(&storage.job_dir())?, before);
    Ok(())
}
