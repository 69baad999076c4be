//! The job manager of the embedded mini-cluster: on a thread of its own per job, deploys a job
//! graph onto slots (one thread per subtask), supervises the subtasks, drives checkpoints, and
//! on the first failure cancels every subtask and — as the restart strategy says — redeploys the
//! job from its latest completed checkpoint (DESIGN §8), or reports the root cause. A cancel
//! request from the job's [`JobClient`] stops the subtasks and ends the job as cancelled, never
//! restarted; the checkpoint retention policy then decides what is kept.
//!
//! Slot sharing as in Flink: a slot holds at most one subtask of each vertex, so a job needs as
//! many slots as its highest parallelism, and subtask `i` of every vertex shares slot `i`.

use super::attempt::{Attempt, AttemptEnd};
use super::job_checkpoints::JobCheckpoints;
use super::job_client::{JobClient, JobControl};
use super::job_result::{JobExecutionResult, OperatorResult};
use super::job_status::JobStatus;
use super::progress::{ProgressReporter, ProgressSample};
use super::subtask::panic_message;
use crate::checkpointing::alignment::AlignmentMode;
use crate::checkpointing::messages::JobMessage;
use crate::checkpointing::overview::RestoredSnapshot;
use crate::checkpointing::restore::RestorePlan;
use crate::config::{self, ProgressMode};
use crate::error::JobError;
use crate::faults::Faults;
use crate::graph::job_graph::JobGraph;
use crate::recovery::{RestartDecision, RestartStrategy, RestartStrategyConfig};
use crate::task::metrics::OperatorMetrics;
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weir_checkpoint::{CheckpointConfig, CheckpointingMode, JobTermination};
use weir_core::JobId;
use weir_core::clock::{Clock, SystemClock};
use weir_core::config::Configuration;
use weir_core::operator::OperatorCounters;
use weir_state::storage::load_snapshot;

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

/// Submits a job: checks what can be checked at once (slots, checkpoint and restart settings),
/// then runs it on a job manager thread of its own and returns its client. An error here means
/// the job was not submitted; later failures come from [`JobClient::wait`].
pub(crate) fn submit(job: JobGraph, job_name: &str, settings: ClusterSettings) -> Result<JobClient, JobError> {
    let required = job.vertices.iter().map(|v| v.parallelism).max().unwrap_or(0);
    if required > settings.slots {
        return Err(JobError::NotEnoughSlots { required, available: settings.slots });
    }
    let checkpoint_config = CheckpointConfig::from_configuration(&settings.config)?;
    let checkpointing = checkpoint_config.interval.is_some();
    let restart = RestartStrategyConfig::from_configuration(&settings.config, checkpointing)?;
    // A snapshot to start from is read and matched to the job now: a wrong path, a damaged file
    // or state no operator claims fails the submission, before anything runs.
    let initial = InitialSnapshot::from_config(&settings.config)?;
    let first_restore = initial.as_ref().map(|i| i.plan(&job)).transpose()?;
    let job_id = JobId::random();
    let (reports_tx, reports_rx) = unbounded::<JobMessage>();
    let control =
        JobControl::new(job_id, job_name, checkpointing.then(|| checkpoint_config.clone()), reports_tx.clone());
    let prepared = PreparedJob {
        job,
        job_name: job_name.to_string(),
        settings,
        checkpoint_config,
        restart,
        reports: (reports_tx, reports_rx),
        initial,
        first_restore,
    };
    let manager = {
        let control = Arc::clone(&control);
        std::thread::Builder::new().name(format!("job manager: {job_name}")).spawn(move || {
            let job_name = prepared.job_name.clone();
            let result = catch_unwind(AssertUnwindSafe(|| run_job(prepared, &control))).unwrap_or_else(|panic| {
                Err(JobError::JobManager { job_name, job_id, message: panic_message(&*panic) })
            });
            control.complete(result);
        })
    };
    let manager = manager.map_err(|e| JobError::Startup {
        job_name: job_name.into(),
        operator: "job manager".into(),
        cause: weir_core::Error::io("cannot start the job manager thread", e),
    })?;
    control.attach_manager(manager);
    Ok(JobClient::new(control))
}

/// A job that passed the checks of [`submit`], with what its job manager needs.
struct PreparedJob {
    job: JobGraph,
    job_name: String,
    settings: ClusterSettings,
    checkpoint_config: CheckpointConfig,
    restart: RestartStrategyConfig,
    /// The job manager's message channel (a clone of the sender is in the job's control).
    reports: (Sender<JobMessage>, Receiver<JobMessage>),
    /// The snapshot the job starts from, if any, and its plan for the first deployment.
    initial: Option<InitialSnapshot>,
    first_restore: Option<RestorePlan>,
}

/// How the job ended, before the checkpoint machinery is shut down accordingly.
enum JobEnd {
    Finished,
    Cancelled,
    Failed(JobError),
}

impl JobEnd {
    fn termination(&self) -> JobTermination {
        match self {
            JobEnd::Finished => JobTermination::Finished,
            JobEnd::Cancelled => JobTermination::Cancelled,
            JobEnd::Failed(_) => JobTermination::Failed,
        }
    }
}

/// The job manager: runs the job to its end, restarting it from its latest checkpoint after
/// failures as the restart strategy allows, until it finishes, fails for good or is cancelled.
fn run_job(prepared: PreparedJob, control: &JobControl) -> Result<JobExecutionResult, JobError> {
    let PreparedJob { job, job_name, settings, checkpoint_config, restart, reports, initial, first_restore } = prepared;
    let job_id = control.job_id();
    let checkpointing = checkpoint_config.interval.is_some();
    let mut restart = RestartStrategy::new(restart);
    let shared = JobShared {
        job_name: job_name.clone(),
        counters: job.nodes.iter().map(|n| (0..job.node_parallelism[n.id]).map(|_| Arc::default()).collect()).collect(),
        metrics: job.nodes.iter().map(|n| (0..job.node_parallelism[n.id]).map(|_| Arc::default()).collect()).collect(),
        mode: match checkpoint_config.mode {
            CheckpointingMode::ExactlyOnce => AlignmentMode::ExactlyOnce,
            CheckpointingMode::AtLeastOnce => AlignmentMode::AtLeastOnce,
        },
    };
    let mut checkpoints = if checkpointing {
        Some(JobCheckpoints::start(&job, job_id, &job_name, checkpoint_config, &settings, reports.0.clone(), control)?)
    } else {
        None
    };

    let started = Instant::now();
    let mut progress = settings.progress.map(|_| ProgressReporter::new(&job_name, std::io::stderr().is_terminal()));
    let mut restore = first_restore;
    let mut restarts = 0u32;
    let end = loop {
        if control.cancel_requested() {
            break JobEnd::Cancelled;
        }
        if let Some(plan) = &restore {
            let restored = RestoredSnapshot {
                id: plan.checkpoint_id,
                is_savepoint: plan.is_savepoint,
                path: plan.dir.clone(),
                restored_at: settings.clock.now_millis(),
            };
            control.overview.update(|o| {
                o.counts.restored += 1;
                o.latest_restored = Some(restored);
            });
        }
        control.set_status(JobStatus::Running);
        let attempt = Attempt {
            job: &job,
            shared: &shared,
            settings: &settings,
            control,
            restore: restore.take(),
            reports: (&reports.0, &reports.1),
            checkpoints: checkpoints.as_mut(),
            progress: progress.as_mut(),
        };
        let failure = match attempt.run() {
            // A `cancel -s` ends the job like a stop, and reports it cancelled.
            Ok(AttemptEnd::Finished) if checkpoints.as_ref().is_some_and(|c| c.driver.ended_by_cancel()) => {
                break JobEnd::Cancelled;
            }
            Ok(AttemptEnd::Finished) => break JobEnd::Finished,
            Ok(AttemptEnd::Cancelled) => break JobEnd::Cancelled,
            Ok(AttemptEnd::Failed(failure)) => failure,
            Err(error) => break JobEnd::Failed(error),
        };
        if control.cancel_requested() {
            break JobEnd::Cancelled; // it failed while the cancel request was on its way
        }
        let decision = restart.on_failure(settings.clock.now_millis(), jitter());
        let description = restart.describe(&decision);
        match decision {
            RestartDecision::GiveUp { .. } => {
                if restarts > 0 || checkpointing {
                    tracing::error!("job '{job_name}' ({job_id}) failed: {failure}; {description}");
                }
                break JobEnd::Failed(JobError::Failed { job_name, job_id, failure: Box::new(failure) });
            }
            RestartDecision::Restart { after, .. } => {
                tracing::warn!("job '{job_name}' ({job_id}) failed: {failure}; {description}");
                control.set_status(JobStatus::Restarting);
                if control.wait_for_cancel(after) {
                    break JobEnd::Cancelled;
                }
                restarts += 1;
                // The job's own newest checkpoint; before its first one, the snapshot it started from.
                let latest = checkpoints.as_ref().map(|c| c.latest_restore_plan(&job)).transpose().map(Option::flatten);
                restore = match latest {
                    Ok(Some(plan)) => Some(plan),
                    Ok(None) => match initial.as_ref().map(|i| i.plan(&job)).transpose() {
                        Ok(plan) => plan,
                        Err(error) => break JobEnd::Failed(error),
                    },
                    Err(error) => break JobEnd::Failed(error),
                };
                restart.on_running(settings.clock.now_millis());
            }
        }
    };
    let duration = started.elapsed();
    if let Some(p) = progress.as_mut() {
        p.report(shared.sample(&job));
        p.finish();
    }
    let history = match checkpoints {
        Some(c) => c.end(end.termination()),
        None => Vec::new(),
    };
    let status = match end {
        JobEnd::Failed(error) => return Err(error),
        JobEnd::Finished => JobStatus::Finished,
        JobEnd::Cancelled => {
            tracing::info!("job '{}' ({job_id}) was cancelled", shared.job_name);
            JobStatus::Cancelled
        }
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
    Ok(JobExecutionResult {
        job_id,
        job_name: shared.job_name,
        status,
        duration,
        operators,
        restarts,
        checkpoints: history,
    })
}

/// The savepoint or retained checkpoint a job starts from (`execution.savepoint.path`, `weir run
/// -s`), and whether state of operators the job lacks may be dropped
/// (`execution.savepoint.ignore-unclaimed-state`, `-n`).
struct InitialSnapshot {
    path: PathBuf,
    allow_non_restored: bool,
}

impl InitialSnapshot {
    fn from_config(conf: &Configuration) -> Result<Option<Self>, JobError> {
        let Some(path) = conf.get(&config::SAVEPOINT_PATH).map_err(JobError::Config)? else { return Ok(None) };
        let allow_non_restored = conf.get(&config::SAVEPOINT_IGNORE_UNCLAIMED_STATE).map_err(JobError::Config)?;
        Ok(Some(InitialSnapshot { path, allow_non_restored }))
    }

    /// Loads and verifies the snapshot (every file's size and checksum) and maps its state to
    /// the job's operators. Read again at every restart that has no newer checkpoint of the
    /// job: it is the user's, and may be read any number of times.
    fn plan(&self, job: &JobGraph) -> Result<RestorePlan, JobError> {
        let error = |cause: String| JobError::Restore(format!("cannot restore from {}: {cause}", self.path.display()));
        let snapshot = load_snapshot(&self.path).map_err(|e| error(e.to_string()))?;
        RestorePlan::announce_and_build(&snapshot, job, self.allow_non_restored)
            .map_err(|e| JobError::Restore(e.to_string()))
    }
}

/// A uniform number in [0, 1) for the restart strategy's jitter (no need for a good generator).
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1_000_000) / 1_000_000.0
}

/// What lives as long as the job, across restarts.
pub(super) struct JobShared {
    pub(super) job_name: String,
    /// Counts over all attempts (a restarted job counts replayed records again).
    pub(super) counters: Vec<Vec<Arc<OperatorCounters>>>,
    pub(super) metrics: Vec<Vec<Arc<OperatorMetrics>>>,
    pub(super) mode: AlignmentMode,
}

impl JobShared {
    pub(super) fn sample(&self, job: &JobGraph) -> ProgressSample {
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
