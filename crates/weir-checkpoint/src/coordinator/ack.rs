//! The coordinator's answers to tasks and storage: acknowledgements, declines, and the outcome
//! of writing `_metadata` (completion).

use super::{Action, CheckpointCoordinator, CoordinatorState, Finalizing};
use crate::abort::{AbortReason, DeclineReason};
use crate::completed::CompletedCheckpoint;
use crate::handle::SubtaskStateHandle;
use crate::id::CheckpointId;
use crate::metadata::{FileScope, SnapshotKind};
use crate::pending::AckOutcome;
use crate::relative_path::RelativePath;
use crate::stats::TaskStats;
use crate::store::AddOutcome;
use crate::task::TaskKey;
use std::collections::BTreeSet;

impl CheckpointCoordinator {
    /// Records `task`'s acknowledgement of checkpoint `id`; when it is the last one owed,
    /// returns [`Action::WriteMetadata`].
    pub fn acknowledge(
        &mut self,
        id: CheckpointId,
        task: TaskKey,
        handle: SubtaskStateHandle,
    ) -> (AckOutcome, Vec<Action>) {
        let mut actions = Vec::new();
        if let Some(finalizing) = self.finalizing.get(&id) {
            let outcome =
                if finalizing.pending.has_acknowledged(&task) { AckOutcome::Duplicate } else { AckOutcome::Unknown };
            return (outcome, actions);
        }
        if let Some((_, location)) = self.recently_aborted.iter().find(|(aborted, _)| *aborted == id) {
            let files =
                handle.files_in(FileScope::Exclusive).filter_map(|f| location.state_file_path(f).ok()).collect();
            actions.push(Action::DiscardLateState { id, task, files });
            return (AckOutcome::Discarded, actions);
        }
        let Some(pending) = self.pending.get_mut(&id) else {
            let outcome = if self.ids.has_issued(id) { AckOutcome::Discarded } else { AckOutcome::Unknown };
            return (outcome, actions);
        };
        if !pending.not_yet_acknowledged().contains(&task) {
            return (pending.acknowledge(task, handle), actions);
        }
        if let Some(problem) = handle_problem(&self.plan, pending.kind(), task, &handle) {
            self.abort_pending(id, AbortReason::InvalidAcknowledgement { task, problem }, &mut actions);
            return (AckOutcome::Rejected, actions);
        }
        let stats = TaskStats {
            task,
            ack_timestamp: self.clock.now_millis(),
            metrics: handle.metrics,
            state_size: handle.state_size(),
        };
        let outcome = pending.acknowledge(task, handle);
        self.stats.report_acknowledged(id, stats);
        if pending.is_fully_acknowledged() {
            self.finalize(id, &mut actions);
        }
        (outcome, actions)
    }

    fn finalize(&mut self, id: CheckpointId, actions: &mut Vec<Action>) {
        let Some(pending) = self.pending.remove(&id) else { return };
        let metadata = pending.to_metadata(&self.plan);
        if let Some(problem) = metadata.problem() {
            let message = format!("the acknowledged state makes invalid metadata: {problem}");
            self.abort_removed(pending, AbortReason::MetadataWriteFailed { message }, actions);
            return;
        }
        let location = pending.location().clone();
        actions.push(Action::WriteMetadata { id, location, metadata: Box::new(metadata.clone()) });
        self.finalizing.insert(id, Finalizing { pending, metadata });
    }

    /// `task` declined checkpoint `id`: it is aborted (declines of checkpoints no longer pending,
    /// or from tasks not in the plan, are ignored).
    pub fn decline(&mut self, id: CheckpointId, task: TaskKey, reason: DeclineReason) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.pending.contains_key(&id) && self.tasks.contains(&task) {
            self.abort_pending(id, AbortReason::Declined { task, reason }, &mut actions);
        }
        actions
    }

    /// Storage wrote checkpoint `id`'s `_metadata`: it completes — unless a newer checkpoint
    /// completed meanwhile, or the job has ended, in which case it is aborted.
    pub fn metadata_written(&mut self, id: CheckpointId) -> Vec<Action> {
        let mut actions = Vec::new();
        let Some(Finalizing { pending, metadata }) = self.finalizing.remove(&id) else { return actions };
        let is_checkpoint = pending.kind() == SnapshotKind::Checkpoint;
        if is_checkpoint && self.state == CoordinatorState::ShutDown {
            self.abort_removed(pending, AbortReason::Shutdown, &mut actions);
            return actions;
        }
        if let Some(latest) = self.latest_completed.filter(|latest| is_checkpoint && id < *latest) {
            self.abort_removed(pending, AbortReason::Subsumed { by: latest }, &mut actions);
            return actions;
        }

        let kind = pending.kind();
        let completion_timestamp = self.clock.now_millis();
        let completed = CompletedCheckpoint { metadata, location: pending.location().clone(), completion_timestamp };
        let discarded = match kind {
            SnapshotKind::Savepoint => Vec::new(),
            SnapshotKind::Checkpoint => match self.store.add(completed) {
                AddOutcome::Added { subsumed } => subsumed,
                AddOutcome::Stale { latest, .. } => {
                    self.abort_removed(pending, AbortReason::Subsumed { by: latest }, &mut actions);
                    return actions;
                }
            },
        };
        self.last_completion = Some(self.clock.monotonic());
        self.latest_completed = Some(self.latest_completed.map_or(id, |latest| latest.max(id)));
        self.failures.on_success(id);
        self.stats.report_completed(id, completion_timestamp);
        actions.push(Action::NotifyComplete { id, kind });

        let subsumed: Vec<CheckpointId> = self
            .pending
            .values()
            .filter(|p| p.id() < id && p.kind() == SnapshotKind::Checkpoint)
            .map(|p| p.id())
            .collect();
        for older in subsumed {
            self.abort_pending(older, AbortReason::Subsumed { by: id }, &mut actions);
        }
        if !discarded.is_empty() {
            let in_use = self.shared_files_in_flight();
            let shared_files: Vec<RelativePath> = self
                .store
                .unreferenced_shared_files(&discarded, &in_use)
                .into_iter()
                .map(|p| crate::paths::shared_dir(self.plan.job_id).join_path(p))
                .collect();
            actions.push(Action::Discard { checkpoints: discarded, shared_files });
        }
        actions
    }

    /// Storage failed to write checkpoint `id`'s `_metadata`: it is aborted (and counts as a
    /// failure).
    pub fn metadata_failed(&mut self, id: CheckpointId, message: String) -> Vec<Action> {
        let mut actions = Vec::new();
        if let Some(Finalizing { pending, .. }) = self.finalizing.remove(&id) {
            self.abort_removed(pending, AbortReason::MetadataWriteFailed { message }, &mut actions);
        }
        actions
    }

    /// Shared files referenced by acknowledgements of checkpoints still in flight.
    pub(super) fn shared_files_in_flight(&self) -> BTreeSet<&RelativePath> {
        let pending = self.pending.values().flat_map(|p| p.shared_files());
        let finalizing = self.finalizing.values().flat_map(|f| f.pending.shared_files());
        pending.chain(finalizing).collect()
    }
}

/// What is wrong with `task`'s handle, if anything: state of operators outside its vertex (or
/// twice), key groups outside the max parallelism, or non-exclusive files in a savepoint.
fn handle_problem(
    plan: &crate::plan::CheckpointPlan,
    kind: SnapshotKind,
    task: TaskKey,
    handle: &SubtaskStateHandle,
) -> Option<String> {
    let vertex = plan.vertex(task.vertex)?;
    let mut seen = BTreeSet::new();
    for op in &handle.operators {
        if !vertex.operators.contains(&op.uid) {
            return Some(format!("state of operator '{}', which is not chained in vertex {}", op.uid, vertex.id));
        }
        if !seen.insert(&op.uid) {
            return Some(format!("two states of operator '{}'", op.uid));
        }
        for file in &op.files {
            if let Some(range) = file.key_groups
                && (range.start > range.end || range.end > plan.max_parallelism)
            {
                let max = plan.max_parallelism;
                return Some(format!("file '{}' has key groups {range}, outside [0, {max})", file.path));
            }
            if kind == SnapshotKind::Savepoint && file.scope != FileScope::Exclusive {
                return Some(format!("file '{}' is not inside the savepoint, which must be self-contained", file.path));
            }
        }
    }
    None
}
