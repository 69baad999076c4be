//! How checkpoints end badly (aborts and the failure count) and how the coordinator follows the
//! job's life: failover (suspend, resume) and the end of the job (shutdown and retention).

use super::{Action, CheckpointCoordinator, CoordinatorState, JobFailure, REMEMBERED_ABORTS};
use crate::abort::AbortReason;
use crate::config::JobTermination;
use crate::failure::FailureVerdict;
use crate::id::CheckpointId;
use crate::pending::PendingCheckpoint;
use crate::task::TaskKey;

impl CheckpointCoordinator {
    /// A task failed: every pending checkpoint is aborted and nothing is triggered until
    /// [`CheckpointCoordinator::resume`]. Checkpoints whose metadata is being written still
    /// complete: every task had acknowledged them, so they are good restore points.
    pub fn task_failed(&mut self, task: TaskKey) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.state == CoordinatorState::Running {
            self.suspend(AbortReason::TaskFailure { task }, &mut actions);
        }
        actions
    }

    /// The job runs again after a failover: the next periodic checkpoint is due one interval
    /// from now. A shut-down coordinator stays shut down.
    pub fn resume(&mut self) -> Vec<Action> {
        if self.state == CoordinatorState::Suspended {
            self.state = CoordinatorState::Running;
            let now = self.clock.monotonic();
            self.next_periodic_at = self.config.interval.map(|i| now + i);
        }
        Vec::new()
    }

    /// The job ended: pending checkpoints are aborted, and the retained ones are returned in
    /// [`Action::Discard`] if the retention policy deletes them on this `termination`. Metadata
    /// still being written completes only for savepoints (`stop --savepoint` waits for it).
    pub fn shutdown(&mut self, termination: JobTermination) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.state == CoordinatorState::ShutDown {
            return actions;
        }
        self.state = CoordinatorState::ShutDown;
        self.next_periodic_at = None;
        self.abort_all_pending(AbortReason::Shutdown, &mut actions);
        let discarded = self.store.shutdown(termination, self.config.retention);
        if !discarded.is_empty() {
            let in_use = self.shared_files_in_flight();
            let shared_dir = crate::paths::shared_dir(self.plan.job_id);
            let shared_files = self
                .store
                .unreferenced_shared_files(&discarded, &in_use)
                .into_iter()
                .map(|p| shared_dir.join_path(p))
                .collect();
            actions.push(Action::Discard { checkpoints: discarded, shared_files });
        }
        actions
    }

    fn suspend(&mut self, reason: AbortReason, actions: &mut Vec<Action>) {
        if self.state == CoordinatorState::Running {
            self.state = CoordinatorState::Suspended;
        }
        self.abort_all_pending(reason, actions);
    }

    fn abort_all_pending(&mut self, reason: AbortReason, actions: &mut Vec<Action>) {
        let ids: Vec<CheckpointId> = self.pending.keys().copied().collect();
        for id in ids {
            self.abort_pending(id, reason.clone(), actions);
        }
    }

    /// Aborts pending checkpoint `id` (nothing if it is not pending).
    pub(super) fn abort_pending(&mut self, id: CheckpointId, reason: AbortReason, actions: &mut Vec<Action>) {
        if let Some(pending) = self.pending.remove(&id) {
            self.abort_removed(pending, reason, actions);
        }
    }

    /// Aborts a checkpoint already taken out of `pending` or `finalizing`: records it, returns
    /// [`Action::Abort`], counts the failure, and fails the job past the tolerable number.
    pub(super) fn abort_removed(&mut self, pending: PendingCheckpoint, reason: AbortReason, actions: &mut Vec<Action>) {
        let (id, kind, location) = (pending.id(), pending.kind(), pending.location().clone());
        self.stats.report_failed(id, self.clock.now_millis(), reason.clone());
        if self.recently_aborted.len() == REMEMBERED_ABORTS {
            self.recently_aborted.pop_front();
        }
        self.recently_aborted.push_back((id, location.clone()));
        actions.push(Action::Abort { id, kind, location, reason: reason.clone() });

        // Once the job has ended, failures no longer count towards failing it.
        if self.state == CoordinatorState::ShutDown {
            return;
        }
        if let FailureVerdict::FailJob { consecutive } = self.failures.on_failure(id, kind, &reason) {
            let tolerable = self.failures.tolerable();
            actions.push(Action::FailJob {
                reason: JobFailure::TooManyFailedCheckpoints { consecutive, tolerable, last: id, reason },
            });
            self.suspend(AbortReason::Suspended, actions);
        }
    }
}
