//! The job manager of the embedded mini-cluster: deploys a job graph onto slots (one thread per
//! subtask), supervises the subtasks, drives checkpoints, and on the first failure cancels every
//! subtask and — as the restart strategy says — redeploys the job from its latest completed
//! checkpoint (DESIGN §8), or reports the root cause.
//!
//! Slot sharing as in Flink: a slot holds at most one subtask of each vertex, so a job needs as
//! many slots as its highest parallelism, and subtask `i` of every vertex shares slot `i`.

use super::job_result::{JobExecutionResult, OperatorResult};
use super::progress::{ProgressReporter, ProgressSample};
use super::subtask::{OperatorSpec, SourceHead, SubtaskCheckpointing, SubtaskPlan, run_subtask};
use crate::checkpointing::alignment::AlignmentMode;
use crate::checkpointing::job_side::{CheckpointDriver, Failover, JOB_MANAGER, TaskHandle};
use crate::checkpointing::messages::JobMessage;
use crate::checkpointing::restore::RestorePlan;
use crate::checkpointing::snapshot_thread::{self, Locations, SnapshotJob};
use crate::config::{self, ProgressMode};
use crate::error::FailureCause;
use crate::error::{JobError, TaskFailure};
use crate::faults::Faults;
use crate::graph::execution_graph::create_channels;
use crate::graph::job_graph::JobGraph;
use crate::graph::stream_graph::NodeKind;
use crate::recovery::{RestartDecision, RestartStrategy, RestartStrategyConfig};
use crate::task::cancel::CancelToken;
use crate::task::metrics::OperatorMetrics;
use crate::task::stream_task::TaskEnvironment;
use crossbeam_channel::{Receiver, Sender};
use crossbeam_channel::{RecvTimeoutError, unbounded};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weir_checkpoint::{
    CheckpointConfig, CheckpointCoordinator, CheckpointPlan, CheckpointingMode, JobTermination, TaskKey, VertexId,
    VertexPlan,
};
use weir_core::JobId;
use weir_core::clock::{Clock, SystemClock};
use weir_core::config::Configuration;
use weir_core::operator::{OperatorContext, OperatorCounters};
use weir_state::storage::{FsCheckpointStorage, find_latest_restorable};

/// How the mini-cluster runs jobs, read from the configuration.
#[derive(Debug, Clone)]
pub(crate) struct ClusterSettings {
    pub(crate) slots: usize,
    pub(crate) channel_capacity: usize,
    pub(crate) batch_size: usize,
    pub(crate) buffer_timeout: Option<Duration>,
    pub(crate) progress: Option<Duration>,
    /// Processing time for every operator of the job.
    pub(crate) clock: Arc<dyn Clock>,
    /// The job's configuration, handed to every operator.
    pub(crate) config: Arc<Configuration>,
    /// Where tests inject failures.
    pub(crate) faults: Faults,
}

impl ClusterSettings {
    pub(crate) fn from_config(conf: &Configuration) -> Result<Self, JobError> {
        let slots = match conf.get(&config::TASK_SLOTS).map_err(JobError::Config)? {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let buffer_timeout = if conf.get(&config::BUFFER_TIMEOUT_ENABLED).map_err(JobError::Config)? {
            Some(conf.get(&config::BUFFER_TIMEOUT).map_err(JobError::Config)?)
        } else {
            None
        };
        let show_progress = match conf.get(&config::PROGRESS).map_err(JobError::Config)? {
            ProgressMode::Always => true,
            ProgressMode::Never => false,
            ProgressMode::Auto => std::io::stderr().is_terminal(),
        };
        let interval = conf.get(&config::PROGRESS_INTERVAL).map_err(JobError::Config)?;
        Ok(ClusterSettings {
            slots,
            channel_capacity: conf.get(&config::BUFFERS_PER_CHANNEL).map_err(JobError::Config)?,
            batch_size: conf.get(&config::BATCH_SIZE).map_err(JobError::Config)?,
            buffer_timeout,
            progress: show_progress.then_some(interval.max(Duration::from_millis(10))),
            clock: Arc::new(SystemClock::default()),
            config: Arc::new(conf.clone()),
            faults: Faults::default(),
        })
    }
}

/// Runs a job to its end, restarting it from its latest checkpoint after failures as the
/// restart strategy allows.
pub(crate) fn execute(
    job: JobGraph,
    job_name: &str,
    settings: &ClusterSettings,
) -> Result<JobExecutionResult, JobError> {
    let job_id = JobId::random();
    let required = job.vertices.iter().map(|v| v.parallelism).max().unwrap_or(0);
    if required > settings.slots {
        return Err(JobError::NotEnoughSlots { required, available: settings.slots });
    }
    let checkpoint_config = CheckpointConfig::from_configuration(&settings.config)?;
    let checkpointing = checkpoint_config.interval.is_some();
    let mut restart = RestartStrategy::new(RestartStrategyConfig::from_configuration(&settings.config, checkpointing)?);

    let shared = JobShared {
        job_name: job_name.to_string(),
        counters: job.nodes.iter().map(|n| (0..job.node_parallelism[n.id]).map(|_| Arc::default()).collect()).collect(),
        metrics: job.nodes.iter().map(|n| (0..job.node_parallelism[n.id]).map(|_| Arc::default()).collect()).collect(),
        mode: match checkpoint_config.mode {
            CheckpointingMode::ExactlyOnce => AlignmentMode::ExactlyOnce,
            CheckpointingMode::AtLeastOnce => AlignmentMode::AtLeastOnce,
        },
    };
    let (reports_tx, reports_rx) = unbounded::<JobMessage>();
    let mut checkpoints = if checkpointing {
        Some(JobCheckpoints::start(&job, job_id, job_name, checkpoint_config, settings, reports_tx.clone())?)
    } else {
        None
    };

    let started = Instant::now();
    let mut progress = settings.progress.map(|_| ProgressReporter::new(job_name, std::io::stderr().is_terminal()));
    let mut restore: Option<RestorePlan> = None;
    let mut restarts = 0u32;
    loop {
        let attempt = Attempt {
            job: &job,
            shared: &shared,
            settings,
            restore: restore.take(),
            reports: (&reports_tx, &reports_rx),
            checkpoints: checkpoints.as_mut(),
            progress: progress.as_mut(),
        };
        let Err(failure) = attempt.run()? else { break };
        let decision = restart.on_failure(settings.clock.now_millis(), jitter());
        let description = restart.describe(&decision);
        match decision {
            RestartDecision::GiveUp { .. } => {
                if restarts > 0 || checkpointing {
                    tracing::error!("job '{job_name}' ({job_id}) failed: {failure}; {description}");
                }
                if let Some(c) = checkpoints.as_mut() {
                    c.driver.shutdown(JobTermination::Failed);
                }
                return Err(JobError::Failed { job_name: job_name.into(), job_id, failure: Box::new(failure) });
            }
            RestartDecision::Restart { after, .. } => {
                tracing::warn!("job '{job_name}' ({job_id}) failed: {failure}; {description}");
                restarts += 1;
                std::thread::sleep(after);
                restore = match checkpoints.as_ref() {
                    Some(c) => c.latest_restore_plan(&job)?,
                    None => None,
                };
                restart.on_running(settings.clock.now_millis());
            }
        }
    }
    let duration = started.elapsed();
    if let Some(p) = progress.as_mut() {
        p.report(shared.sample(&job));
        p.finish();
    }
    let history = match checkpoints {
        Some(mut c) => {
            c.driver.shutdown(JobTermination::Finished);
            let history = c.driver.history();
            c.stop();
            history
        }
        None => Vec::new(),
    };

    let operators = job
        .nodes
        .iter()
        .map(|n| OperatorResult {
            name: n.name.clone(),
            uid: job.uid_of(n.id).0,
            parallelism: job.node_parallelism[n.id],
            records_in: shared.metrics[n.id].iter().map(|m| m.records_in()).sum(),
            records_out: shared.metrics[n.id].iter().map(|m| m.records_out()).sum(),
            late_records_dropped: shared.counters[n.id].iter().map(|c| c.late_records_dropped()).sum(),
        })
        .collect();
    Ok(JobExecutionResult { job_id, job_name: job_name.into(), duration, operators, restarts, checkpoints: history })
}

/// A uniform number in [0, 1) for the restart strategy's jitter (no need for a good generator).
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

/// What lives as long as the job, across restarts.
struct JobShared {
    job_name: String,
    /// Counts over all attempts (a restarted job counts replayed records again).
    counters: Vec<Vec<Arc<OperatorCounters>>>,
    metrics: Vec<Vec<Arc<OperatorMetrics>>>,
    mode: AlignmentMode,
}

impl JobShared {
    fn sample(&self, job: &JobGraph) -> ProgressSample {
        ProgressSample {
            source_records: job
                .nodes
                .iter()
                .filter(|n| n.is_source())
                .flat_map(|n| &self.metrics[n.id])
                .map(|m| m.records_out())
                .sum(),
            sink_records: job
                .nodes
                .iter()
                .filter(|n| n.is_sink)
                .flat_map(|n| &self.metrics[n.id])
                .map(|m| m.records_in())
                .sum(),
        }
    }
}

/// The checkpoint machinery of a checkpointed job: the coordinator's driver and the snapshot
/// thread.
struct JobCheckpoints {
    driver: CheckpointDriver,
    snapshots: Sender<SnapshotJob>,
    thread: std::thread::JoinHandle<()>,
}

impl JobCheckpoints {
    fn start(
        job: &JobGraph,
        job_id: JobId,
        job_name: &str,
        config: CheckpointConfig,
        settings: &ClusterSettings,
        reports: Sender<JobMessage>,
    ) -> Result<Self, JobError> {
        let dir = match &config.checkpoints_dir {
            Some(dir) => std::path::PathBuf::from(dir),
            None => {
                let dir = std::env::temp_dir().join("weir-checkpoints");
                tracing::info!("state.checkpoints.dir is not set: checkpoints of '{job_name}' go to {}", dir.display());
                dir
            }
        };
        let plan = CheckpointPlan {
            job_id,
            max_parallelism: job.max_parallelism as u32,
            vertices: job
                .vertices
                .iter()
                .enumerate()
                .map(|(v, vertex)| VertexPlan {
                    id: VertexId(v as u32),
                    parallelism: vertex.parallelism as u32,
                    operators: vertex.nodes.iter().map(|&n| job.uid_of(n)).collect(),
                })
                .collect(),
        };
        let coordinator = CheckpointCoordinator::new(config, plan, Arc::clone(&settings.clock))?;
        let storage = Arc::new(FsCheckpointStorage::new(dir, job_id));
        let locations = Locations::default();
        let (snapshots, jobs) = unbounded::<SnapshotJob>();
        let thread = {
            let (storage, locations, faults) = (Arc::clone(&storage), locations.clone(), settings.faults.clone());
            std::thread::Builder::new()
                .name("snapshots".into())
                .spawn(move || snapshot_thread::run(jobs, storage, locations, reports, faults))
                .map_err(|e| JobError::Startup {
                    job_name: job_name.into(),
                    operator: "checkpoints".into(),
                    cause: weir_core::Error::io("cannot start the snapshot thread", e),
                })?
        };
        let driver = CheckpointDriver::new(coordinator, storage, locations, settings.faults.clone());
        Ok(JobCheckpoints { driver, snapshots, thread })
    }

    /// What to restore after a failure: the newest checkpoint on disk that loads and verifies;
    /// newer damaged ones are skipped with a warning naming them.
    fn latest_restore_plan(&self, job: &JobGraph) -> Result<Option<RestorePlan>, JobError> {
        let job_dir = self.driver.storage().job_dir();
        let (latest, skipped) = find_latest_restorable(&job_dir).map_err(|e| JobError::Restore(e.to_string()))?;
        for skipped in &skipped {
            tracing::warn!("not restoring from {skipped}");
        }
        match latest {
            None => Ok(None),
            Some(snapshot) => {
                tracing::info!(
                    "restoring from checkpoint {} at {}",
                    snapshot.metadata.checkpoint_id,
                    snapshot.dir().display()
                );
                RestorePlan::build(&snapshot, job, false).map(Some).map_err(|e| JobError::Restore(e.to_string()))
            }
        }
    }

    /// Ends the snapshot thread once it wrote what it was given.
    fn stop(self) {
        drop(self.snapshots);
        drop(self.driver);
        // The thread ends when its channel closes; a panic in it was already a failed snapshot.
        let _ = self.thread.join();
    }
}

/// One deployment of the job, from start to its end or its first failure.
struct Attempt<'a> {
    job: &'a JobGraph,
    shared: &'a JobShared,
    settings: &'a ClusterSettings,
    restore: Option<RestorePlan>,
    reports: (&'a Sender<JobMessage>, &'a Receiver<JobMessage>),
    checkpoints: Option<&'a mut JobCheckpoints>,
    progress: Option<&'a mut ProgressReporter>,
}

impl Attempt<'_> {
    /// Deploys every subtask and supervises them. `Ok(Err(failure))` is a failure the job may
    /// restart from; `Err` a job that cannot start at all.
    fn run(mut self) -> Result<Result<(), TaskFailure>, JobError> {
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

        let mut failing = false;
        let mut root_cause: Option<TaskFailure> = None;
        if let Some(c) = self.checkpoints.as_deref_mut()
            && let Err(failover) = c.driver.attach(task_handles)
        {
            root_cause = Some(job_manager_failure(failover));
            failing = true;
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
                Ok(message) if !failing => {
                    if let Some(c) = self.checkpoints.as_deref_mut() {
                        let outcome = match message {
                            JobMessage::Acknowledge { id, task, handle } => c.driver.acknowledge(id, task, handle),
                            JobMessage::Decline { id, task, reason } => c.driver.decline(id, task, reason),
                            JobMessage::InputsEnded { task } => c.driver.inputs_ended(task),
                            JobMessage::TaskEnded { .. } | JobMessage::SnapshotFailed { .. } => Ok(()),
                        };
                        if let Err(f) = outcome {
                            failover = Some((TaskKey::new(0, 0), job_manager_failure(f)));
                        }
                    }
                }
                Ok(_) => {} // the job is failing over: checkpoints no longer matter
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if !failing
                && let (Some(c), Some(tick)) = (self.checkpoints.as_deref_mut(), tick)
                && last_tick.elapsed() >= tick
            {
                last_tick = Instant::now();
                if let Err(f) = c.driver.tick() {
                    failover = Some((TaskKey::new(0, 0), job_manager_failure(f)));
                }
            }
            if let Some((task, failure)) = failover {
                if !failing {
                    failing = true;
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
        Ok(match root_cause {
            Some(failure) => Err(failure),
            None => Ok(()),
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
