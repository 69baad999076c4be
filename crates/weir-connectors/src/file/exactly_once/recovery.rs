//! What a new writer does with the files it finds: commit what the restored checkpoint staged,
//! delete what was written after it, and pick the next sequence number.
//!
//! The checkpoint restored from is complete (the coordinator only restores completed ones), but
//! its completion may never have reached the failed writer, so its pending files may still be
//! hidden: they are committed now. Hidden files it does not list were written after it; the
//! source replays their records, so they are deleted. A fresh start (no state) deletes every
//! hidden file of the subtask for the same reason: nothing of a run that never completed a
//! checkpoint is kept.
//!
//! After a change of parallelism every new subtask is given the states of all old subtasks
//! (operator state, see [`weir_core::snapshot::RestoredState`]), and every new subtask commits
//! every file those states list, by its recorded (old subtask, sequence) name: commits are
//! idempotent, so doing it more than once is harmless, and no listed file can be left behind by
//! an old subtask that no longer exists. Deleting is split instead: new subtask `i` of `p`
//! deletes the unlisted hidden files of old subtasks `k` with `k % p == i`, so each old
//! subtask's leftovers have exactly one owner.
//!
//! [`plan`] is the pure decision from the states and a directory listing; [`execute`] lists the
//! directory, plans and carries the plan out.

use super::commit::{self, CommitOutcome};
use super::naming::{PartFile, Stage};
use super::state::WriterState;
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;
use weir_core::operator::OperatorContext;
use weir_core::{Error, Result};

/// Where a writer starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restore {
    /// No checkpoint state for this sink: a fresh start, or a restore whose checkpoint holds no
    /// state of this subtask.
    Fresh,
    /// A restore from a completed checkpoint, with the old subtasks' states.
    FromCheckpoint { states: Vec<WriterState>, rescaled: bool },
}

impl Restore {
    /// Where the writer of `ctx` starts from: the states in [`OperatorContext::restored`],
    /// decoded, skipping empty ones (old subtasks that kept none).
    pub fn from_context(ctx: &OperatorContext) -> Result<Restore> {
        let Some(restored) = &ctx.restored else {
            return Ok(Restore::Fresh);
        };
        let states = restored
            .snapshots
            .iter()
            .enumerate()
            .filter(|(_, bytes)| !bytes.is_empty())
            .map(|(old_subtask, bytes)| {
                let what = format!("checkpoint {} (state of old subtask {old_subtask})", restored.checkpoint_id);
                WriterState::decode(bytes, &what)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(if states.is_empty() {
            Restore::Fresh
        } else {
            Restore::FromCheckpoint { states, rescaled: restored.rescaled }
        })
    }
}

/// What a new writer does before writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPlan {
    /// Pending files of the checkpoint restored from, to commit (idempotently).
    pub commit: Vec<PartFile>,
    /// Hidden files written after that checkpoint, to delete.
    pub discard: Vec<(PartFile, Stage)>,
    /// The sequence number of the subtask's next part file: after its state's and after every
    /// file of it found, so no name is reused.
    pub next_seq: u64,
}

/// Decides what subtask `subtask` of `parallelism` does, given where it restores from and the
/// part files found in the directory.
pub fn plan(subtask: u32, parallelism: u32, restore: &Restore, found: &[(PartFile, Stage)]) -> RecoveryPlan {
    let (states, rescaled): (&[WriterState], bool) = match restore {
        Restore::Fresh => (&[], false),
        Restore::FromCheckpoint { states, rescaled } => (states, *rescaled),
    };
    let commit: BTreeSet<PartFile> = states.iter().flat_map(WriterState::pending_parts).collect();
    let owns = |old_subtask: u32| {
        old_subtask == subtask
            || (rescaled && parallelism > 0 && old_subtask >= parallelism && old_subtask % parallelism == subtask)
    };
    let discard = found
        .iter()
        .filter(|(part, stage)| *stage != Stage::Committed && owns(part.subtask) && !commit.contains(part))
        .copied()
        .collect();
    let after_state = states.iter().filter(|s| s.subtask == subtask).map(|s| s.next_seq);
    let after_files = found.iter().map(|(part, _)| part).chain(&commit).filter(|p| p.subtask == subtask);
    let next_seq = after_state.chain(after_files.map(|p| p.seq.saturating_add(1))).max().unwrap_or(0);
    RecoveryPlan { commit: commit.into_iter().collect(), discard, next_seq }
}

/// Lists `dir`, plans, commits and deletes as planned, fsyncs the directory and returns the
/// plan (its `next_seq` is where the writer goes on).
pub fn execute(dir: &Path, subtask: u32, parallelism: u32, restore: &Restore) -> Result<RecoveryPlan> {
    let plan = plan(subtask, parallelism, restore, &list(dir)?);
    let mut renamed = 0;
    for part in &plan.commit {
        if commit::commit_part(dir, *part)? == CommitOutcome::Renamed {
            renamed += 1;
        }
    }
    for (part, stage) in &plan.discard {
        let path = part.path(dir, *stage);
        match fs::remove_file(&path) {
            Ok(()) => {}
            // Gone already: deleted by an earlier attempt of this recovery.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("file: cannot delete uncommitted '{}'", path.display()), e)),
        }
    }
    if renamed > 0 || !plan.discard.is_empty() {
        commit::sync_dir(dir)?;
    }
    tracing::debug!(
        dir = %dir.display(),
        subtask,
        committed = renamed,
        already_committed = plan.commit.len() - renamed,
        discarded = plan.discard.len(),
        next_seq = plan.next_seq,
        "exactly-once file sink recovered"
    );
    Ok(plan)
}

/// The part files in `dir` (other entries and sub-directories are left alone).
fn list(dir: &Path) -> Result<Vec<(PartFile, Stage)>> {
    let context = || format!("file: cannot list '{}'", dir.display());
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(context(), e))? {
        let entry = entry.map_err(|e| Error::io(context(), e))?;
        if entry.file_type().map_err(|e| Error::io(context(), e))?.is_dir() {
            continue;
        }
        if let Some(parsed) = entry.file_name().to_str().and_then(PartFile::parse) {
            found.push(parsed);
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::exactly_once::state::PendingCheckpoint;

    fn state(subtask: u32, next_seq: u64, pending: &[(u64, &[u64])]) -> WriterState {
        WriterState {
            subtask,
            next_seq,
            pending: pending
                .iter()
                .map(|(id, seqs)| PendingCheckpoint {
                    checkpoint_id: *id,
                    parts: seqs.iter().map(|&seq| PartFile::new(subtask, seq)).collect(),
                })
                .collect(),
        }
    }

    fn found(files: &[(u32, u64, Stage)]) -> Vec<(PartFile, Stage)> {
        files.iter().map(|&(subtask, seq, stage)| (PartFile::new(subtask, seq), stage)).collect()
    }

    use Stage::{Committed, InProgress, Pending};

    #[test]
    fn a_fresh_start_discards_the_subtasks_hidden_files_and_goes_on_after_its_files() {
        let files = found(&[(0, 0, Committed), (0, 1, Pending), (0, 2, InProgress), (1, 5, InProgress)]);
        let plan = plan(0, 2, &Restore::Fresh, &files);
        assert_eq!(plan.commit, []);
        assert_eq!(plan.discard, found(&[(0, 1, Pending), (0, 2, InProgress)]));
        assert_eq!(plan.next_seq, 3);
        assert_eq!(super::plan(1, 2, &Restore::Fresh, &[]).next_seq, 0);
    }

    #[test]
    fn a_restore_commits_what_the_state_lists_and_discards_the_rest() {
        let restore = Restore::FromCheckpoint { states: vec![state(0, 4, &[(6, &[2]), (7, &[3])])], rescaled: false };
        // 2 was committed by the failed writer already; 4 and 5 were written after checkpoint 7.
        let files = found(&[(0, 2, Committed), (0, 3, Pending), (0, 4, Pending), (0, 5, InProgress)]);
        let plan = plan(0, 1, &restore, &files);
        assert_eq!(plan.commit, [PartFile::new(0, 2), PartFile::new(0, 3)]);
        assert_eq!(plan.discard, found(&[(0, 4, Pending), (0, 5, InProgress)]));
        assert_eq!(plan.next_seq, 6);
    }

    #[test]
    fn the_next_sequence_number_is_after_the_state_and_every_file_of_the_subtask() {
        let restore = Restore::FromCheckpoint { states: vec![state(1, 9, &[])], rescaled: false };
        assert_eq!(plan(1, 2, &restore, &found(&[(1, 3, Committed), (0, 20, Committed)])).next_seq, 9);
        assert_eq!(plan(1, 2, &restore, &found(&[(1, 12, Committed)])).next_seq, 13);
    }

    #[test]
    fn after_rescaling_every_subtask_commits_all_listed_files_and_owns_a_share_of_the_leftovers() {
        let states =
            vec![state(0, 2, &[(3, &[1])]), state(1, 1, &[(3, &[0])]), state(2, 5, &[(3, &[4])]), state(3, 1, &[])];
        let restore = Restore::FromCheckpoint { states, rescaled: true };
        let files = found(&[
            (0, 1, Pending),
            (1, 0, Pending),
            (2, 4, Pending),
            (2, 5, InProgress),
            (3, 1, Pending),
            (1, 1, InProgress),
        ]);
        let listed = [PartFile::new(0, 1), PartFile::new(1, 0), PartFile::new(2, 4)];
        let new0 = plan(0, 2, &restore, &files);
        let new1 = plan(1, 2, &restore, &files);
        assert_eq!(new0.commit, listed);
        assert_eq!(new1.commit, listed);
        assert_eq!(new0.discard, found(&[(2, 5, InProgress)]));
        assert_eq!(new1.discard, found(&[(3, 1, Pending), (1, 1, InProgress)]));
        assert_eq!((new0.next_seq, new1.next_seq), (2, 2));
    }

    #[test]
    fn execute_renames_deletes_and_ignores_other_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [".part-0-0.pending", ".part-0-1.pending", ".part-0-2.inprogress", "notes.txt", ".part-x"] {
            fs::write(dir.path().join(name), name).expect("write");
        }
        fs::create_dir(dir.path().join("part-0-9")).expect("a directory named like a part");
        let restore = Restore::FromCheckpoint { states: vec![state(0, 1, &[(1, &[0])])], rescaled: false };
        let plan = execute(dir.path(), 0, 1, &restore).expect("recover");
        assert_eq!(plan.next_seq, 3);
        let mut names: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".part-x", "notes.txt", "part-0-0", "part-0-9"]);
    }
}
