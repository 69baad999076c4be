//! The job manager's side of checkpoints: drives `weir-checkpoint`'s coordinator and carries out
//! what it decides.
//!
//! The coordinator is pure: it is ticked and fed acknowledgements here, and every
//! [`Action`] it returns is executed here — triggers go to the subtasks' command channels,
//! `_metadata` and deletions go to checkpoint storage, completions and aborts are logged and
//! passed on. The coordinator lives as long as the job, across failovers; the subtasks' channels
//! are replaced at every deployment.

use super::messages::TaskCommand;
use super::snapshot_thread::Locations;
use crate::faults::{FaultPoint, Faults};
use crossbeam_channel::Sender;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use weir_checkpoint::stats::CheckpointStatus;
use weir_checkpoint::{
    Action, CheckpointCoordinator, CheckpointId, DeclineReason, Event, JobTermination, SnapshotKind, SnapshotLocation,
    SubtaskStateHandle, TaskKey,
};
use weir_core::snapshot::CheckpointInfo;
use weir_state::storage::FsCheckpointStorage;

/// The name failures of the job manager's own fault points are reported under.
pub(crate) const JOB_MANAGER: &str = "JobManager";

/// What the job manager knows of one deployed subtask.
pub(crate) struct TaskHandle {
    pub(crate) commands: Sender<TaskCommand>,
    /// Sources are triggered directly; other subtasks get barriers through their inputs.
    pub(crate) is_source: bool,
    pub(crate) inputs_ended: bool,
}

/// Why the job must fail over, decided by the checkpoint side.
#[derive(Debug)]
pub(crate) struct Failover {
    pub(crate) message: String,
}

/// One checkpoint of the job's history, for the job result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointSummary {
    pub id: u64,
    pub is_savepoint: bool,
    pub completed: bool,
    /// Why it failed, for a failed one.
    pub failure: Option<String>,
    /// Trigger to completion or failure.
    pub duration: Option<Duration>,
    /// Bytes of state acknowledged.
    pub state_size: u64,
    /// The longest synchronous pause of a subtask.
    pub max_sync: Duration,
    pub max_async: Duration,
    pub max_alignment: Duration,
}

/// The checkpoint coordinator of a running job and the means to act on its decisions.
pub(crate) struct CheckpointDriver {
    coordinator: CheckpointCoordinator,
    storage: Arc<FsCheckpointStorage>,
    locations: Locations,
    faults: Faults,
    tasks: BTreeMap<TaskKey, TaskHandle>,
    /// The first checkpoint triggered after every subtask's inputs ended: its completion ends
    /// the job.
    final_checkpoint: Option<CheckpointId>,
    /// The final checkpoint completed and the subtasks were told to end: nothing more is
    /// triggered (a checkpoint now could only be aborted when the job ends a moment later).
    ending: bool,
    /// Every checkpoint that ended, by id (the coordinator keeps only the newest few).
    history: BTreeMap<u64, CheckpointSummary>,
}

impl CheckpointDriver {
    pub(crate) fn new(
        coordinator: CheckpointCoordinator,
        storage: Arc<FsCheckpointStorage>,
        locations: Locations,
        faults: Faults,
    ) -> Self {
        CheckpointDriver {
            coordinator,
            storage,
            locations,
            faults,
            tasks: BTreeMap::new(),
            final_checkpoint: None,
            ending: false,
            history: BTreeMap::new(),
        }
    }

    pub(crate) fn storage(&self) -> &Arc<FsCheckpointStorage> {
        &self.storage
    }

    /// The subtasks of a new deployment; the coordinator resumes triggering.
    pub(crate) fn attach(&mut self, tasks: BTreeMap<TaskKey, TaskHandle>) -> Result<(), Failover> {
        self.tasks = tasks;
        self.final_checkpoint = None;
        self.ending = false;
        let actions = self.coordinator.handle(Event::Resume);
        self.execute(actions)
    }

    /// A subtask failed: pending checkpoints are aborted and nothing is triggered until the
    /// next deployment. The old subtasks' command channels are dropped.
    pub(crate) fn fail_over(&mut self, task: TaskKey) {
        self.tasks.clear();
        let actions = self.coordinator.handle(Event::TaskFailed { task });
        // A failure while failing over changes nothing: the job restarts anyway.
        let _ = self.execute(actions);
    }

    /// The job ended; retained checkpoints are kept or deleted per the retention policy.
    pub(crate) fn shutdown(&mut self, termination: JobTermination) {
        self.tasks.clear();
        let actions = self.coordinator.handle(Event::Shutdown { termination });
        let _ = self.execute(actions);
        self.record_history();
    }

    /// How long the job manager may wait for messages before the next tick.
    pub(crate) fn tick_interval(&self) -> Duration {
        let interval = self.coordinator.config().interval.unwrap_or(Duration::from_secs(1));
        (interval / 4).clamp(Duration::from_millis(5), Duration::from_millis(100))
    }

    /// Time passed: expire and trigger as the coordinator decides. Once the final checkpoint
    /// completed, the job is only waiting for its subtasks to end: no tick.
    pub(crate) fn tick(&mut self) -> Result<(), Failover> {
        if self.ending {
            return Ok(());
        }
        let actions = self.coordinator.handle(Event::Tick);
        self.execute(actions)
    }

    pub(crate) fn acknowledge(&mut self, id: u64, task: TaskKey, handle: SubtaskStateHandle) -> Result<(), Failover> {
        let actions = self.coordinator.handle(Event::Acknowledge { id: CheckpointId(id), task, handle });
        self.execute(actions)
    }

    pub(crate) fn decline(&mut self, id: u64, task: TaskKey, reason: DeclineReason) -> Result<(), Failover> {
        tracing::debug!(checkpoint = id, %task, %reason, "a task declined a checkpoint");
        let actions = self.coordinator.handle(Event::Decline { id: CheckpointId(id), task, reason });
        self.execute(actions)
    }

    /// `task`'s inputs ended: it takes part in pending checkpoints directly now (their barriers
    /// can no longer reach it), and once every subtask's ended, a final checkpoint is due.
    pub(crate) fn inputs_ended(&mut self, task: TaskKey) -> Result<(), Failover> {
        let Some(handle) = self.tasks.get_mut(&task) else { return Ok(()) };
        handle.inputs_ended = true;
        let pending: Vec<CheckpointInfo> = self
            .coordinator
            .pending_ids()
            .filter_map(|id| self.coordinator.pending(id))
            .filter(|p| p.not_yet_acknowledged().contains(&task))
            .map(|p| CheckpointInfo {
                id: p.id().0,
                timestamp: p.trigger_timestamp(),
                is_savepoint: p.kind() == SnapshotKind::Savepoint,
            })
            .collect();
        for info in pending {
            let _ = handle.commands.send(TaskCommand::TriggerCheckpoint(info));
        }
        if self.tasks.values().all(|t| t.inputs_ended) {
            self.coordinator.request_checkpoint_soon();
            return self.tick();
        }
        Ok(())
    }

    /// The history of completed and failed checkpoints (oldest first), for the job result.
    pub(crate) fn history(&self) -> Vec<CheckpointSummary> {
        self.history.values().cloned().collect()
    }

    /// Carries out `actions` and what they lead to. An injected job-manager failure is
    /// returned only after the coordinator's state agrees with the disk (a checkpoint whose
    /// `_metadata` was not written is aborted and deleted first).
    fn execute(&mut self, actions: Vec<Action>) -> Result<(), Failover> {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        let mut failover = None;
        while let Some(action) = queue.pop_front() {
            match action {
                Action::TriggerCheckpoint { id, timestamp, kind, location } => {
                    if self.final_checkpoint.is_none() && self.tasks.values().all(|t| t.inputs_ended) {
                        self.final_checkpoint = Some(id);
                    }
                    self.locations.register(id.0, location);
                    let info = CheckpointInfo { id: id.0, timestamp, is_savepoint: kind == SnapshotKind::Savepoint };
                    for task in self.tasks.values().filter(|t| t.is_source || t.inputs_ended) {
                        // A subtask that is gone cannot acknowledge: the checkpoint expires or
                        // the failover aborts it.
                        let _ = task.commands.send(TaskCommand::TriggerCheckpoint(info));
                    }
                }
                Action::WriteMetadata { id, location, metadata } => {
                    let event = if self.faults.check(FaultPoint::BeforeMetadata, JOB_MANAGER, 0).is_err() {
                        let message = format!("injected failure before writing checkpoint {id}'s _metadata");
                        failover = Some(Failover { message: message.clone() });
                        Event::MetadataFailed { id, message }
                    } else {
                        match self.storage.write_metadata(&location, &metadata) {
                            Ok(()) => Event::MetadataWritten { id },
                            Err(error) => Event::MetadataFailed { id, message: error.to_string() },
                        }
                    };
                    let written = matches!(event, Event::MetadataWritten { .. });
                    let mut next = self.coordinator.handle(event);
                    if written && self.faults.check(FaultPoint::AfterMetadata, JOB_MANAGER, 0).is_err() {
                        // The checkpoint is complete and durable, but no subtask hears of it:
                        // recovery must commit what it staged.
                        next.retain(|a| !matches!(a, Action::NotifyComplete { .. }));
                        self.record_history();
                        failover = Some(Failover {
                            message: format!("injected failure after writing checkpoint {id}'s _metadata"),
                        });
                    }
                    for action in next.into_iter().rev() {
                        queue.push_front(action);
                    }
                }
                Action::NotifyComplete { id, kind } => {
                    self.locations.forget(id.0);
                    self.log_completed(id, kind);
                    for task in self.tasks.values() {
                        let _ = task.commands.send(TaskCommand::CheckpointComplete(id.0));
                    }
                    if self.final_checkpoint.is_some_and(|f| id >= f) {
                        self.ending = true;
                        for task in self.tasks.values() {
                            let _ = task.commands.send(TaskCommand::EndOfJob);
                        }
                    }
                }
                Action::Abort { id, kind, location, reason } => {
                    self.locations.forget(id.0);
                    tracing::warn!(checkpoint = id.0, %kind, %reason, "{kind} {id} failed: {reason}");
                    for task in self.tasks.values() {
                        let _ = task.commands.send(TaskCommand::CheckpointAborted(id.0));
                    }
                    if !location.is_savepoint()
                        && let Err(error) = self.storage.discard_location(&location)
                    {
                        tracing::warn!("cannot delete the files of failed checkpoint {id}: {error}");
                    }
                    if self.final_checkpoint == Some(id) {
                        self.final_checkpoint = None;
                        self.coordinator.request_checkpoint_soon();
                    }
                    self.record_history();
                }
                Action::Discard { checkpoints, shared_files } => {
                    for checkpoint in &checkpoints {
                        if let Err(error) = self.storage.discard_location(&checkpoint.location) {
                            tracing::warn!("cannot delete checkpoint {}: {error}", checkpoint.id());
                        }
                    }
                    if let Err(error) = self.storage.discard_shared_files(&shared_files) {
                        tracing::warn!("cannot delete shared files no checkpoint references: {error}");
                    }
                }
                Action::DiscardLateState { id, .. } => {
                    // The whole directory of an aborted checkpoint goes, whatever a late
                    // snapshot wrote into it after the abort.
                    let location = SnapshotLocation::Checkpoint { job_id: self.coordinator.plan().job_id, id };
                    if let Err(error) = self.storage.discard_location(&location) {
                        tracing::warn!("cannot delete late files of aborted checkpoint {id}: {error}");
                    }
                }
                Action::FailJob { reason } => {
                    failover = Some(Failover { message: reason.to_string() });
                }
                Action::RejectSavepoint { dir, reason } => {
                    tracing::warn!("savepoint into {dir} rejected: {reason:?}");
                }
            }
        }
        match failover {
            Some(failover) => Err(failover),
            None => Ok(()),
        }
    }

    fn log_completed(&mut self, id: CheckpointId, kind: SnapshotKind) {
        if let Some(stats) = self.coordinator.stats().get(id) {
            tracing::info!(
                checkpoint = id.0,
                duration_ms = stats.duration().map_or(0, |d| d.as_millis() as u64),
                sync_ms = stats.max_sync_duration().as_millis() as u64,
                async_ms = stats.max_async_duration().as_millis() as u64,
                alignment_ms = stats.max_alignment_duration().as_millis() as u64,
                size_bytes = stats.state_size(),
                "{kind} {id} completed"
            );
        }
        self.record_history();
    }

    /// Copies the coordinator's bounded history into the job's unbounded one; called when a
    /// checkpoint ended (completed, failed) and at shutdown.
    fn record_history(&mut self) {
        for stats in self.coordinator.stats().history() {
            let summary = CheckpointSummary {
                id: stats.id.0,
                is_savepoint: stats.kind == SnapshotKind::Savepoint,
                completed: stats.status == CheckpointStatus::Completed,
                failure: match &stats.status {
                    CheckpointStatus::Failed { reason } => Some(reason.to_string()),
                    _ => None,
                },
                duration: stats.duration(),
                state_size: stats.state_size(),
                max_sync: stats.max_sync_duration(),
                max_async: stats.max_async_duration(),
                max_alignment: stats.max_alignment_duration(),
            };
            if stats.status == CheckpointStatus::InProgress {
                continue;
            }
            self.history.insert(summary.id, summary);
        }
    }
}
