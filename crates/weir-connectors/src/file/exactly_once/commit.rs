//! Committing one part file: renaming it from its pending name to its visible one, idempotently.
//!
//! A commit may be repeated: after a failure the restored writer commits again what the failed
//! one may or may not have committed already, and after a change of parallelism several new
//! subtasks commit the same old subtask's files. [`decide`] is the pure decision from what is on
//! disk; [`commit_part`] observes the disk, decides and renames.
//!
//! Committing never replaces a visible file: a rename would silently clobber it, so the
//! destination is checked first. The check and the rename are two steps; only another writer of
//! the same part name (a second job on the same directory) could slip between them.

use super::naming::{PartFile, Stage};
use std::fs::File;
use std::io;
use std::path::Path;
use weir_core::{Error, Result};

/// What to do with a part file to commit, from which of its names exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitDecision {
    /// Pending and not yet visible: rename it.
    Rename,
    /// Visible and no longer pending: an earlier attempt committed it.
    AlreadyCommitted,
    /// Neither pending nor visible: its records are gone; committing cannot make it right.
    Lost,
    /// Both pending and visible: renaming would replace a visible file someone else wrote.
    WouldClobber,
}

/// The decision for a part whose pending name exists (`pending`) and whose final name exists
/// (`committed`).
pub fn decide(pending: bool, committed: bool) -> CommitDecision {
    match (pending, committed) {
        (true, false) => CommitDecision::Rename,
        (false, true) => CommitDecision::AlreadyCommitted,
        (false, false) => CommitDecision::Lost,
        (true, true) => CommitDecision::WouldClobber,
    }
}

/// What committing a part did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// This call renamed the pending file.
    Renamed,
    /// It was committed before (by a failed writer, or by another subtask after rescaling).
    AlreadyCommitted,
}

/// Renames `part`'s pending file under `dir` to its visible name, unless that happened already.
/// Does not fsync the directory: the caller does, once for all the parts it commits.
pub fn commit_part(dir: &Path, part: PartFile) -> Result<CommitOutcome> {
    let pending = part.path(dir, Stage::Pending);
    let committed = part.path(dir, Stage::Committed);
    // Two rounds at most: another subtask committing the same part after rescaling can take the
    // pending file between our look and our rename; we then find it committed.
    for _ in 0..2 {
        match decide(exists(&pending)?, exists(&committed)?) {
            CommitDecision::Rename => match std::fs::rename(&pending, &committed) {
                Ok(()) => return Ok(CommitOutcome::Renamed),
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(Error::io(
                        format!("file: cannot commit '{}' as '{}'", pending.display(), committed.display()),
                        e,
                    ));
                }
            },
            CommitDecision::AlreadyCommitted => return Ok(CommitOutcome::AlreadyCommitted),
            CommitDecision::Lost => {
                return Err(Error::Connector {
                    connector: "file",
                    message: format!(
                        "cannot commit part file '{}': neither it nor '{}' exists; its records are lost",
                        pending.display(),
                        committed.display()
                    ),
                });
            }
            CommitDecision::WouldClobber => {
                return Err(Error::Connector {
                    connector: "file",
                    message: format!(
                        "cannot commit part file '{}': '{}' exists already and is not overwritten",
                        pending.display(),
                        committed.display()
                    ),
                });
            }
        }
    }
    Err(Error::Connector {
        connector: "file",
        message: format!("cannot commit part file '{}': it keeps disappearing", pending.display()),
    })
}

/// Whether `path` names anything (a dangling symlink counts: it is a name that would be replaced).
pub fn exists(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(format!("file: cannot look up '{}'", path.display()), e)),
    }
}

/// Makes renames, creations and deletions in `dir` durable (on Unix; elsewhere a no-op).
pub fn sync_dir(dir: &Path) -> Result<()> {
    // Windows cannot open a directory as a file; its renames are durable through the journal.
    if cfg!(unix) {
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| Error::io(format!("file: cannot fsync directory '{}'", dir.display()), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn decisions_follow_which_names_exist() {
        assert_eq!(decide(true, false), CommitDecision::Rename);
        assert_eq!(decide(false, true), CommitDecision::AlreadyCommitted);
        assert_eq!(decide(false, false), CommitDecision::Lost);
        assert_eq!(decide(true, true), CommitDecision::WouldClobber);
    }

    #[test]
    fn a_commit_renames_once_and_is_idempotent_after() {
        let dir = tempfile::tempdir().expect("tempdir");
        let part = PartFile::new(0, 3);
        fs::write(part.path(dir.path(), Stage::Pending), "a\n").expect("pending");
        assert_eq!(commit_part(dir.path(), part).expect("commit"), CommitOutcome::Renamed);
        assert_eq!(commit_part(dir.path(), part).expect("again"), CommitOutcome::AlreadyCommitted);
        assert_eq!(fs::read_to_string(part.path(dir.path(), Stage::Committed)).expect("read"), "a\n");
        assert!(!exists(&part.path(dir.path(), Stage::Pending)).expect("exists"));
    }

    #[test]
    fn a_lost_or_clobbering_commit_is_an_error_naming_the_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let part = PartFile::new(1, 0);
        let err = commit_part(dir.path(), part).expect_err("lost").to_string();
        assert!(err.contains(".part-1-0.pending") && err.contains("lost"), "{err}");

        fs::write(part.path(dir.path(), Stage::Pending), "new\n").expect("pending");
        fs::write(part.path(dir.path(), Stage::Committed), "old\n").expect("final");
        let err = commit_part(dir.path(), part).expect_err("clobber").to_string();
        assert!(err.contains("part-1-0") && err.contains("not overwritten"), "{err}");
        assert_eq!(fs::read_to_string(part.path(dir.path(), Stage::Committed)).expect("read"), "old\n");
    }
}
