//! `weir checkpoints verify <PATH>`: is every file a snapshot references there, with the size and
//! CRC32C `_metadata` recorded? One line per damaged file naming it and what is wrong, a warning
//! per file in the snapshot's directory that `_metadata` does not reference, a summary, and an exit
//! status a script can act on ([`EXIT_DAMAGED`], [`EXIT_UNREADABLE_METADATA`]).
//!
//! Every file is checked with weir-state's own check (`UnverifiedSnapshot::check_file`: the path
//! resolution and the size and CRC32C comparison a restore makes), but all of them rather than up
//! to the first problem, which is all a restore needs. Checking is [`verify`] (the I/O: every
//! file is read in full); [`classify`] and [`render`] are pure.
//!
//! It is **not** a repair tool: nothing on disk is changed.

use crate::error_report::format_error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use weir_checkpoint::SnapshotKind;
use weir_state::storage::{StorageError, UnverifiedSnapshot, open_snapshot};

/// Exit status when a referenced file is missing or damaged.
pub const EXIT_DAMAGED: u8 = 1;
/// Exit status when `_metadata` itself is missing or unreadable (nothing else could be checked).
pub const EXIT_UNREADABLE_METADATA: u8 = 3;

/// What is wrong with one referenced file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    /// It does not exist.
    Missing,
    /// It has another size than recorded: cut off or appended to.
    Size { expected: u64, actual: u64 },
    /// Its content's CRC32C differs from the recorded one.
    Checksum { expected: u32, actual: u32 },
    /// It could not be read, or its recorded path is not allowed here; the message says why.
    Unreadable(String),
}

/// One referenced file with a problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damaged {
    /// Where the file is expected (as a restore resolves it).
    pub path: PathBuf,
    pub uid: String,
    pub subtask: usize,
    pub problem: FileProblem,
}

/// The result of checking one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub dir: PathBuf,
    pub kind: SnapshotKind,
    pub checkpoint_id: u64,
    pub job_id: String,
    /// How many files `_metadata` references, and their recorded bytes.
    pub files: usize,
    pub bytes: u64,
    pub damaged: Vec<Damaged>,
    /// Files under the snapshot's directory that `_metadata` does not reference (warnings).
    pub unreferenced: Vec<PathBuf>,
    /// Parts of the directory that could not be listed while looking for unreferenced files.
    pub unlisted: Vec<String>,
}

impl Report {
    pub fn is_intact(&self) -> bool {
        self.damaged.is_empty()
    }

    pub fn exit_code(&self) -> ExitCode {
        if self.is_intact() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_DAMAGED) }
    }
}

/// What `verify` found: a report, or a `_metadata` that could not be read.
#[derive(Debug)]
pub enum Outcome {
    Checked(Report),
    UnreadableMetadata(StorageError),
}

/// Checks the snapshot at `path`, prints the report, and returns the exit status.
pub fn execute(path: &Path) -> anyhow::Result<ExitCode> {
    match run(path) {
        Outcome::Checked(report) => {
            super::super::print_stdout(&render(&report))?;
            Ok(report.exit_code())
        }
        Outcome::UnreadableMetadata(error) => {
            let error = anyhow::Error::new(error).context(format!("cannot verify '{}'", path.display()));
            eprintln!("{}", format_error(&error));
            Ok(ExitCode::from(EXIT_UNREADABLE_METADATA))
        }
    }
}

/// Opens the snapshot at `path` (its directory or `_metadata`) and checks every file.
pub fn run(path: &Path) -> Outcome {
    match open_snapshot(path) {
        Ok(snapshot) => Outcome::Checked(verify(&snapshot)),
        Err(error) => Outcome::UnreadableMetadata(error),
    }
}

/// Checks every file `snapshot` references, and looks for files in its directory it does not.
pub fn verify(snapshot: &UnverifiedSnapshot) -> Report {
    let metadata = &snapshot.metadata;
    let mut damaged = Vec::new();
    let mut referenced = vec![snapshot.metadata_path().to_path_buf()];
    for (uid, subtask, file) in metadata.files() {
        let path = snapshot.file_path(file);
        if let Ok(path) = &path {
            referenced.push(path.clone());
        }
        if let Err(error) = snapshot.check_file(file) {
            let recorded = || snapshot.dir().join(file.path.as_str());
            let (path, problem) = classify(error, path.unwrap_or_else(|_| recorded()));
            damaged.push(Damaged { path, uid: uid.0.clone(), subtask: subtask.0, problem });
        }
    }
    let mut unlisted = Vec::new();
    let mut present = Vec::new();
    walk(snapshot.dir(), &mut present, &mut unlisted);
    let mut unreferenced: Vec<PathBuf> = present.into_iter().filter(|p| !referenced.contains(p)).collect();
    unreferenced.sort();
    Report {
        dir: snapshot.dir().to_path_buf(),
        kind: metadata.kind,
        checkpoint_id: metadata.checkpoint_id.0,
        job_id: metadata.job_id.to_string(),
        files: metadata.files().count(),
        bytes: metadata.files().map(|(_, _, f)| f.size).sum(),
        damaged,
        unreferenced,
        unlisted,
    }
}

/// What a failed check of the file expected at `expected_at` means (the error's own path wins).
pub fn classify(error: StorageError, expected_at: PathBuf) -> (PathBuf, FileProblem) {
    match error {
        StorageError::StateFileMissing { path } => (path, FileProblem::Missing),
        StorageError::StateFileSize { path, expected, actual } => (path, FileProblem::Size { expected, actual }),
        StorageError::StateFileChecksum { path, expected, actual } => {
            (path, FileProblem::Checksum { expected, actual })
        }
        StorageError::Io { action, path, source } => {
            (path, FileProblem::Unreadable(format!("cannot {action} it: {source}")))
        }
        other => (expected_at, FileProblem::Unreadable(other.to_string())),
    }
}

/// Every file under `dir` (recursively); directories that cannot be listed are noted.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, unlisted: &mut Vec<String>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => return unlisted.push(format!("cannot list '{}': {e}", dir.display())),
    };
    for entry in entries {
        match entry.and_then(|e| e.file_type().map(|t| (e.path(), t.is_dir()))) {
            Ok((path, true)) => walk(&path, files, unlisted),
            Ok((path, false)) => files.push(path),
            Err(e) => unlisted.push(format!("cannot list '{}': {e}", dir.display())),
        }
    }
}

/// One line per problem, one per warning, and the summary.
pub fn render(report: &Report) -> String {
    let mut text = format!(
        "Verifying {} {} of job {} at {}\n",
        report.kind,
        report.checkpoint_id,
        report.job_id,
        report.dir.display()
    );
    for damaged in &report.damaged {
        text.push_str(&damaged_line(damaged));
        text.push('\n');
    }
    for path in &report.unreferenced {
        text.push_str(&format!(
            "warning: {}: in the snapshot's directory but not referenced by _metadata\n",
            path.display()
        ));
    }
    for problem in &report.unlisted {
        text.push_str(&format!("warning: {problem}\n"));
    }
    let files = super::format::plural(report.files, "file", "files");
    let bytes = super::format::human_bytes(report.bytes);
    if report.is_intact() {
        text.push_str(&format!("OK: {files} ({bytes}) referenced by _metadata, all with the recorded size and CRC32C"));
    } else {
        text.push_str(&format!(
            "DAMAGED: {} of {files} referenced by _metadata missing or damaged; this {} cannot be restored",
            report.damaged.len(),
            report.kind
        ));
    }
    if !report.unreferenced.is_empty() {
        text.push_str(&format!(
            "; {} not referenced",
            super::format::plural(report.unreferenced.len(), "file", "files")
        ));
    }
    text.push('\n');
    text
}

/// `MISSING <path> (operator 'x', subtask n): what is wrong`.
pub fn damaged_line(damaged: &Damaged) -> String {
    let (tag, what) = match &damaged.problem {
        FileProblem::Missing => ("MISSING", "the file does not exist".to_string()),
        FileProblem::Size { expected, actual } => (
            "WRONG SIZE",
            format!("{actual} bytes, but _metadata records {expected}; the file is truncated or corrupt"),
        ),
        FileProblem::Checksum { expected, actual } => {
            ("BAD CHECKSUM", format!("crc32c {actual:08x}, but _metadata records {expected:08x}; the file is corrupt"))
        }
        FileProblem::Unreadable(why) => ("UNREADABLE", why.clone()),
    };
    format!("{tag}: {} (operator '{}', subtask {}): {what}", damaged.path.display(), damaged.uid, damaged.subtask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(damaged: Vec<Damaged>, unreferenced: Vec<PathBuf>) -> Report {
        Report {
            dir: PathBuf::from("/ck/j/chk-3"),
            kind: SnapshotKind::Checkpoint,
            checkpoint_id: 3,
            job_id: "0f1e".into(),
            files: 2,
            bytes: 2048,
            damaged,
            unreferenced,
            unlisted: vec![],
        }
    }

    #[test]
    fn storage_errors_are_classified_with_the_file_they_name() {
        let at = PathBuf::from("/ck/j/chk-3/counts/0");
        let other = PathBuf::from("/elsewhere");
        assert_eq!(
            classify(StorageError::StateFileMissing { path: at.clone() }, other.clone()),
            (at.clone(), FileProblem::Missing)
        );
        let size = StorageError::StateFileSize { path: at.clone(), expected: 10, actual: 9 };
        assert_eq!(classify(size, other.clone()), (at.clone(), FileProblem::Size { expected: 10, actual: 9 }));
        let crc = StorageError::StateFileChecksum { path: at.clone(), expected: 1, actual: 2 };
        assert_eq!(classify(crc, other.clone()), (at.clone(), FileProblem::Checksum { expected: 1, actual: 2 }));
        let io = StorageError::Io {
            action: "read",
            path: at.clone(),
            source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        };
        assert_eq!(classify(io, other.clone()), (at, FileProblem::Unreadable("cannot read it: denied".into())));
        let (path, problem) = classify(StorageError::SavepointNotDeletable { dir: "/x".into() }, other.clone());
        assert_eq!(path, other);
        assert!(matches!(problem, FileProblem::Unreadable(why) if why.contains("/x")));
    }

    #[test]
    fn every_problem_is_one_line_naming_the_file() {
        let damaged =
            |problem| Damaged { path: "/ck/j/chk-3/counts/1".into(), uid: "counts".into(), subtask: 1, problem };
        let text = render(&report(
            vec![damaged(FileProblem::Missing), damaged(FileProblem::Checksum { expected: 0xab, actual: 0xcd })],
            vec![PathBuf::from("/ck/j/chk-3/stray")],
        ));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "Verifying checkpoint 3 of job 0f1e at /ck/j/chk-3",
                "MISSING: /ck/j/chk-3/counts/1 (operator 'counts', subtask 1): the file does not exist",
                "BAD CHECKSUM: /ck/j/chk-3/counts/1 (operator 'counts', subtask 1): crc32c 000000cd, but _metadata records 000000ab; the file is corrupt",
                "warning: /ck/j/chk-3/stray: in the snapshot's directory but not referenced by _metadata",
                "DAMAGED: 2 of 2 files referenced by _metadata missing or damaged; this checkpoint cannot be restored; 1 file not referenced",
            ]
        );
        let size = damaged_line(&damaged(FileProblem::Size { expected: 10, actual: 9 }));
        assert!(
            size.starts_with("WRONG SIZE: /ck/j/chk-3/counts/1") && size.contains("9 bytes, but _metadata records 10"),
            "{size}"
        );
    }

    #[test]
    fn an_intact_snapshot_says_so_and_exits_zero() {
        let report = report(vec![], vec![]);
        assert_eq!(report.exit_code(), ExitCode::SUCCESS);
        let text = render(&report);
        assert!(
            text.ends_with("OK: 2 files (2.0 KiB) referenced by _metadata, all with the recorded size and CRC32C\n"),
            "{text}"
        );
    }
}
