//! The job manager of the embedded mini-cluster: deploys a job graph onto slots (one thread per
//! subtask), supervises the subtasks, cancels all of them on the first failure, and reports the
//! result.
//!
//! Slot sharing as in Flink: a slot holds at most one subtask of each vertex, so a job needs as
//! many slots as its highest parallelism, and subtask `i` of every vertex shares slot `i`.

use super::job_result::{JobExecutionResult, OperatorResult};
use super::progress::{ProgressReporter, ProgressSample};
use super::subtask::{OperatorSpec, SourceHead, SubtaskPlan, run_subtask};
use crate::config::{self, ProgressMode};
use crate::error::{JobError, TaskFailure};
use crate::graph::execution_graph::create_channels;
use crate::graph::job_graph::JobGraph;
use crate::graph::stream_graph::NodeKind;
use crate::task::cancel::CancelToken;
use crate::task::metrics::OperatorMetrics;
use crate::task::stream_task::TaskEnvironment;
use crossbeam_channel::{RecvTimeoutError, unbounded};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weir_core::clock::{Clock, SystemClock};
use weir_core::config::Configuration;
use weir_core::operator::{OperatorContext, OperatorCounters};
use weir_core::{JobId, OperatorUid};

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
        })
    }
}

/// Runs a job to its end.
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

    let counters: Vec<Vec<Arc<OperatorCounters>>> =
        job.nodes.iter().map(|n| (0..job.node_parallelism[n.id]).map(|_| Arc::default()).collect()).collect();
    let metrics: Vec<Vec<Arc<OperatorMetrics>>> =
        job.nodes.iter().map(|n| (0..job.node_parallelism[n.id]).map(|_| Arc::default()).collect()).collect();
    let uid_of = |node: usize| OperatorUid(job.nodes[node].uid.clone().unwrap_or_else(|| format!("auto-{node}")));
    let context = |node: usize, subtask: usize| {
        OperatorContext::new(
            job.nodes[node].name.clone(),
            uid_of(node),
            subtask,
            job.node_parallelism[node],
            job.max_parallelism,
        )
        .with_clock(Arc::clone(&settings.clock))
        .with_config(Arc::clone(&settings.config))
        .with_counters(Arc::clone(&counters[node][subtask]))
    };

    // Enumerate every source's splits before anything starts: a source that cannot (a missing
    // input path) fails the job here with its name.
    let mut splits: Vec<Option<std::vec::IntoIter<_>>> = Vec::with_capacity(job.vertices.len());
    for vertex in &job.vertices {
        let head = &job.nodes[vertex.nodes[0]];
        splits.push(match &head.kind {
            NodeKind::Source(source) => Some(
                source
                    .assign_splits(vertex.parallelism)
                    .map_err(|cause| JobError::Startup {
                        job_name: job_name.into(),
                        operator: head.name.clone(),
                        cause,
                    })?
                    .into_iter(),
            ),
            NodeKind::Operator(_) => None,
        });
    }

    let mut channels = create_channels(&job, settings.channel_capacity);
    let cancel = CancelToken::default();
    let subtasks: usize = job.vertices.iter().map(|v| v.parallelism).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let env = TaskEnvironment {
        cancel: cancel.clone(),
        buffer_timeout: settings.buffer_timeout,
        batch_size: settings.batch_size,
        spin_before_blocking: subtasks <= cores,
        clock: Arc::clone(&settings.clock),
    };
    let (done_tx, done_rx) = unbounded::<Result<(), TaskFailure>>();
    let started = Instant::now();
    let mut threads = Vec::new();

    for (v, vertex) in job.vertices.iter().enumerate() {
        for (subtask, subtask_channels) in std::mem::take(&mut channels[v]).into_iter().enumerate() {
            let mut source = None;
            let mut operators = Vec::new();
            for &node in &vertex.nodes {
                let m = Arc::clone(&metrics[node][subtask]);
                match &job.nodes[node].kind {
                    NodeKind::Source(s) => {
                        let assignment =
                            splits[v].as_mut().and_then(Iterator::next).ok_or_else(|| JobError::Startup {
                                job_name: job_name.into(),
                                operator: job.nodes[node].name.clone(),
                                cause: weir_core::Error::Internal("no split assignment for a source subtask".into()),
                            })?;
                        source = Some(SourceHead {
                            source: Arc::clone(s),
                            ctx: context(node, subtask),
                            splits: assignment,
                            metrics: m,
                        });
                    }
                    NodeKind::Operator(factory) => {
                        operators.push(OperatorSpec {
                            factory: Arc::clone(factory),
                            ctx: context(node, subtask),
                            metrics: m,
                        });
                    }
                }
            }
            let plan = SubtaskPlan {
                task_name: vertex.name.clone(),
                subtask,
                parallelism: vertex.parallelism,
                max_parallelism: job.max_parallelism,
                source,
                operators,
                channels: subtask_channels,
                env: env.clone(),
            };
            let done = done_tx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("{} ({}/{})", vertex.name, subtask + 1, vertex.parallelism))
                .spawn(move || {
                    // The receiver lives until every subtask reported.
                    let _ = done.send(run_subtask(plan));
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
    drop(done_tx);

    let sample = || ProgressSample {
        source_records: job
            .nodes
            .iter()
            .filter(|n| n.is_source())
            .flat_map(|n| &metrics[n.id])
            .map(|m| m.records_out())
            .sum(),
        sink_records: job.nodes.iter().filter(|n| n.is_sink).flat_map(|n| &metrics[n.id]).map(|m| m.records_in()).sum(),
    };
    let mut progress = settings.progress.map(|_| ProgressReporter::new(job_name, std::io::stderr().is_terminal()));
    let mut root_cause: Option<TaskFailure> = None;
    let mut reported = 0;
    while reported < threads.len() {
        let outcome = match settings.progress {
            Some(interval) => done_rx.recv_timeout(interval),
            None => done_rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match outcome {
            Ok(result) => {
                reported += 1;
                if let Err(failure) = result {
                    cancel.cancel();
                    // The first failure that is not a consequence of cancellation is the cause.
                    let replace = root_cause
                        .as_ref()
                        .is_none_or(|r| r.cause.is_cancellation() && !failure.cause.is_cancellation());
                    if replace {
                        root_cause = Some(failure);
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Some(p) = progress.as_mut() {
                    p.report(sample());
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    for thread in threads {
        // Every subtask reported before its thread ended; a join error would be a panic outside
        // `run_subtask`, which catches them all.
        let _ = thread.join();
    }
    let duration = started.elapsed();
    if let Some(p) = progress.as_mut() {
        p.report(sample());
        p.finish();
    }
    if let Some(failure) = root_cause {
        return Err(JobError::Failed { job_name: job_name.into(), job_id, failure: Box::new(failure) });
    }

    let operators = job
        .nodes
        .iter()
        .map(|n| OperatorResult {
            name: n.name.clone(),
            uid: uid_of(n.id).0,
            parallelism: job.node_parallelism[n.id],
            records_in: metrics[n.id].iter().map(|m| m.records_in()).sum(),
            records_out: metrics[n.id].iter().map(|m| m.records_out()).sum(),
            late_records_dropped: counters[n.id].iter().map(|c| c.late_records_dropped()).sum(),
        })
        .collect();
    Ok(JobExecutionResult { job_id, job_name: job_name.into(), duration, operators })
}
