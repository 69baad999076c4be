//! [`CheckpointCoordinator`]: the checkpoint protocol of one job as a state machine (Flink's
//! `CheckpointCoordinator`, DESIGN §7).
//!
//! It is fed [`Event`]s — ticks, acknowledgements, declines, metadata written, task failures —
//! and returns the [`Action`]s the runtime and storage execute, in order. It has no threads, no
//! timers and does no I/O: time comes from the injected [`Clock`] (a `ManualClock` in tests), and
//! "later" means "on a later tick".
//!
//! The life of a checkpoint:
//!
//! 1. **Trigger.** On a tick, once the interval elapsed, `min_pause` passed since the last
//!    completion and fewer than `max_concurrent` are in flight ([`crate::decider`]), the next id
//!    is taken and [`Action::TriggerCheckpoint`] returned. A savepoint is triggered at once.
//! 2. **Acknowledge.** Each subtask of the plan acknowledges once with its state handle
//!    ([`crate::AckOutcome`] says what became of it) or declines.
//! 3. **Finalize.** When all acknowledged, [`Action::WriteMetadata`] is returned. From then on the
//!    checkpoint belongs to storage: it no longer expires, and only [`Event::MetadataWritten`] or
//!    [`Event::MetadataFailed`] ends it (so files are never deleted under a running write).
//! 4. **Complete.** On `MetadataWritten` the checkpoint joins the [`crate::CompletedCheckpointStore`],
//!    [`Action::NotifyComplete`] is returned, older pending checkpoints are aborted as subsumed,
//!    and checkpoints beyond `num_retained` are returned in [`Action::Discard`]. A checkpoint whose
//!    metadata arrives after a newer one completed is aborted as subsumed instead, so completed
//!    ids strictly increase.
//!
//! Any other end is an [`Action::Abort`] with an [`crate::AbortReason`]: expired (a tick past the
//! timeout), declined, subsumed, task failure, metadata write failure, shutdown. Aborts that count
//! ([`crate::AbortReason::counts_as_failure`]) go to the [`crate::FailureCounter`]; past
//! `tolerable_failed` consecutive ones, [`Action::FailJob`] is returned and the coordinator
//! suspends until [`Event::Resume`].

mod ack;
mod action;
mod lifecycle;

pub use action::{Action, Event, JobFailure, SavepointRejection};

use crate::config::CheckpointConfig;
use crate::decider::{TriggerDecision, TriggerKind, TriggerRequest, decide};
use crate::error::Result;
use crate::failure::FailureCounter;
use crate::id::{CheckpointId, CheckpointIdCounter};
use crate::metadata::{Metadata, SnapshotKind};
use crate::paths::SnapshotLocation;
use crate::pending::PendingCheckpoint;
use crate::plan::CheckpointPlan;
use crate::relative_path::RelativePath;
use crate::stats::CheckpointStatsTracker;
use crate::store::CompletedCheckpointStore;
use crate::task::TaskKey;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use weir_core::clock::Clock;

/// How many aborted checkpoints are remembered, to discard late acknowledgements' files
/// (Flink remembers 16).
const REMEMBERED_ABORTS: usize = 64;

/// Whether the coordinator takes checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoordinatorState {
    /// The job runs: periodic checkpoints and savepoints are triggered.
    Running,
    /// The job is failing over: nothing is triggered until [`Event::Resume`].
    Suspended,
    /// The job ended: nothing is triggered any more.
    ShutDown,
}

/// A fully acknowledged checkpoint whose `_metadata` storage is writing.
#[derive(Debug, Clone)]
struct Finalizing {
    pending: PendingCheckpoint,
    metadata: Metadata,
}

/// The checkpoint coordinator of one job.
#[derive(Debug)]
pub struct CheckpointCoordinator {
    config: CheckpointConfig,
    plan: CheckpointPlan,
    tasks: BTreeSet<TaskKey>,
    clock: Arc<dyn Clock>,
    state: CoordinatorState,
    ids: CheckpointIdCounter,
    pending: BTreeMap<CheckpointId, PendingCheckpoint>,
    finalizing: BTreeMap<CheckpointId, Finalizing>,
    store: CompletedCheckpointStore,
    failures: FailureCounter,
    stats: CheckpointStatsTracker,
    recently_aborted: VecDeque<(CheckpointId, SnapshotLocation)>,
    next_periodic_at: Option<Duration>,
    last_completion: Option<Duration>,
    latest_completed: Option<CheckpointId>,
}

impl CheckpointCoordinator {
    /// A running coordinator for `plan`; the first periodic checkpoint is due one interval from
    /// now. Fails if the configuration or the plan is invalid.
    pub fn new(config: CheckpointConfig, plan: CheckpointPlan, clock: Arc<dyn Clock>) -> Result<Self> {
        config.validate()?;
        plan.validate()?;
        let now = clock.monotonic();
        Ok(CheckpointCoordinator {
            tasks: plan.tasks(),
            store: CompletedCheckpointStore::new(config.num_retained),
            failures: FailureCounter::new(config.tolerable_failed),
            next_periodic_at: config.interval.map(|i| now + i),
            config,
            plan,
            clock,
            state: CoordinatorState::Running,
            ids: CheckpointIdCounter::new(),
            pending: BTreeMap::new(),
            finalizing: BTreeMap::new(),
            stats: CheckpointStatsTracker::default(),
            recently_aborted: VecDeque::new(),
            last_completion: None,
            latest_completed: None,
        })
    }

    /// Continues from checkpoints recovered at restart: takes over `store`, and ids continue
    /// after its latest checkpoint or after `counter`, whichever is further.
    pub fn with_recovered(mut self, store: CompletedCheckpointStore, counter: CheckpointIdCounter) -> Self {
        let latest = store.latest().map(|c| c.id());
        let after_latest = latest.map_or_else(CheckpointIdCounter::new, CheckpointIdCounter::starting_after);
        self.ids = if after_latest.peek() > counter.peek() { after_latest } else { counter };
        self.latest_completed = latest;
        self.store = store;
        self
    }

    /// Reacts to one event.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        match event {
            Event::Tick => self.tick(),
            Event::TriggerSavepoint { dir } => self.trigger_savepoint(dir),
            Event::Acknowledge { id, task, handle } => self.acknowledge(id, task, handle).1,
            Event::Decline { id, task, reason } => self.decline(id, task, reason),
            Event::MetadataWritten { id } => self.metadata_written(id),
            Event::MetadataFailed { id, message } => self.metadata_failed(id, message),
            Event::TaskFailed { task } => self.task_failed(task),
            Event::Resume => self.resume(),
            Event::Shutdown { termination } => self.shutdown(termination),
        }
    }

    /// Expires overdue checkpoints, then triggers a periodic one if it is due and allowed.
    pub fn tick(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        let now = self.clock.monotonic();
        let timeout = self.config.timeout;
        let expired: Vec<CheckpointId> =
            self.pending.values().filter(|p| p.is_expired(now, timeout)).map(PendingCheckpoint::id).collect();
        for id in expired {
            self.abort_pending(id, crate::AbortReason::Expired { timeout }, &mut actions);
        }
        if self.state == CoordinatorState::Running {
            self.trigger_periodic(now, &mut actions);
        }
        actions
    }

    fn trigger_periodic(&mut self, now: Duration, actions: &mut Vec<Action>) {
        let request = TriggerRequest {
            kind: TriggerKind::Periodic,
            now,
            next_periodic_at: self.next_periodic_at,
            last_completion: self.last_completion,
            in_flight: self.in_flight(),
            min_pause: self.config.min_pause,
            max_concurrent: self.config.max_concurrent,
        };
        match decide(&request) {
            TriggerDecision::Trigger => {
                self.next_periodic_at = self.config.interval.map(|i| now + i);
                let id = self.ids.peek();
                let location = SnapshotLocation::Checkpoint { job_id: self.plan.job_id, id };
                self.start(SnapshotKind::Checkpoint, location, actions);
            }
            TriggerDecision::TooEarly { retry_at } => self.next_periodic_at = Some(retry_at),
            TriggerDecision::Disabled | TriggerDecision::NotDue { .. } | TriggerDecision::TooManyInFlight { .. } => {}
        }
    }

    /// Brings the next periodic checkpoint forward to now (it still waits for `min_pause` and a
    /// free slot below `max_concurrent`): the runtime asks for it when every task's input ended
    /// and only a final checkpoint stands between the job and its end. No effect when periodic
    /// checkpoints are off or the coordinator is not running.
    pub fn request_checkpoint_soon(&mut self) {
        if self.state == CoordinatorState::Running
            && let Some(due) = self.next_periodic_at
        {
            self.next_periodic_at = Some(due.min(self.clock.monotonic()));
        }
    }

    /// Triggers a savepoint into `dir` (relative to the savepoint directory) now, regardless of
    /// the interval, `min_pause` and `max_concurrent`, as Flink does.
    pub fn trigger_savepoint(&mut self, dir: RelativePath) -> Vec<Action> {
        let reason = match self.state {
            CoordinatorState::Running => None,
            CoordinatorState::Suspended => Some(SavepointRejection::Suspended),
            CoordinatorState::ShutDown => Some(SavepointRejection::ShutDown),
        };
        if let Some(reason) = reason {
            return vec![Action::RejectSavepoint { dir, reason }];
        }
        let mut actions = Vec::new();
        self.start(SnapshotKind::Savepoint, SnapshotLocation::Savepoint { dir }, &mut actions);
        actions
    }

    fn start(&mut self, kind: SnapshotKind, location: SnapshotLocation, actions: &mut Vec<Action>) {
        let id = self.ids.next_id();
        let timestamp = self.clock.now_millis();
        let triggered_at = self.clock.monotonic();
        let pending = PendingCheckpoint::new(id, kind, location.clone(), timestamp, triggered_at, self.tasks.clone());
        self.pending.insert(id, pending);
        self.stats.report_triggered(id, kind, timestamp, self.tasks.len());
        actions.push(Action::TriggerCheckpoint { id, timestamp, kind, location });
    }

    pub fn state(&self) -> CoordinatorState {
        self.state
    }

    /// Checkpoints (not savepoints) triggered and not yet completed or aborted, including those
    /// whose metadata is being written: what `max_concurrent` limits.
    pub fn in_flight(&self) -> usize {
        let pending = self.pending.values().filter(|p| p.kind() == SnapshotKind::Checkpoint).count();
        let finalizing = self.finalizing.values().filter(|f| f.pending.kind() == SnapshotKind::Checkpoint).count();
        pending + finalizing
    }

    /// Ids of checkpoints and savepoints waiting for acknowledgements.
    pub fn pending_ids(&self) -> impl Iterator<Item = CheckpointId> + '_ {
        self.pending.keys().copied()
    }

    /// Ids of checkpoints and savepoints whose metadata is being written.
    pub fn finalizing_ids(&self) -> impl Iterator<Item = CheckpointId> + '_ {
        self.finalizing.keys().copied()
    }

    pub fn pending(&self, id: CheckpointId) -> Option<&PendingCheckpoint> {
        self.pending.get(&id)
    }

    pub fn store(&self) -> &CompletedCheckpointStore {
        &self.store
    }

    pub fn stats(&self) -> &CheckpointStatsTracker {
        &self.stats
    }

    pub fn config(&self) -> &CheckpointConfig {
        &self.config
    }

    pub fn plan(&self) -> &CheckpointPlan {
        &self.plan
    }

    /// When the next periodic checkpoint is due (monotonic), if periodic checkpoints are on.
    pub fn next_periodic_at(&self) -> Option<Duration> {
        self.next_periodic_at
    }

    /// Counted consecutive failures since the last success.
    pub fn consecutive_failures(&self) -> usize {
        self.failures.consecutive()
    }

    /// The id of the newest completed checkpoint or savepoint.
    pub fn latest_completed_id(&self) -> Option<CheckpointId> {
        self.latest_completed
    }
}

#[cfg(test)]
mod tests;
