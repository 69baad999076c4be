//! [`CheckpointConfigBuilder`]: the checkpoint settings of a job set from code, as Flink's
//! `env.getCheckpointConfig()` sets them.
//!
//! Why it writes configuration keys instead of keeping values of its own: `-D`, the config file,
//! [`StreamExecutionEnvironment::set_config`] and this builder must never disagree, so there is
//! one source of truth — the keys of [`weir_checkpoint::config`]. Every setter writes its key in
//! the text `-D` takes, after checking it with the parser a `-D` value goes through
//! ([`CheckpointConfig::from_configuration`]). A refused value leaves the configuration as it
//! was and is an error naming the key and the value.
//!
//! It is **not** where the settings take effect: the job manager reads the keys when the job
//! starts, and [`CheckpointConfigBuilder::get`] reads them the same way. It does no I/O (the
//! checkpoint directory is only named here, not created).

use super::environment::StreamExecutionEnvironment;
use crate::error::JobError;
use std::path::Path;
use std::time::Duration;
use weir_checkpoint::config::{self as keys, CheckpointConfig};
use weir_checkpoint::{CheckpointError, CheckpointingMode, RetentionPolicy};
use weir_core::config::{ConfigOption, Configuration};

/// Sets the checkpoint keys of one environment's configuration (from
/// [`StreamExecutionEnvironment::checkpoint_config`]).
///
/// ```
/// # use std::time::Duration;
/// # use weir_runtime::{CheckpointingMode, RetentionPolicy, StreamExecutionEnvironment};
/// # fn main() -> Result<(), weir_runtime::JobError> {
/// let env = StreamExecutionEnvironment::new();
/// env.checkpoint_config()
///     .set_checkpoint_interval(Duration::from_secs(10))?
///     .set_checkpointing_mode(CheckpointingMode::ExactlyOnce)
///     .set_checkpoint_timeout(Duration::from_secs(60))?
///     .set_externalized_checkpoint_retention(RetentionPolicy::RetainOnCancellation)
///     .set_checkpoint_storage("/var/lib/weir/checkpoints")?;
/// assert_eq!(env.config().get_raw("execution.checkpointing.timeout"), Some("60000 ms"));
/// # Ok(())
/// # }
/// ```
///
/// Durations are written in whole milliseconds, the unit of the keys; a sub-millisecond rest is
/// dropped.
#[derive(Clone)]
pub struct CheckpointConfigBuilder {
    env: StreamExecutionEnvironment,
}

impl CheckpointConfigBuilder {
    pub(crate) fn new(env: StreamExecutionEnvironment) -> Self {
        CheckpointConfigBuilder { env }
    }

    /// Takes a checkpoint every `interval` (`execution.checkpointing.interval`, at least 10 ms);
    /// setting it turns checkpointing on.
    pub fn set_checkpoint_interval(&self, interval: Duration) -> Result<&Self, JobError> {
        self.set(&keys::INTERVAL, duration_text(interval))
    }

    /// Aligned (exactly-once) or unaligned counting (at-least-once) barriers
    /// (`execution.checkpointing.mode`).
    pub fn set_checkpointing_mode(&self, mode: CheckpointingMode) -> &Self {
        self.write(&keys::MODE, mode.to_string())
    }

    /// A checkpoint not completed this long after its trigger is aborted
    /// (`execution.checkpointing.timeout`, positive).
    pub fn set_checkpoint_timeout(&self, timeout: Duration) -> Result<&Self, JobError> {
        self.set(&keys::TIMEOUT, duration_text(timeout))
    }

    /// The least time between the end of one checkpoint and the start of the next
    /// (`execution.checkpointing.min-pause`).
    pub fn set_min_pause_between_checkpoints(&self, pause: Duration) -> Result<&Self, JobError> {
        self.set(&keys::MIN_PAUSE, duration_text(pause))
    }

    /// How many checkpoints may be in flight at once
    /// (`execution.checkpointing.max-concurrent-checkpoints`, at least 1).
    pub fn set_max_concurrent_checkpoints(&self, max: usize) -> Result<&Self, JobError> {
        self.set(&keys::MAX_CONCURRENT, max.to_string())
    }

    /// How many consecutive checkpoint failures are tolerated before the job fails
    /// (`execution.checkpointing.tolerable-failed-checkpoints`).
    pub fn set_tolerable_checkpoint_failure_number(&self, failures: usize) -> &Self {
        self.write(&keys::TOLERABLE_FAILED, failures.to_string())
    }

    /// What becomes of retained checkpoints when the job is cancelled
    /// (`execution.checkpointing.externalized-checkpoint-retention`): kept and restorable
    /// ([`RetentionPolicy::RetainOnCancellation`]) or deleted with the job's checkpoint
    /// directory ([`RetentionPolicy::DeleteOnCancellation`]). Savepoints are never deleted.
    pub fn set_externalized_checkpoint_retention(&self, retention: RetentionPolicy) -> &Self {
        self.write(&keys::RETENTION, retention.to_string())
    }

    /// Where checkpoints are written (`state.checkpoints.dir`): each job in `<dir>/<job-id>`.
    pub fn set_checkpoint_storage(&self, dir: impl AsRef<Path>) -> Result<&Self, JobError> {
        let dir = dir.as_ref();
        let text = dir.to_str().ok_or_else(|| CheckpointError::InvalidConfig {
            key: keys::CHECKPOINTS_DIR.key,
            message: format!("the path {} is not valid UTF-8, which configuration values must be", dir.display()),
        })?;
        self.set(&keys::CHECKPOINTS_DIR, text.to_string())
    }

    /// How many completed checkpoints are kept (`state.checkpoints.num-retained`, at least 1).
    pub fn set_num_retained_checkpoints(&self, retained: usize) -> Result<&Self, JobError> {
        self.set(&keys::NUM_RETAINED, retained.to_string())
    }

    /// The checkpoint settings as the job manager will read them, from every source of the
    /// configuration (defaults, file, `-D`, `set_config`, this builder).
    pub fn get(&self) -> Result<CheckpointConfig, JobError> {
        Ok(CheckpointConfig::from_configuration(&self.env.config())?)
    }

    /// Checks `value` as `-D key=value` would be checked, then writes it.
    fn set<T: Clone>(&self, option: &ConfigOption<T>, value: String) -> Result<&Self, JobError> {
        let mut alone = Configuration::new();
        alone.set(option.key, value.clone());
        CheckpointConfig::from_configuration(&alone)?;
        Ok(self.write(option, value))
    }

    /// Writes a value that cannot be refused (an enum's name, a count).
    fn write<T>(&self, option: &ConfigOption<T>, value: String) -> &Self {
        self.env.set_config(option.key, value);
        self
    }
}

/// A duration in the text the duration keys take.
pub(crate) fn duration_text(duration: Duration) -> String {
    format!("{} ms", duration.as_millis())
}

#[cfg(test)]
mod tests;
