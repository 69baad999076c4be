//! What a subtask does for checkpoints: the synchronous snapshot of its chain when a barrier
//! is aligned (or, on a source, when the job manager triggers), forwarding the barrier, and
//! handing the asynchronous part to the snapshot thread; declining what it cannot take part
//! in; passing completions and aborts to its operators.
//!
//! After its inputs end, a subtask of a checkpointed job does not end at once: it goes on taking
//! part in checkpoints (with its final state) until the job manager says the job ended — once
//! every subtask's inputs ended and a checkpoint taken after that completed (Flink's final
//! checkpoint). So exactly-once sinks commit their last output through the same two phases as
//! the rest, and every checkpoint has a snapshot of every subtask.

use super::messages::{JobMessage, TaskCommand};
use super::snapshot_thread::{OperatorStateToWrite, SnapshotJob};
use crate::faults::{FaultPoint, Faults};
use crate::task::chain::OperatorChain;
use crossbeam_channel::{Receiver, Sender};
use std::time::{Duration, Instant};
use weir_checkpoint::{DeclineReason, SnapshotMetrics, TaskKey};
use weir_core::snapshot::CheckpointInfo;
use weir_core::{Error, OperatorUid, Result};

/// A source's positions at a checkpoint: its uid and its serialized unfinished splits.
pub(crate) struct SourcePosition {
    pub(crate) uid: OperatorUid,
    pub(crate) splits: Vec<u8>,
}

/// The checkpoint side of one subtask.
pub(crate) struct TaskCheckpointing {
    pub(crate) task: TaskKey,
    /// `Name (i/p)` for messages and fault injection.
    pub(crate) task_name: String,
    pub(crate) commands: Receiver<TaskCommand>,
    pub(crate) reports: Sender<JobMessage>,
    pub(crate) snapshots: Sender<SnapshotJob>,
    pub(crate) faults: Faults,
    /// The newest checkpoint this subtask snapshotted (or declined).
    newest: Option<u64>,
}

impl TaskCheckpointing {
    pub(crate) fn new(
        task: TaskKey,
        task_name: String,
        commands: Receiver<TaskCommand>,
        reports: Sender<JobMessage>,
        snapshots: Sender<SnapshotJob>,
        faults: Faults,
    ) -> Self {
        TaskCheckpointing { task, task_name, commands, reports, snapshots, faults, newest: None }
    }

    /// Whether checkpoint `id` is newer than any this subtask took part in.
    pub(crate) fn is_new(&self, id: u64) -> bool {
        self.newest.is_none_or(|newest| id > newest)
    }

    /// Takes part in checkpoint `info`: snapshots the chain (and the source's position) while
    /// processing is paused, forwards the barrier unless the output already ended, and hands
    /// the rest to the snapshot thread.
    pub(crate) fn checkpoint(
        &mut self,
        chain: &mut OperatorChain,
        info: CheckpointInfo,
        alignment: Duration,
        source: Option<SourcePosition>,
        output_ended: bool,
    ) -> Result<()> {
        if !self.is_new(info.id) {
            return Ok(());
        }
        self.newest = Some(info.id);
        let started = Instant::now();
        let states = chain.snapshot_state(&info)?;
        let sync_duration = started.elapsed();
        if !output_ended {
            chain.forward_barrier(&info)?;
        }
        let mut operators = Vec::with_capacity(states.len() + 1);
        if let Some(source) = source {
            operators.push(OperatorStateToWrite { uid: source.uid, state: None, source_splits: Some(source.splits) });
        }
        for (ctx, state) in chain.contexts().zip(states) {
            operators.push(OperatorStateToWrite { uid: ctx.uid.clone(), state, source_splits: None });
        }
        let job = SnapshotJob {
            info,
            task: self.task,
            task_name: self.task_name.clone(),
            operators,
            metrics: SnapshotMetrics { sync_duration, async_duration: Duration::ZERO, alignment_duration: alignment },
        };
        // The snapshot thread lives as long as the job manager's loop; a closed channel means
        // the job is being torn down.
        self.snapshots.send(job).map_err(|_| Error::Cancelled)
    }

    /// Declines checkpoint `id` (a newer barrier overtook it here).
    pub(crate) fn decline(&mut self, id: u64, reason: DeclineReason) {
        if self.newest.is_none_or(|newest| id >= newest) {
            self.newest = Some(id);
        }
        // Nobody listens only when the job is over.
        let _ = self.reports.send(JobMessage::Decline { id, task: self.task, reason });
    }

    /// Passes a completion or abort to the chain.
    pub(crate) fn notify(&mut self, chain: &mut OperatorChain, id: u64, completed: bool) -> Result<()> {
        if completed {
            self.faults.check(FaultPoint::BeforeCommit, &self.task_name, self.task.subtask.0)?;
            chain.notify_checkpoint(id, true)?;
            self.faults.check(FaultPoint::AfterCommit, &self.task_name, self.task.subtask.0)
        } else {
            chain.notify_checkpoint(id, false)
        }
    }

    /// Handles a completion, an abort or the end of the job; a trigger is the caller's.
    /// Returns true on [`TaskCommand::EndOfJob`].
    pub(crate) fn on_notification(&mut self, chain: &mut OperatorChain, command: &TaskCommand) -> Result<bool> {
        match command {
            TaskCommand::CheckpointComplete(id) => self.notify(chain, *id, true).map(|()| false),
            TaskCommand::CheckpointAborted(id) => self.notify(chain, *id, false).map(|()| false),
            TaskCommand::EndOfJob => Ok(true),
            // A stop is for running sources (theirs to handle); once the input ended, it is moot.
            TaskCommand::TriggerCheckpoint(_) | TaskCommand::Stop { .. } => Ok(false),
        }
    }

    /// After the inputs ended: reports it, then serves checkpoints until one covering the final
    /// state completes. `source` is a source's final position (no splits left when it read
    /// everything; where it stopped when the job stops with a savepoint).
    pub(crate) fn finish(&mut self, chain: &mut OperatorChain, source: Option<SourcePosition>) -> Result<()> {
        let _ = self.reports.send(JobMessage::InputsEnded { task: self.task });
        loop {
            let command = self.commands.recv().map_err(|_| Error::Cancelled)?;
            if let TaskCommand::TriggerCheckpoint(info) = command {
                let source = source.as_ref().map(|s| SourcePosition { uid: s.uid.clone(), splits: s.splits.clone() });
                self.checkpoint(chain, info, Duration::ZERO, source, true)?;
            } else if self.on_notification(chain, &command)? {
                return Ok(());
            }
        }
    }
}

/// The serialized form of an empty list of splits (postcard writes a length of 0 whatever the
/// split type is): the position of a source that finished all its splits.
pub(crate) fn empty_split_list() -> Vec<u8> {
    vec![0]
}
