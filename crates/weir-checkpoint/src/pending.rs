//! [`PendingCheckpoint`]: a checkpoint that was triggered and is collecting acknowledgements
//! (Flink's `PendingCheckpoint`).
//!
//! It knows which subtasks still owe an acknowledgement, keeps the state handles received, and
//! once every subtask acknowledged it assembles the [`Metadata`] to be written. It is **not** the
//! coordinator: it does not decide about timeouts, aborts or completion, it only answers.

use crate::handle::SubtaskStateHandle;
use crate::id::CheckpointId;
use crate::metadata::{FileScope, Metadata, OperatorState, SnapshotKind, SubtaskState};
use crate::paths::SnapshotLocation;
use crate::plan::CheckpointPlan;
use crate::relative_path::RelativePath;
use crate::task::TaskKey;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use weir_core::{SubtaskIndex, Timestamp};

/// What became of an acknowledgement (Flink's `TaskAcknowledgeResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// Recorded; the task owed this acknowledgement.
    Success,
    /// The task had already acknowledged this checkpoint; the second one is ignored.
    Duplicate,
    /// The task is not part of this checkpoint, or the checkpoint id was never issued.
    Unknown,
    /// The checkpoint is no longer pending (aborted, or completed): the state is not used.
    Discarded,
    /// The handle holds state the task does not own; the checkpoint is aborted.
    Rejected,
}

/// A triggered checkpoint collecting acknowledgements.
#[derive(Debug, Clone)]
pub struct PendingCheckpoint {
    id: CheckpointId,
    kind: SnapshotKind,
    location: SnapshotLocation,
    /// Wall-clock trigger time (ms since the epoch), written into `_metadata`.
    trigger_timestamp: Timestamp,
    /// Monotonic trigger time, for the timeout.
    triggered_at: Duration,
    not_yet_acknowledged: BTreeSet<TaskKey>,
    acknowledged: BTreeMap<TaskKey, SubtaskStateHandle>,
}

impl PendingCheckpoint {
    /// A checkpoint waiting for an acknowledgement from every task in `tasks`.
    pub fn new(
        id: CheckpointId,
        kind: SnapshotKind,
        location: SnapshotLocation,
        trigger_timestamp: Timestamp,
        triggered_at: Duration,
        tasks: BTreeSet<TaskKey>,
    ) -> Self {
        PendingCheckpoint {
            id,
            kind,
            location,
            trigger_timestamp,
            triggered_at,
            not_yet_acknowledged: tasks,
            acknowledged: BTreeMap::new(),
        }
    }

    pub fn id(&self) -> CheckpointId {
        self.id
    }

    pub fn kind(&self) -> SnapshotKind {
        self.kind
    }

    pub fn location(&self) -> &SnapshotLocation {
        &self.location
    }

    pub fn trigger_timestamp(&self) -> Timestamp {
        self.trigger_timestamp
    }

    pub fn triggered_at(&self) -> Duration {
        self.triggered_at
    }

    /// Records `task`'s acknowledgement.
    pub fn acknowledge(&mut self, task: TaskKey, handle: SubtaskStateHandle) -> AckOutcome {
        if self.not_yet_acknowledged.remove(&task) {
            self.acknowledged.insert(task, handle);
            AckOutcome::Success
        } else if self.acknowledged.contains_key(&task) {
            AckOutcome::Duplicate
        } else {
            AckOutcome::Unknown
        }
    }

    /// Whether `task` acknowledged already.
    pub fn has_acknowledged(&self, task: &TaskKey) -> bool {
        self.acknowledged.contains_key(task)
    }

    pub fn is_fully_acknowledged(&self) -> bool {
        self.not_yet_acknowledged.is_empty()
    }

    /// The tasks still owing an acknowledgement.
    pub fn not_yet_acknowledged(&self) -> &BTreeSet<TaskKey> {
        &self.not_yet_acknowledged
    }

    /// The acknowledgements received, by task.
    pub fn acknowledged(&self) -> &BTreeMap<TaskKey, SubtaskStateHandle> {
        &self.acknowledged
    }

    /// Whether the checkpoint has been pending for `timeout` or longer at `now` (monotonic).
    pub fn is_expired(&self, now: Duration, timeout: Duration) -> bool {
        now.saturating_sub(self.triggered_at) >= timeout
    }

    /// Every shared file the acknowledgements received so far reference (relative to `shared/`).
    pub fn shared_files(&self) -> impl Iterator<Item = &RelativePath> {
        self.acknowledged.values().flat_map(|h| h.files_in(FileScope::Shared)).map(|f| &f.path)
    }

    /// The `_metadata` of this checkpoint: every operator of `plan` with the state its subtasks
    /// acknowledged. Subtasks without state are left out. Meant for a fully acknowledged
    /// checkpoint; called earlier, it lists only what arrived.
    pub fn to_metadata(&self, plan: &CheckpointPlan) -> Metadata {
        let mut operators = Vec::new();
        for vertex in &plan.vertices {
            for uid in &vertex.operators {
                let subtasks = (0..vertex.parallelism as usize)
                    .filter_map(|i| {
                        let handle = self.acknowledged.get(&TaskKey { vertex: vertex.id, subtask: SubtaskIndex(i) })?;
                        let snapshot = handle.operators.iter().find(|op| &op.uid == uid)?;
                        if snapshot.files.is_empty() && snapshot.source_splits.is_none() {
                            return None;
                        }
                        Some(SubtaskState {
                            subtask: SubtaskIndex(i),
                            files: snapshot.files.clone(),
                            source_splits: snapshot.source_splits.clone(),
                        })
                    })
                    .collect();
                operators.push(OperatorState { uid: uid.clone(), parallelism: vertex.parallelism, subtasks });
            }
        }
        Metadata {
            job_id: plan.job_id,
            checkpoint_id: self.id,
            timestamp: self.trigger_timestamp,
            kind: self.kind,
            max_parallelism: plan.max_parallelism,
            operators,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handle::OperatorSnapshot;
    use crate::metadata::{OpaqueBytes, StateFile};
    use crate::plan::VertexPlan;
    use crate::task::VertexId;
    use weir_core::{JobId, KeyGroupRange, OperatorUid};

    fn plan() -> CheckpointPlan {
        CheckpointPlan {
            job_id: JobId([3; 16]),
            max_parallelism: 8,
            vertices: vec![
                VertexPlan { id: VertexId(0), parallelism: 1, operators: vec![OperatorUid("src".into())] },
                VertexPlan {
                    id: VertexId(1),
                    parallelism: 2,
                    operators: vec![OperatorUid("count".into()), OperatorUid("sink".into())],
                },
            ],
        }
    }

    fn pending() -> PendingCheckpoint {
        let location = SnapshotLocation::Checkpoint { job_id: JobId([3; 16]), id: CheckpointId(1) };
        PendingCheckpoint::new(
            CheckpointId(1),
            SnapshotKind::Checkpoint,
            location,
            1_000,
            Duration::ZERO,
            plan().tasks(),
        )
    }

    fn keyed(i: usize) -> SubtaskStateHandle {
        SubtaskStateHandle {
            operators: vec![OperatorSnapshot {
                uid: OperatorUid("count".into()),
                files: vec![StateFile {
                    path: RelativePath::new(format!("count-{i}")).expect("valid"),
                    scope: FileScope::Exclusive,
                    size: 10,
                    crc32c: 1,
                    key_groups: Some(KeyGroupRange::for_subtask(8, 2, i)),
                }],
                source_splits: None,
            }],
            ..SubtaskStateHandle::default()
        }
    }

    #[test]
    fn outcomes_of_acknowledgements() {
        let mut p = pending();
        assert_eq!(p.acknowledge(TaskKey::new(1, 0), keyed(0)), AckOutcome::Success);
        assert_eq!(p.acknowledge(TaskKey::new(1, 0), keyed(0)), AckOutcome::Duplicate);
        assert_eq!(p.acknowledge(TaskKey::new(1, 2), keyed(0)), AckOutcome::Unknown);
        assert_eq!(p.acknowledge(TaskKey::new(9, 0), keyed(0)), AckOutcome::Unknown);
        assert!(!p.is_fully_acknowledged());
        assert_eq!(p.not_yet_acknowledged().len(), 2);
    }

    #[test]
    fn fully_acknowledged_only_when_every_task_acknowledged() {
        let mut p = pending();
        let source = SubtaskStateHandle {
            operators: vec![OperatorSnapshot {
                uid: OperatorUid("src".into()),
                files: vec![],
                source_splits: Some(OpaqueBytes(vec![7])),
            }],
            ..SubtaskStateHandle::default()
        };
        p.acknowledge(TaskKey::new(0, 0), source);
        p.acknowledge(TaskKey::new(1, 1), keyed(1));
        assert!(!p.is_fully_acknowledged());
        p.acknowledge(TaskKey::new(1, 0), keyed(0));
        assert!(p.is_fully_acknowledged());

        let metadata = p.to_metadata(&plan());
        metadata.validate().expect("valid metadata");
        let uids: Vec<_> =
            metadata.operators.iter().map(|op| (op.uid.0.as_str(), op.parallelism, op.subtasks.len())).collect();
        assert_eq!(uids, vec![("src", 1, 1), ("count", 2, 2), ("sink", 2, 0)]);
        assert_eq!(metadata.timestamp, 1_000);
        assert_eq!(metadata.state_size(), 21);
    }

    #[test]
    fn expires_at_the_timeout() {
        let p = pending();
        assert!(!p.is_expired(Duration::from_millis(999), Duration::from_secs(1)));
        assert!(p.is_expired(Duration::from_secs(1), Duration::from_secs(1)));
    }
}
