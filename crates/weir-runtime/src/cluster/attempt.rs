//! [`Attempt`]: one deployment of a job — every subtask started on its slot's thread, then
//! supervised until they all ended: finished, failed (the first failure that is not a
//! consequence of cancelling is the root cause) or cancelled by the job's client.
//!
//! While the attempt runs, its loop is the job manager's: it receives the subtasks' reports,
//! feeds checkpoint acknowledgements to the coordinator's driver, ticks it, and shows progress.
//! It is **not** what decides about restarts; the job manager does that from the
//! [`AttemptEnd`] it returns.

use super::job_checkpoints::JobCheckpoints;
use super::job_client::JobControl;
use super::mini_cluster::{ClusterSettings, JobShared};
use super::progress::ProgressReporter;
use super::savepoints::SavepointStatus;
use super::subtask::{OperatorSpec, SourceHead, SubtaskCheckpointing, SubtaskPlan, run_subtask};
use crate::checkpointing::job_side::{Failover, JOB_MANAGER, TaskHandle};
use crate::checkpointing::messages::JobMessage;
use crate::checkpointing::restore::RestorePlan;
use crate::error::{FailureCause, JobError, TaskFailure};
use crate::graph::execution_graph::create_channels;
use crate::graph::job_graph::JobGraph;
use crate::graph::stream_graph::NodeKind;
use crate::task::cancel::CancelToken;
use crate::task::stream_task::TaskEnvironment;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use weir_checkpoint::{JobTermination, TaskKey};
use weir_core::operator::OperatorContext;

/// How an attempt ended.
pub(super) enum AttemptEnd {
    /// Every subtask finished.
    Finished,
    /// A subtask (or the checkpoint coordinator) failed; this is the root cause.
    Failed(TaskFailure),
    /// The job's client cancelled the job; every subtask has stopped.
    Cancelled,
}

/// Why the subtasks are being stopped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stopping {
    FailingOver,
    Cancelling,
}

/// One deployment of the job, from start to its end, its first failure or its cancellation.
pub(super) struct Attempt<'a> {
    pub(super) job: &'a JobGraph,
    pub(super) shared: &'a JobShared,
    pub(super) settings: &'a ClusterSettings,
    pub(super) control: &'a JobControl,
    pub(super) restore: Option<RestorePlan>,
    pub(super) reports: (&'a Sender<JobMessage>, &'a Receiver<JobMessage>),
    pub(super) checkpoints: Option<&'a mut JobCheckpoints>,
    pub(super) progress: Option<&'a mut ProgressReporter>,
}

impl Attempt<'_> {
    /// Deploys every subtask and supervises them until all ended. `Err` is a job that cannot
    /// start at all.
    pub(super) fn run(mut self) -> Result<AttemptEnd, JobError> {
        let job = self.job;
        let shared = self.shared;
        let settings = self.settings;
        let job_name = shared.job_name.as_str();
        let checkpointing = self.checkpoints.is_some();
        let context = |node: usize, subtask: usize, restore: &Option<RestorePlan>| {
            OperatorContext::new(
                job.nodes[node].name.clone(),
                job.uid_of(node),
                subtask,
                job.node_parallelism[node],
                job.max_parallelism,
            )
            .with_clock(Arc::clone(&settings.clock))
            .with_config(Arc::clone(&settings.config))
            .with_counters(Arc::clone(&shared.counters[node][subtask]))
            .with_checkpointing(checkpointing)
            .with_restored(restore.as_ref().and_then(|r| r.operator_state(node, subtask)))
        };

        // Every source's splits before anything starts (restored positions, or enumerated: a
        // source that cannot enumerate — a missing input path — fails the job here, named).
        let mut splits: Vec<Option<std::vec::IntoIter<_>>> = Vec::with_capacity(job.vertices.len());
        for vertex in &job.vertices {
            let head_id = vertex.nodes[0];
            let head = &job.nodes[head_id];
            splits.push(match &head.kind {
                NodeKind::Source(source) => {
                    let restored = self.restore.as_mut().and_then(|r| r.take_source_splits(head_id));
                    let assigned = match restored {
                        Some(assigned) => assigned,
                        None => source.assign_splits(vertex.parallelism).map_err(|cause| JobError::Startup {
                            job_name: job_name.into(),
                            operator: head.name.clone(),
                            cause,
                        })?,
                    };
                    Some(assigned.into_iter())
                }
                NodeKind::Operator(_) => None,
            });
        }

        let mut channels = create_channels(job, settings.channel_capacity);
        let cancel = CancelToken::default();
        let subtasks: usize = job.vertices.iter().map(|v| v.parallelism).sum();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let env = TaskEnvironment {
            cancel: cancel.clone(),
            buffer_timeout: settings.buffer_timeout,
            batch_size: settings.batch_size,
            spin_before_blocking: subtasks <= cores,
            clock: Arc::clone(&settings.clock),
            faults: settings.faults.clone(),
        };
        let (reports_tx, reports_rx) = self.reports;
        let mut threads = Vec::new();
        let mut task_handles = BTreeMap::new();

        for (v, vertex) in job.vertices.iter().enumerate() {
            for (subtask, subtask_channels) in std::mem::take(&mut channels[v]).into_iter().enumerate() {
                let mut source = None;
                let mut operators = Vec::new();
                for &node in &vertex.nodes {
                    let m = Arc::clone(&shared.metrics[node][subtask]);
                    match &job.nodes[node].kind {
                        NodeKind::Source(s) => {
                            let assignment =
                                splits[v].as_mut().and_then(Iterator::next).ok_or_else(|| JobError::Startup {
                                    job_name: job_name.into(),
                                    operator: job.nodes[node].name.clone(),
                                    cause: weir_core::Error::Internal(
                                        "no split assignment for a source subtask".into(),
                                    ),
                                })?;
                            source = Some(SourceHead {
                                source: Arc::clone(s),
                                ctx: context(node, subtask, &self.restore),
                                splits: assignment,
                                metrics: m,
                            });
                        }
                        NodeKind::Operator(factory) => {
                            operators.push(OperatorSpec {
                                factory: Arc::clone(factory),
                                ctx: context(node, subtask, &self.restore),
                                metrics: m,
                            });
                        }
                    }
                }
                let task = TaskKey::new(v as u32, subtask);
                let subtask_checkpointing = self.checkpoints.as_ref().map(|c| {
                    let (commands_tx, commands_rx) = unbounded();
                    task_handles.insert(
                        task,
                        TaskHandle { commands: commands_tx, is_source: source.is_some(), inputs_ended: false },
                    );
                    SubtaskCheckpointing {
                        task,
                        mode: shared.mode,
                        commands: commands_rx,
                        reports: reports_tx.clone(),
                        snapshots: c.snapshots.clone(),
                    }
                });
                let plan = SubtaskPlan {
                    task_name: vertex.name.clone(),
                    subtask,
                    parallelism: vertex.parallelism,
                    max_parallelism: job.max_parallelism,
                    source,
                    operators,
                    channels: subtask_channels,
                    env: env.clone(),
                    checkpointing: subtask_checkpointing,
                };
                let done = reports_tx.clone();
                let spawned = std::thread::Builder::new()
                    .name(format!("{} ({}/{})", vertex.name, subtask + 1, vertex.parallelism))
                    .spawn(move || {
                        // The receiver lives until every subtask reported.
                        let _ = done.send(JobMessage::TaskEnded { task, result: run_subtask(plan) });
                    });
                match spawned {
                    Ok(handle) => threads.push(handle),
                    Err(e) => {
                        cancel.cancel();
                        return Err(JobError::Startup {
                            job_name: job_name.into(),
                            operator: vertex.name.clone(),
                            cause: weir_core::Error::io("cannot start a subtask thread", e),
                        });
                    }
                }
            }
        }

        let mut stopping: Option<Stopping> = None;
        let mut root_cause: Option<TaskFailure> = None;
        if let Some(c) = self.checkpoints.as_deref_mut()
            && let Err(failover) = c.driver.attach(task_handles)
        {
            root_cause = Some(job_manager_failure(failover));
            stopping = Some(Stopping::FailingOver);
            cancel.cancel();
            c.driver.fail_over(TaskKey::new(0, 0));
        }
        let tick = self.checkpoints.as_ref().map(|c| c.driver.tick_interval());
        let wait = match (tick, settings.progress) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut last_tick = Instant::now();
        let mut last_progress = Instant::now();
        let mut ended = 0;
        while ended < threads.len() {
            if stopping != Some(Stopping::Cancelling) && self.control.cancel_requested() {
                // Subtasks stop at their next element or poll; those waiting for a command or a
                // checkpoint notification wake when the shutdown drops their command channels.
                // In-flight checkpoints are aborted (their files deleted) and the retained ones
                // kept or deleted as the retention policy says.
                stopping = Some(Stopping::Cancelling);
                cancel.cancel();
                if let Some(c) = self.checkpoints.as_deref_mut() {
                    c.driver.shutdown(JobTermination::Cancelled);
                }
            }
            let message = match wait {
                Some(wait) => reports_rx.recv_timeout(wait),
                None => reports_rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let mut failover: Option<(TaskKey, TaskFailure)> = None;
            match message {
                Ok(JobMessage::TaskEnded { task, result }) => {
                    ended += 1;
                    if let Err(failure) = result {
                        failover = Some((task, failure));
                    }
                }
                Ok(JobMessage::SnapshotFailed { task, failure }) => failover = Some((task, failure)),
                Ok(JobMessage::CancelRequested) => {} // seen at the top of the loop
                Ok(message) if stopping.is_none() => {
                    if let Some(c) = self.checkpoints.as_deref_mut() {
                        let outcome = match message {
                            JobMessage::Acknowledge { id, task, handle } => c.driver.acknowledge(id, task, handle),
                            JobMessage::Decline { id, task, reason } => c.driver.decline(id, task, reason),
                            JobMessage::InputsEnded { task } => c.driver.inputs_ended(task),
                            JobMessage::SavepointRequested(request) => c.driver.request_savepoint(request),
                            JobMessage::TaskEnded { .. }
                            | JobMessage::SnapshotFailed { .. }
                            | JobMessage::CancelRequested => Ok(()),
                        };
                        if let Err(f) = outcome {
                            failover = Some((TaskKey::new(0, 0), job_manager_failure(f)));
                        }
                    }
                }
                Ok(JobMessage::SavepointRequested(request)) => {
                    let why = match stopping {
                        Some(Stopping::Cancelling) => "the job is being cancelled",
                        _ => "the job is failing over",
                    };
                    let message = format!("the savepoint was not triggered: {why}");
                    self.control.savepoints.set(&request.trigger, SavepointStatus::Failed { message });
                }
                Ok(_) => {} // the subtasks are stopping: checkpoints no longer matter
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if stopping.is_none()
                && let (Some(c), Some(tick)) = (self.checkpoints.as_deref_mut(), tick)
                && last_tick.elapsed() >= tick
            {
                last_tick = Instant::now();
                if let Err(f) = c.driver.tick() {
                    failover = Some((TaskKey::new(0, 0), job_manager_failure(f)));
                }
            }
            if let Some((task, failure)) = failover {
                if stopping.is_none() {
                    stopping = Some(Stopping::FailingOver);
                    cancel.cancel();
                    if let Some(c) = self.checkpoints.as_deref_mut() {
                        c.driver.fail_over(task);
                    }
                }
                // The first failure that is not a consequence of cancellation is the cause.
                let replace =
                    root_cause.as_ref().is_none_or(|r| r.cause.is_cancellation() && !failure.cause.is_cancellation());
                if replace {
                    root_cause = Some(failure);
                }
            }
            if let (Some(p), Some(interval)) = (self.progress.as_deref_mut(), settings.progress)
                && last_progress.elapsed() >= interval
            {
                last_progress = Instant::now();
                p.report(shared.sample(job));
            }
        }
        for thread in threads {
            // Every subtask reported before its thread ended; a join error would be a panic
            // outside `run_subtask`, which catches them all.
            let _ = thread.join();
        }
        Ok(match (stopping, root_cause) {
            // Failures while cancelling (most are the cancellation itself) do not matter: the
            // job is not restarted.
            (Some(Stopping::Cancelling), _) => AttemptEnd::Cancelled,
            (_, Some(failure)) => AttemptEnd::Failed(failure),
            (_, None) => AttemptEnd::Finished,
        })
    }
}

/// A failure decided on the job manager (a checkpoint fault, too many failed checkpoints).
fn job_manager_failure(failover: Failover) -> TaskFailure {
    TaskFailure {
        operator: "checkpoint coordinator".into(),
        task: JOB_MANAGER.into(),
        subtask: 0,
        parallelism: 1,
        cause: FailureCause::Error(weir_core::Error::Internal(failover.message)),
    }
}
