//! The execution environment: configuration, sources, and running the job (`execute`, or
//! `execute_async` for a [`JobClient`] that can cancel it).

use super::checkpoint_config::{self, CheckpointConfigBuilder};
use super::datastream::DataStream;
use super::watermark_strategy::WatermarkStrategy;
use crate::checkpointing::restore_check::{self, RestoreCheck};
use crate::cluster::mini_cluster::{self, ClusterSettings};
use crate::cluster::{JobClient, JobExecutionResult};
use crate::config;
use crate::error::JobError;
use crate::faults::{FaultInjector, Faults};
use crate::graph::job_graph::{GraphSettings, JobGraph, JobPlan};
use crate::graph::stream_graph::{NodeKind, StreamGraph};
use crate::task::source_task::SourceAdapter;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use weir_checkpoint::CheckpointingMode;
use weir_connectors::CollectionSource;
use weir_core::Data;
use weir_core::config::Configuration;
use weir_core::source::Source;

/// The graph and configuration shared by every stream of one environment.
pub(crate) struct EnvState {
    pub(crate) graph: StreamGraph,
    pub(crate) config: Configuration,
    pub(crate) faults: Faults,
}

/// Where a job is described and from where it is run (Flink's `StreamExecutionEnvironment`).
///
/// Runs on the embedded mini-cluster. Configuration comes from, in increasing priority: the
/// defaults, a YAML file (`--config FILE`), `-D key=value` overrides, and the setters here.
#[derive(Clone)]
pub struct StreamExecutionEnvironment {
    pub(crate) state: Rc<RefCell<EnvState>>,
}

impl Default for StreamExecutionEnvironment {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamExecutionEnvironment {
    /// An environment with the default configuration.
    pub fn new() -> Self {
        Self::with_config(Configuration::new())
    }

    /// An environment with the given configuration.
    pub fn with_config(config: Configuration) -> Self {
        StreamExecutionEnvironment {
            state: Rc::new(RefCell::new(EnvState { graph: StreamGraph::default(), config, faults: Faults::default() })),
        }
    }

    /// An environment configured from command-line arguments, as a job binary receives them:
    /// `--config FILE`, `-D key=value` (or `-Dkey=value`), `-p N`/`--parallelism N`, and the
    /// restore flags of `weir run`: `-s PATH`/`--from-savepoint PATH` (sets
    /// `execution.savepoint.path`) and `-n`/`--allow-non-restored-state` (sets
    /// `execution.savepoint.ignore-unclaimed-state`). Returns the environment and the arguments it did not consume, for the job itself.
    pub fn from_args<I, S>(args: I) -> Result<(Self, Vec<String>), JobError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut file_config = Configuration::new();
        let mut overrides = Configuration::new();
        let mut rest = Vec::new();
        let mut args = args.into_iter().map(Into::into);
        let missing = |flag: &str| JobError::Config(weir_core::Error::Config(format!("{flag} needs a value")));
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-D" => {
                    let value = args.next().ok_or_else(|| missing("-D"))?;
                    overrides.set_override(&value).map_err(JobError::Config)?;
                }
                "--config" | "-c" => {
                    let path = args.next().ok_or_else(|| missing(&arg))?;
                    file_config.merge(&config::load_config_file(Path::new(&path))?);
                }
                "-p" | "--parallelism" => {
                    let value = args.next().ok_or_else(|| missing(&arg))?;
                    overrides.set(config::PARALLELISM.key, value);
                }
                "-s" | "--from-savepoint" | "--fromSavepoint" => {
                    let path = args.next().ok_or_else(|| missing(&arg))?;
                    overrides.set(config::SAVEPOINT_PATH.key, path);
                }
                "-n" | "--allow-non-restored-state" | "--allowNonRestoredState" => {
                    overrides.set(config::SAVEPOINT_IGNORE_UNCLAIMED_STATE.key, "true");
                }
                other if other.starts_with("-D") && other.len() > 2 => {
                    overrides.set_override(&other[2..]).map_err(JobError::Config)?;
                }
                _ => rest.push(arg),
            }
        }
        file_config.merge(&overrides);
        let env = Self::with_config(file_config);
        env.validate_config()?;
        Ok((env, rest))
    }

    /// Sets one configuration key.
    pub fn set_config(&self, key: &str, value: impl Into<String>) -> &Self {
        self.state.borrow_mut().config.set(key, value);
        self
    }

    /// A copy of the current configuration.
    pub fn config(&self) -> Configuration {
        self.state.borrow().config.clone()
    }

    /// The default parallelism of operators (`parallelism.default`).
    pub fn set_parallelism(&self, parallelism: usize) -> &Self {
        self.set_config(config::PARALLELISM.key, parallelism.to_string())
    }

    /// The number of key groups (`pipeline.max-parallelism`).
    pub fn set_max_parallelism(&self, max_parallelism: usize) -> &Self {
        self.set_config(config::MAX_PARALLELISM.key, max_parallelism.to_string())
    }

    /// How long records may wait in a partly filled batch (`execution.buffer-timeout.interval`).
    pub fn set_buffer_timeout(&self, timeout: Duration) -> &Self {
        self.set_config(config::BUFFER_TIMEOUT.key, format!("{} ms", timeout.as_millis()))
    }

    /// Takes a checkpoint every `interval` in `mode` (Flink's `enableCheckpointing`): the same as
    /// setting `execution.checkpointing.interval` and `execution.checkpointing.mode`. An interval
    /// below 10 ms is reported when the job is submitted; [`Self::checkpoint_config`] refuses it
    /// at once and sets the other checkpoint settings.
    pub fn enable_checkpointing(&self, interval: Duration, mode: CheckpointingMode) -> &Self {
        self.set_config(weir_checkpoint::config::INTERVAL.key, checkpoint_config::duration_text(interval));
        self.checkpoint_config().set_checkpointing_mode(mode);
        self
    }

    /// The checkpoint settings of this environment's jobs (Flink's `getCheckpointConfig()`):
    /// interval, mode, timeout, min pause, concurrency, tolerable failures, retention on
    /// cancellation, storage directory and how many checkpoints are kept. It writes the same
    /// keys as `-D` and [`Self::set_config`]; whichever is set last wins.
    pub fn checkpoint_config(&self) -> CheckpointConfigBuilder {
        CheckpointConfigBuilder::new(self.clone())
    }

    /// Installs a fault injector: at the engine's fault points ([`crate::FaultPoint`]) it may
    /// make a subtask or the job manager fail. For tests of recovery.
    pub fn set_fault_injector(&self, injector: Arc<dyn FaultInjector>) -> &Self {
        self.state.borrow_mut().faults = Faults(Some(injector));
        self
    }

    /// Turns operator chaining off for the whole job.
    pub fn disable_operator_chaining(&self) -> &Self {
        self.set_config(config::CHAINING_ENABLED.key, "false")
    }

    /// A stream from a source (a connector of `weir-connectors` or your own `Source`).
    pub fn from_source<T: Data, S: Source<T>>(&self, source: S, name: &str) -> DataStream<T> {
        self.add_source(SourceAdapter::new(source), name)
    }

    /// A stream from a source with event timestamps and watermarks (Flink's
    /// `fromSource(source, watermarkStrategy, name)`). The strategy runs inside each source
    /// subtask **per split**: every split has its own watermark generator (and idleness), and the
    /// subtask's watermark is the minimum over its splits that are active and not finished. So a
    /// subtask reading several splits at different event times — a generator's ranges, files,
    /// the splits of four subtasks restored into one — makes none of their records late, as
    /// [`DataStream::assign_timestamps_and_watermarks`] after the source (one generator per
    /// subtask) would. Split watermarks are not checkpointed: a restored split starts from the
    /// lowest watermark again and holds its subtask back until its records move it.
    pub fn from_source_with_watermarks<T: Data, S: Source<T>>(
        &self,
        source: S,
        strategy: WatermarkStrategy<T>,
        name: &str,
    ) -> DataStream<T> {
        self.add_source(SourceAdapter::with_watermarks(source, strategy), name)
    }

    fn add_source<T: Data, S: Source<T>>(&self, adapter: SourceAdapter<T, S>, name: &str) -> DataStream<T> {
        let node = self.state.borrow_mut().graph.add_node(
            format!("Source: {name}"),
            NodeKind::Source(Arc::new(adapter)),
            Vec::new(),
            false,
        );
        DataStream::from_node(self.clone(), node)
    }

    /// A bounded stream of the given values, split across the parallel subtasks.
    pub fn from_collection<T: Data>(&self, values: Vec<T>) -> DataStream<T> {
        self.from_source(CollectionSource::new(values), "Collection")
    }

    /// The chained plan of the job built so far.
    pub fn explain(&self) -> Result<JobPlan, JobError> {
        let settings = self.graph_settings()?;
        // Nodes hold their operators behind `Arc`s: the copy is cheap and leaves the job intact.
        let graph = self.state.borrow().graph.clone();
        Ok(JobGraph::build(graph, settings)?.plan())
    }

    /// A dry run of restoring the job built so far from the checkpoint or savepoint at `path`
    /// (its directory or `_metadata`): which operator would take which state, what would be
    /// dropped, which operators would start empty, how state would be dealt out at the job's
    /// parallelism, and the error the restore would fail with — without running anything. Fails
    /// when the configuration or the job is invalid, or the snapshot cannot be loaded (as the
    /// restore would). The job stays in the environment.
    pub fn check_restore(&self, path: &Path, allow_non_restored: bool) -> Result<RestoreCheck, JobError> {
        self.validate_config()?;
        let settings = self.graph_settings()?;
        let graph = self.state.borrow().graph.clone();
        restore_check::check(path, &JobGraph::build(graph, settings)?, allow_non_restored)
    }

    /// Runs the job on the embedded mini-cluster and waits for it to end: the same as
    /// [`Self::execute_async`] followed by [`JobClient::wait`]. The streams built so far are
    /// consumed: the environment is empty afterwards.
    pub fn execute(&self, job_name: &str) -> Result<JobExecutionResult, JobError> {
        self.execute_async(job_name)?.wait()
    }

    /// Submits the job to the embedded mini-cluster and returns at once with its client (Flink's
    /// `executeAsync`): its id and status, cancelling it, waiting for its result. An invalid job
    /// or configuration is an error here; what goes wrong once it runs comes from
    /// [`JobClient::wait`]. The streams built so far are consumed: the environment is empty
    /// afterwards.
    pub fn execute_async(&self, job_name: &str) -> Result<JobClient, JobError> {
        self.validate_config()?;
        let settings = self.graph_settings()?;
        let mut cluster = ClusterSettings::from_config(&self.state.borrow().config)?;
        cluster.faults = self.state.borrow().faults.clone();
        let graph = std::mem::take(&mut self.state.borrow_mut().graph);
        let job = JobGraph::build(graph, settings)?;
        mini_cluster::submit(job, job_name, cluster)
    }

    fn graph_settings(&self) -> Result<GraphSettings, JobError> {
        let state = self.state.borrow();
        let conf = &state.config;
        Ok(GraphSettings {
            default_parallelism: conf.get(&config::PARALLELISM).map_err(JobError::Config)?,
            max_parallelism: conf.get(&config::MAX_PARALLELISM).map_err(JobError::Config)?,
            chaining_enabled: conf.get(&config::CHAINING_ENABLED).map_err(JobError::Config)?,
        })
    }

    /// Checks every known option's value, so a typo'd value fails before the job starts.
    fn validate_config(&self) -> Result<(), JobError> {
        self.graph_settings()?;
        let state = self.state.borrow();
        ClusterSettings::from_config(&state.config)?;
        weir_checkpoint::CheckpointConfig::from_configuration(&state.config)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_args_takes_weir_run_s_restore_flags() -> Result<(), JobError> {
        let (env, rest) =
            StreamExecutionEnvironment::from_args(["-s", "/sp/savepoint-1", "-n", "--rows", "5", "-p", "2"])?;
        let config = env.config();
        assert_eq!(config.get_raw(config::SAVEPOINT_PATH.key), Some("/sp/savepoint-1"));
        assert_eq!(config.get_raw(config::SAVEPOINT_IGNORE_UNCLAIMED_STATE.key), Some("true"));
        assert_eq!(config.get_raw(config::PARALLELISM.key), Some("2"));
        assert_eq!(rest, ["--rows", "5"]);

        let (env, rest) = StreamExecutionEnvironment::from_args(["--from-savepoint", "chk-3/_metadata"])?;
        assert_eq!(env.config().get_raw(config::SAVEPOINT_PATH.key), Some("chk-3/_metadata"));
        assert_eq!(env.config().get_raw(config::SAVEPOINT_IGNORE_UNCLAIMED_STATE.key), None);
        assert!(rest.is_empty());

        let (env, _) = StreamExecutionEnvironment::from_args(["--allow-non-restored-state"])?;
        assert_eq!(env.config().get_raw(config::SAVEPOINT_IGNORE_UNCLAIMED_STATE.key), Some("true"));

        let error = StreamExecutionEnvironment::from_args(["-s"]).err().expect("-s needs a path");
        assert!(error.to_string().contains("-s needs a value"), "{error}");
        Ok(())
    }
}
