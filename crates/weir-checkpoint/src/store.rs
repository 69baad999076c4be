//! [`CompletedCheckpointStore`]: the completed checkpoints a job keeps — the newest
//! `state.checkpoints.num-retained` — and which ones to delete when a new one arrives or the job
//! ends (Flink's `CompletedCheckpointStore`).
//!
//! It is **not** where files are deleted: it returns what to delete, the caller deletes. Savepoints
//! are never kept here (they belong to the user).

use crate::completed::CompletedCheckpoint;
use crate::config::{JobTermination, RetentionPolicy};
use crate::id::CheckpointId;
use crate::relative_path::RelativePath;
use std::collections::{BTreeSet, VecDeque};

/// What adding a checkpoint did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    /// Retained; the checkpoints it pushed out (oldest first) are to be deleted.
    Added { subsumed: Vec<CompletedCheckpoint> },
    /// Refused: it is not newer than the latest retained one, so it is to be deleted at once.
    Stale { checkpoint: CompletedCheckpoint, latest: CheckpointId },
}

/// The retained completed checkpoints of one job, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedCheckpointStore {
    num_retained: usize,
    checkpoints: VecDeque<CompletedCheckpoint>,
}

impl CompletedCheckpointStore {
    /// An empty store keeping the newest `num_retained` (at least one).
    pub fn new(num_retained: usize) -> Self {
        CompletedCheckpointStore { num_retained: num_retained.max(1), checkpoints: VecDeque::new() }
    }

    /// A store recovered from the checkpoints found in a job's directory at restart, in any
    /// order; returns it and the checkpoints beyond `num_retained` to delete. Savepoints found
    /// among them are ignored.
    pub fn recover(num_retained: usize, mut found: Vec<CompletedCheckpoint>) -> (Self, Vec<CompletedCheckpoint>) {
        found.retain(|c| !c.location.is_savepoint());
        found.sort_by_key(CompletedCheckpoint::id);
        found.dedup_by_key(|c| c.id());
        let mut store = CompletedCheckpointStore::new(num_retained);
        let excess = found.len().saturating_sub(store.num_retained);
        let subsumed = found.drain(..excess).collect();
        store.checkpoints = found.into();
        (store, subsumed)
    }

    /// Adds a newly completed checkpoint and subsumes the oldest beyond `num_retained`.
    pub fn add(&mut self, checkpoint: CompletedCheckpoint) -> AddOutcome {
        if let Some(latest) = self.latest().map(CompletedCheckpoint::id)
            && checkpoint.id() <= latest
        {
            return AddOutcome::Stale { checkpoint, latest };
        }
        self.checkpoints.push_back(checkpoint);
        let excess = self.checkpoints.len().saturating_sub(self.num_retained);
        AddOutcome::Added { subsumed: self.checkpoints.drain(..excess).collect() }
    }

    /// The newest retained checkpoint: the one a restart restores.
    pub fn latest(&self) -> Option<&CompletedCheckpoint> {
        self.checkpoints.back()
    }

    /// Retained checkpoints, oldest first.
    pub fn checkpoints(&self) -> impl DoubleEndedIterator<Item = &CompletedCheckpoint> + ExactSizeIterator {
        self.checkpoints.iter()
    }

    pub fn len(&self) -> usize {
        self.checkpoints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checkpoints.is_empty()
    }

    pub fn num_retained(&self) -> usize {
        self.num_retained
    }

    /// Whether a retained checkpoint references the shared file `path`.
    pub fn references_shared(&self, path: &RelativePath) -> bool {
        self.checkpoints.iter().any(|c| c.shared_files().any(|p| p == path))
    }

    /// The shared files of `discarded` that no retained checkpoint references any more, and
    /// none of `in_use` (references of checkpoints still in flight) either. Relative to the job's
    /// `shared/` directory.
    pub fn unreferenced_shared_files<'a>(
        &self,
        discarded: &'a [CompletedCheckpoint],
        in_use: &BTreeSet<&RelativePath>,
    ) -> Vec<&'a RelativePath> {
        let candidates: BTreeSet<&RelativePath> =
            discarded.iter().flat_map(CompletedCheckpoint::shared_files).collect();
        candidates.into_iter().filter(|p| !in_use.contains(p) && !self.references_shared(p)).collect()
    }

    /// Ends the job: empties the store and returns what `policy` says to delete for this
    /// `termination` (everything or nothing).
    pub fn shutdown(&mut self, termination: JobTermination, policy: RetentionPolicy) -> Vec<CompletedCheckpoint> {
        let all: Vec<_> = self.checkpoints.drain(..).collect();
        if policy.discards_on(termination) { all } else { Vec::new() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{FileScope, Metadata, OperatorState, SnapshotKind, StateFile, SubtaskState};
    use crate::paths::SnapshotLocation;
    use weir_core::{JobId, OperatorUid, SubtaskIndex};

    const JOB: JobId = JobId([9; 16]);

    fn completed(id: u64, shared: &[&str]) -> CompletedCheckpoint {
        let files = shared
            .iter()
            .map(|p| StateFile {
                path: RelativePath::new(*p).expect("valid"),
                scope: FileScope::Shared,
                size: 1,
                crc32c: 0,
                key_groups: None,
            })
            .collect();
        CompletedCheckpoint {
            metadata: Metadata {
                job_id: JOB,
                checkpoint_id: CheckpointId(id),
                timestamp: 0,
                kind: SnapshotKind::Checkpoint,
                max_parallelism: 1,
                operators: vec![OperatorState {
                    uid: OperatorUid("op".into()),
                    parallelism: 1,
                    subtasks: vec![SubtaskState { subtask: SubtaskIndex(0), files, source_splits: None }],
                }],
            },
            location: SnapshotLocation::Checkpoint { job_id: JOB, id: CheckpointId(id) },
            completion_timestamp: 0,
        }
    }

    fn ids<'a>(checkpoints: impl IntoIterator<Item = &'a CompletedCheckpoint>) -> Vec<u64> {
        checkpoints.into_iter().map(|c| c.id().0).collect()
    }

    #[test]
    fn keeps_the_newest_num_retained() {
        let mut store = CompletedCheckpointStore::new(2);
        assert_eq!(store.add(completed(1, &[])), AddOutcome::Added { subsumed: vec![] });
        assert_eq!(store.add(completed(2, &[])), AddOutcome::Added { subsumed: vec![] });
        assert_eq!(store.add(completed(4, &[])), AddOutcome::Added { subsumed: vec![completed(1, &[])] });
        assert_eq!(ids(store.checkpoints()), vec![2, 4]);
        assert_eq!(store.latest().map(|c| c.id()), Some(CheckpointId(4)));
    }

    #[test]
    fn refuses_checkpoints_older_than_the_latest() {
        let mut store = CompletedCheckpointStore::new(3);
        store.add(completed(5, &[]));
        let outcome = store.add(completed(3, &[]));
        assert_eq!(outcome, AddOutcome::Stale { checkpoint: completed(3, &[]), latest: CheckpointId(5) });
        assert!(matches!(store.add(completed(5, &[])), AddOutcome::Stale { .. }));
        assert_eq!(ids(store.checkpoints()), vec![5]);
    }

    #[test]
    fn shared_files_are_deleted_only_when_nothing_references_them() {
        let mut store = CompletedCheckpointStore::new(1);
        store.add(completed(1, &["a", "b", "c"]));
        let AddOutcome::Added { subsumed } = store.add(completed(2, &["b"])) else { panic!("added") };
        let c = RelativePath::new("c").expect("valid");
        let in_use: BTreeSet<&RelativePath> = [&c].into_iter().collect();
        let unreferenced: Vec<&str> =
            store.unreferenced_shared_files(&subsumed, &in_use).into_iter().map(|p| p.as_str()).collect();
        assert_eq!(unreferenced, vec!["a"]);
    }

    #[test]
    fn recovery_keeps_the_newest_and_returns_the_rest() {
        let (store, excess) = CompletedCheckpointStore::recover(
            2,
            vec![completed(3, &[]), completed(1, &[]), completed(7, &[]), completed(3, &[])],
        );
        assert_eq!(ids(store.checkpoints()), vec![3, 7]);
        assert_eq!(ids(&excess), vec![1]);
    }

    #[test]
    fn shutdown_follows_the_retention_policy() {
        let mut store = CompletedCheckpointStore::new(2);
        store.add(completed(1, &[]));
        store.add(completed(2, &[]));
        let mut kept = store.clone();
        assert_eq!(ids(&store.shutdown(JobTermination::Cancelled, RetentionPolicy::DeleteOnCancellation)), vec![1, 2]);
        assert!(store.is_empty());
        assert!(kept.shutdown(JobTermination::Cancelled, RetentionPolicy::RetainOnCancellation).is_empty());
    }
}
