//! The job manager's side of checkpoints: drives `weir-checkpoint`'s coordinator and carries out
//! what it decides.
//!
//! The coordinator is pure: it is ticked and fed acknowledgements here, and every
//! [`Action`] it returns is executed here — triggers go to the subtasks' command channels,
//! `_metadata` and deletions go to checkpoint storage, completions and aborts are logged and
//! passed on. The coordinator lives as long as the job, across failovers; the subtasks' channels
//! are replaced at every deployment.

use super::messages::TaskCommand;
use super::overview::{RECENT_CHECKPOINTS, SharedOverview};
use super::snapshot_thread::Locations;
use crate::cluster::savepoints::{AfterSavepoint, SavepointBoard, SavepointRequest, SavepointStatus};
use crate::faults::{FaultPoint, Faults};
use crossbeam_channel::Sender;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use weir_checkpoint::stats::{CheckpointStats, CheckpointStatus};
use weir_checkpoint::{
    Action, CheckpointCoordinator, CheckpointId, DeclineReason, Event, JobTermination, RelativePath,
    SavepointRejection, SnapshotKind, SnapshotLocation, SubtaskStateHandle, TaskKey, paths,
};
use weir_core::Timestamp;
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
    /// When it was triggered (milliseconds since the epoch).
    pub trigger_timestamp: Timestamp,
    /// Its directory: `<dir>/<job-id>/chk-<n>`, or the savepoint's own directory.
    pub path: PathBuf,
}

impl CheckpointSummary {
    /// Neither completed nor failed yet.
    pub fn is_in_progress(&self) -> bool {
        !self.completed && self.failure.is_none()
    }
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
    /// Ids of the newest completed checkpoint, completed savepoint and failed one in `history`.
    latest: [Option<u64>; 3],
    /// What the job's clients see, published after every change.
    overview: SharedOverview,
    /// What became of the clients' savepoint requests.
    board: Arc<SavepointBoard>,
    /// Savepoint requests waiting for their trigger, by the directory asked of the coordinator.
    requested: BTreeMap<RelativePath, ClientSavepoint>,
    /// Savepoints triggered for clients and not yet ended, by id.
    savepoints: BTreeMap<u64, ClientSavepoint>,
    /// A stop with a savepoint whose sources were told to stop; its savepoint is triggered as
    /// the final checkpoint once every subtask's inputs ended.
    stop: Option<ClientSavepoint>,
    /// The final checkpoint is the stop savepoint: only its completion ends the job.
    final_is_stop: bool,
    /// The job stopped with a `cancel -s` savepoint: it ends cancelled, not finished.
    ended_by_cancel: bool,
    /// The shared files of the checkpoints retained when the job was first shut down (the
    /// coordinator's store is empty after that).
    retained_at_shutdown: Option<BTreeSet<String>>,
}

/// A savepoint a client asked for, with the storage that writes it into its target directory.
struct ClientSavepoint {
    request: SavepointRequest,
    storage: Arc<FsCheckpointStorage>,
    /// Its directory, known once triggered.
    path: Option<PathBuf>,
}

impl CheckpointDriver {
    pub(crate) fn new(
        coordinator: CheckpointCoordinator,
        storage: Arc<FsCheckpointStorage>,
        locations: Locations,
        faults: Faults,
        clients: (SharedOverview, Arc<SavepointBoard>),
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
            latest: [None; 3],
            overview: clients.0,
            board: clients.1,
            requested: BTreeMap::new(),
            savepoints: BTreeMap::new(),
            stop: None,
            final_is_stop: false,
            ended_by_cancel: false,
            retained_at_shutdown: None,
        }
    }

    pub(crate) fn storage(&self) -> &Arc<FsCheckpointStorage> {
        &self.storage
    }

    /// The subtasks of a new deployment; the coordinator resumes triggering.
    pub(crate) fn attach(&mut self, tasks: BTreeMap<TaskKey, TaskHandle>) -> Result<(), Failover> {
        self.tasks = tasks;
        self.final_checkpoint = None;
        self.final_is_stop = false;
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
        let keep = self.retained_shared_files();
        self.sweep_shared_files(&keep);
        if let Some(stop) = self.stop.take() {
            self.fail_request(&stop.request, "the job failed before its sources stopped for the savepoint".into());
        }
    }

    /// The job ended; retained checkpoints are kept or deleted per the retention policy.
    pub(crate) fn shutdown(&mut self, termination: JobTermination) {
        self.tasks.clear();
        // The store empties at the first shutdown, whatever the retention policy keeps on disk:
        // what the retained checkpoints reference is read before it, once (a cancelled job is
        // shut down when the cancel is asked for and again when its subtasks have stopped).
        let keep = match &self.retained_at_shutdown {
            Some(keep) => keep.clone(),
            None => self.retained_shared_files(),
        };
        self.retained_at_shutdown = Some(keep.clone());
        let actions = self.coordinator.handle(Event::Shutdown { termination });
        let _ = self.execute(actions);
        self.sweep_shared_files(&keep);
        if let Some(stop) = self.stop.take() {
            self.fail_request(&stop.request, "the job ended before its sources stopped for the savepoint".into());
        }
        self.record_history();
        self.publish();
    }

    /// Deletes the shared files (incremental state) no retained checkpoint references: uploads
    /// of checkpoints that never completed. Only while nothing is in flight — after a failure
    /// aborted every pending checkpoint, or at the end — so no upload can be half-way.
    /// `keep`: the shared files of the retained checkpoints ([`Self::retained_shared_files`]);
    /// those the retention discards are deleted by its own action.
    fn sweep_shared_files(&self, keep: &BTreeSet<String>) {
        if self.coordinator.in_flight() > 0 {
            return;
        }
        let keep = keep.iter().map(String::as_str).collect();
        match self.storage.sweep_shared_files(&keep) {
            Ok(0) => {}
            Ok(n) => tracing::info!("deleted {n} shared files that no retained checkpoint references"),
            Err(error) => tracing::warn!("cannot delete shared files no checkpoint references: {error}"),
        }
    }

    /// The shared files the retained checkpoints reference, relative to `shared/`.
    fn retained_shared_files(&self) -> BTreeSet<String> {
        let store = self.coordinator.store();
        store.checkpoints().flat_map(|c| c.shared_files()).map(|p| p.as_str().to_string()).collect()
    }

    /// A client asked for a savepoint into `request.target`. Triggered at once, unless the job
    /// is to stop: then its sources are told to stop, and the savepoint waits for every
    /// subtask's input to end. Refused (the request fails, the job goes on) while another stop
    /// is under way.
    pub(crate) fn request_savepoint(&mut self, request: SavepointRequest) -> Result<(), Failover> {
        if self.stop.is_some() || self.final_is_stop {
            self.fail_request(&request, "the job is already stopping with a savepoint".into());
            return Ok(());
        }
        if self.ending {
            self.fail_request(&request, "the job read all its input and is finishing".into());
            return Ok(());
        }
        let storage = Arc::new(FsCheckpointStorage::clone(&self.storage).with_savepoints_dir(&request.target));
        let savepoint = ClientSavepoint { request, storage, path: None };
        // A cancel with a savepoint stops like `stop` without drain, so sinks commit what the
        // savepoint covers before the job ends (then reported as cancelled); cancelling after
        // the savepoint would race the commits.
        let drain = match savepoint.request.then {
            AfterSavepoint::KeepRunning => return self.trigger_client_savepoint(savepoint),
            AfterSavepoint::Stop { drain } => drain,
            AfterSavepoint::Cancel => false,
        };
        tracing::info!(
            "stopping job {} with a savepoint into {}{}{}",
            self.storage.job_id(),
            savepoint.request.target.display(),
            if drain { ", draining it first" } else { "" },
            if savepoint.request.then == AfterSavepoint::Cancel { ", to cancel it" } else { "" }
        );
        self.stop = Some(savepoint);
        if self.tasks.values().all(|t| t.inputs_ended) {
            return self.trigger_stop_savepoint();
        }
        for task in self.tasks.values().filter(|t| t.is_source && !t.inputs_ended) {
            let _ = task.commands.send(TaskCommand::Stop { drain });
        }
        Ok(())
    }

    /// Whether the job ended through a `cancel -s` savepoint (it reports cancelled).
    pub(crate) fn ended_by_cancel(&self) -> bool {
        self.ended_by_cancel
    }

    fn trigger_client_savepoint(&mut self, savepoint: ClientSavepoint) -> Result<(), Failover> {
        let dir = paths::savepoint_dir_name(self.storage.job_id(), random_u64());
        self.requested.insert(dir.clone(), savepoint);
        let actions = self.coordinator.handle(Event::TriggerSavepoint { dir });
        self.execute(actions)
    }

    /// Every subtask's input ended after a stop: the stop's savepoint is the final checkpoint.
    fn trigger_stop_savepoint(&mut self) -> Result<(), Failover> {
        let Some(stop) = self.stop.take() else { return Ok(()) };
        // The next trigger is the savepoint's: it becomes the final checkpoint, exactly.
        self.final_checkpoint = None;
        self.final_is_stop = true;
        self.trigger_client_savepoint(stop)
    }

    fn fail_request(&self, request: &SavepointRequest, message: String) {
        tracing::warn!("savepoint request {} failed: {message}", request.trigger);
        self.board.set(&request.trigger, SavepointStatus::Failed { message });
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
            if self.stop.is_some() {
                return self.trigger_stop_savepoint();
            }
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
                    let storage = match &location {
                        SnapshotLocation::Savepoint { dir } => match self.requested.remove(dir) {
                            Some(mut savepoint) => {
                                let storage = Arc::clone(&savepoint.storage);
                                savepoint.path = Some(storage.location_dir(&location));
                                self.savepoints.insert(id.0, savepoint);
                                storage
                            }
                            None => Arc::clone(&self.storage),
                        },
                        SnapshotLocation::Checkpoint { .. } => Arc::clone(&self.storage),
                    };
                    self.locations.register(id.0, location, storage);
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
                        let storage = self.savepoints.get(&id.0).map_or(&self.storage, |s| &s.storage);
                        match storage.write_metadata(&location, &metadata) {
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
                    if let Some(savepoint) = self.savepoints.remove(&id.0) {
                        // Clients that see it completed find it in the overview too.
                        self.publish();
                        let path = savepoint.path.unwrap_or_default();
                        tracing::info!("savepoint {id} of job {} is at {}", self.storage.job_id(), path.display());
                        self.board.set(&savepoint.request.trigger, SavepointStatus::Completed { path });
                        self.ended_by_cancel |= savepoint.request.then == AfterSavepoint::Cancel;
                    }
                    // A stop ends the job with exactly its savepoint; otherwise any checkpoint
                    // taken after every input ended covers the final state.
                    let ends = if self.final_is_stop {
                        self.final_checkpoint == Some(id)
                    } else {
                        self.final_checkpoint.is_some_and(|f| id >= f)
                    };
                    if ends {
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
                    self.record_history();
                    if let Some(savepoint) = self.savepoints.remove(&id.0) {
                        self.fail_request(&savepoint.request, format!("savepoint {id} failed: {reason}"));
                        if self.final_is_stop && self.final_checkpoint == Some(id) {
                            // The sources have stopped: only a restart from the latest
                            // checkpoint gets the job going again.
                            self.final_is_stop = false;
                            self.final_checkpoint = None;
                            failover = Some(Failover {
                                message: format!("the savepoint of a stop failed after the sources stopped: {reason}"),
                            });
                        }
                    }
                    if self.final_checkpoint == Some(id) {
                        self.final_checkpoint = None;
                        self.coordinator.request_checkpoint_soon();
                    }
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
                    if let Some(savepoint) = self.requested.remove(&dir) {
                        let why = match reason {
                            SavepointRejection::Suspended => "the job is restarting after a failure",
                            SavepointRejection::ShutDown => "the job has ended",
                        };
                        self.fail_request(&savepoint.request, format!("the savepoint was not triggered: {why}"));
                    }
                }
            }
        }
        self.publish();
        match failover {
            Some(failover) => Err(failover),
            None => Ok(()),
        }
    }

    /// Publishes the coordinator's view of the checkpoints to the job's clients.
    fn publish(&self) {
        let stats = self.coordinator.stats();
        let counts = stats.counts();
        let summary = |s: &CheckpointStats| self.summary(s);
        let recent: Vec<CheckpointSummary> = stats
            .history()
            .filter(|s| s.status != CheckpointStatus::InProgress)
            .rev()
            .take(RECENT_CHECKPOINTS)
            .map(summary)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let in_progress =
            stats.history().filter(|s| s.status == CheckpointStatus::InProgress).map(|s| s.id.0).collect();
        let [latest_completed, latest_savepoint, latest_failed] =
            self.latest.map(|id| id.and_then(|id| self.history.get(&id).cloned()));
        self.overview.update(|overview| {
            overview.counts.triggered = counts.triggered;
            overview.counts.completed = counts.completed;
            overview.counts.failed = counts.failed;
            overview.counts.in_progress = counts.in_progress();
            overview.in_progress = in_progress;
            overview.recent = recent;
            overview.latest_completed = latest_completed;
            overview.latest_savepoint = latest_savepoint;
            overview.latest_failed = latest_failed;
        });
    }

    fn summary(&self, stats: &CheckpointStats) -> CheckpointSummary {
        let path = match stats.kind {
            SnapshotKind::Checkpoint => self
                .storage
                .location_dir(&SnapshotLocation::Checkpoint { job_id: self.coordinator.plan().job_id, id: stats.id }),
            SnapshotKind::Savepoint => self
                .history
                .get(&stats.id.0)
                .map(|s| s.path.clone())
                .or_else(|| self.savepoints.get(&stats.id.0).and_then(|s| s.path.clone()))
                .unwrap_or_default(),
        };
        CheckpointSummary {
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
            trigger_timestamp: stats.trigger_timestamp,
            path,
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
        let ended: Vec<CheckpointSummary> = self
            .coordinator
            .stats()
            .history()
            .filter(|s| s.status != CheckpointStatus::InProgress)
            .map(|s| self.summary(s))
            .collect();
        for summary in ended {
            let slot = match (summary.completed, summary.is_savepoint) {
                (true, false) => 0,
                (true, true) => 1,
                (false, _) => 2,
            };
            self.latest[slot] = self.latest[slot].max(Some(summary.id));
            self.history.insert(summary.id, summary);
        }
    }
}

/// A random number for a savepoint directory's name.
fn random_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}
