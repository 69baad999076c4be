//! [`CheckpointConfig`]: how often and how checkpoints are taken, how long they may take, how many
//! may fail, and what is kept — read from Flink's configuration keys with Flink's defaults.
//!
//! It is **not** where the checkpoint directory is opened: `state.checkpoints.dir` and
//! `state.savepoints.dir` are read here as plain strings and handed to storage code.

use crate::error::{CheckpointError, Result};
use std::fmt;
use std::time::Duration;
use weir_core::config::{ConfigOption, Configuration, parse_duration, parse_positive};

/// Flink's smallest checkpoint interval.
pub const MINIMAL_INTERVAL: Duration = Duration::from_millis(10);

/// Whether operators align barriers (exactly-once) or not (at-least-once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckpointingMode {
    /// Multi-input operators hold back inputs whose barrier arrived until all have it.
    ExactlyOnce,
    /// Operators keep processing and snapshot when the last barrier arrives; replays may repeat records.
    AtLeastOnce,
}

impl fmt::Display for CheckpointingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CheckpointingMode::ExactlyOnce => "EXACTLY_ONCE",
            CheckpointingMode::AtLeastOnce => "AT_LEAST_ONCE",
        })
    }
}

/// What happens to retained checkpoints when the job ends (Flink's externalized checkpoint
/// retention). Savepoints are never deleted by weir, whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetentionPolicy {
    /// Kept when the job is cancelled or fails; deleted when it finishes.
    RetainOnCancellation,
    /// Deleted when the job is cancelled or finishes; kept when it fails.
    DeleteOnCancellation,
    /// Deleted whenever the job ends: finished, cancelled or failed.
    NoExternalizedCheckpoints,
}

impl fmt::Display for RetentionPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RetentionPolicy::RetainOnCancellation => "RETAIN_ON_CANCELLATION",
            RetentionPolicy::DeleteOnCancellation => "DELETE_ON_CANCELLATION",
            RetentionPolicy::NoExternalizedCheckpoints => "NO_EXTERNALIZED_CHECKPOINTS",
        })
    }
}

impl RetentionPolicy {
    /// Whether retained checkpoints are deleted when the job ends this way (Flink's
    /// `CheckpointProperties` for each policy). A suspended job is not over — another job
    /// manager recovers it from these checkpoints — so they are always kept.
    pub fn discards_on(self, termination: JobTermination) -> bool {
        match (self, termination) {
            (_, JobTermination::Suspended) => false,
            (_, JobTermination::Finished) => true,
            (RetentionPolicy::NoExternalizedCheckpoints, _) => true,
            (RetentionPolicy::DeleteOnCancellation, JobTermination::Cancelled) => true,
            (RetentionPolicy::DeleteOnCancellation, JobTermination::Failed) => false,
            (RetentionPolicy::RetainOnCancellation, JobTermination::Cancelled | JobTermination::Failed) => false,
        }
    }
}

/// How a job ended, which decides what the [`RetentionPolicy`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobTermination {
    /// Every source ended and the job drained.
    Finished,
    /// The user cancelled it.
    Cancelled,
    /// It failed for good (the restart strategy gave up).
    Failed,
    /// The job manager stopped without ending the job (it will be recovered elsewhere).
    Suspended,
}

/// The checkpoint settings of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// Time between periodic checkpoints; `None` (the default) turns periodic checkpoints off.
    pub interval: Option<Duration>,
    pub mode: CheckpointingMode,
    /// A checkpoint not completed this long after its trigger is aborted as expired.
    pub timeout: Duration,
    /// The least time between the completion of one checkpoint and the trigger of the next.
    pub min_pause: Duration,
    /// How many checkpoints may be in flight at once (savepoints do not count against it).
    pub max_concurrent: usize,
    /// How many consecutive checkpoint failures are tolerated before the job fails.
    pub tolerable_failed: usize,
    pub retention: RetentionPolicy,
    /// How many completed checkpoints are kept; older ones are deleted.
    pub num_retained: usize,
    /// `state.checkpoints.dir`, if set.
    pub checkpoints_dir: Option<String>,
    /// `state.savepoints.dir`, if set.
    pub savepoints_dir: Option<String>,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig {
            interval: None,
            mode: CheckpointingMode::ExactlyOnce,
            timeout: Duration::from_secs(600),
            min_pause: Duration::ZERO,
            max_concurrent: 1,
            tolerable_failed: 0,
            retention: RetentionPolicy::NoExternalizedCheckpoints,
            num_retained: 1,
            checkpoints_dir: None,
            savepoints_dir: None,
        }
    }
}

pub const INTERVAL: ConfigOption<Option<Duration>> = ConfigOption {
    key: "execution.checkpointing.interval",
    default: None,
    description: "time between periodic checkpoints (at least 10 ms); unset turns checkpointing off",
    parse: parse_interval,
};
pub const MODE: ConfigOption<CheckpointingMode> = ConfigOption {
    key: "execution.checkpointing.mode",
    default: CheckpointingMode::ExactlyOnce,
    description: "EXACTLY_ONCE (aligned barriers) or AT_LEAST_ONCE",
    parse: parse_mode,
};
pub const TIMEOUT: ConfigOption<Duration> = ConfigOption {
    key: "execution.checkpointing.timeout",
    default: Duration::from_secs(600),
    description: "a checkpoint not completed this long after its trigger is aborted",
    parse: parse_positive_duration,
};
pub const MIN_PAUSE: ConfigOption<Duration> = ConfigOption {
    key: "execution.checkpointing.min-pause",
    default: Duration::ZERO,
    description: "least time between the end of one checkpoint and the start of the next",
    parse: parse_duration,
};
pub const MAX_CONCURRENT: ConfigOption<usize> = ConfigOption {
    key: "execution.checkpointing.max-concurrent-checkpoints",
    default: 1,
    description: "how many checkpoints may be in flight at once",
    parse: parse_positive,
};
pub const TOLERABLE_FAILED: ConfigOption<usize> = ConfigOption {
    key: "execution.checkpointing.tolerable-failed-checkpoints",
    default: 0,
    description: "consecutive checkpoint failures tolerated before the job fails",
    parse: parse_count,
};
pub const RETENTION: ConfigOption<RetentionPolicy> = ConfigOption {
    key: "execution.checkpointing.externalized-checkpoint-retention",
    default: RetentionPolicy::NoExternalizedCheckpoints,
    description: "RETAIN_ON_CANCELLATION, DELETE_ON_CANCELLATION or NO_EXTERNALIZED_CHECKPOINTS",
    parse: parse_retention,
};
pub const NUM_RETAINED: ConfigOption<usize> = ConfigOption {
    key: "state.checkpoints.num-retained",
    default: 1,
    description: "how many completed checkpoints are kept",
    parse: parse_positive,
};
pub const CHECKPOINTS_DIR: ConfigOption<Option<String>> = ConfigOption {
    key: "state.checkpoints.dir",
    default: None,
    description: "where checkpoints are written (a directory or object-store URL)",
    parse: parse_location,
};
pub const SAVEPOINTS_DIR: ConfigOption<Option<String>> = ConfigOption {
    key: "state.savepoints.dir",
    default: None,
    description: "the default directory of savepoints",
    parse: parse_location,
};

/// Every key read by [`CheckpointConfig::from_configuration`], with its description, for
/// `weir config`.
pub fn option_descriptions() -> Vec<(&'static str, &'static str)> {
    vec![
        (INTERVAL.key, INTERVAL.description),
        (MODE.key, MODE.description),
        (TIMEOUT.key, TIMEOUT.description),
        (MIN_PAUSE.key, MIN_PAUSE.description),
        (MAX_CONCURRENT.key, MAX_CONCURRENT.description),
        (TOLERABLE_FAILED.key, TOLERABLE_FAILED.description),
        (RETENTION.key, RETENTION.description),
        (NUM_RETAINED.key, NUM_RETAINED.description),
        (CHECKPOINTS_DIR.key, CHECKPOINTS_DIR.description),
        (SAVEPOINTS_DIR.key, SAVEPOINTS_DIR.description),
    ]
}

impl CheckpointConfig {
    /// Reads every checkpoint key of `conf`; unset keys take Flink's defaults. A malformed value
    /// is an error naming its key and value.
    pub fn from_configuration(conf: &Configuration) -> Result<Self> {
        Ok(CheckpointConfig {
            interval: read(conf, &INTERVAL)?,
            mode: read(conf, &MODE)?,
            timeout: read(conf, &TIMEOUT)?,
            min_pause: read(conf, &MIN_PAUSE)?,
            max_concurrent: read(conf, &MAX_CONCURRENT)?,
            tolerable_failed: read(conf, &TOLERABLE_FAILED)?,
            retention: read(conf, &RETENTION)?,
            num_retained: read(conf, &NUM_RETAINED)?,
            checkpoints_dir: read(conf, &CHECKPOINTS_DIR)?,
            savepoints_dir: read(conf, &SAVEPOINTS_DIR)?,
        })
    }

    /// Checks values set programmatically against the same rules the parser applies.
    pub fn validate(&self) -> Result<()> {
        let bad =
            |key: &'static str, message: &str| Err(CheckpointError::InvalidConfig { key, message: message.into() });
        if self.interval.is_some_and(|i| i < MINIMAL_INTERVAL) {
            return bad(INTERVAL.key, "the interval must be at least 10 ms");
        }
        if self.timeout.is_zero() {
            return bad(TIMEOUT.key, "the timeout must be positive");
        }
        if self.max_concurrent == 0 {
            return bad(MAX_CONCURRENT.key, "at least one checkpoint must be allowed in flight");
        }
        if self.num_retained == 0 {
            return bad(NUM_RETAINED.key, "at least one completed checkpoint must be retained");
        }
        Ok(())
    }
}

/// Reads one option with its parser (the one `-D` values and programmatic settings both go
/// through); the error names the key once and says what was expected.
fn read<T: Clone>(conf: &Configuration, option: &ConfigOption<T>) -> Result<T> {
    match conf.get_raw(option.key) {
        None => Ok(option.default.clone()),
        Some(raw) => (option.parse)(raw.trim()).map_err(|expected| CheckpointError::InvalidConfig {
            key: option.key,
            message: format!("the value '{raw}' is not valid: {expected}"),
        }),
    }
}

fn parse_interval(text: &str) -> Result<Option<Duration>, String> {
    let interval = parse_duration(text)?;
    if interval < MINIMAL_INTERVAL {
        return Err("expected an interval of at least 10 ms".into());
    }
    Ok(Some(interval))
}

fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err("expected a positive duration".into()),
        d => Ok(d),
    }
}

fn parse_count(text: &str) -> Result<usize, String> {
    text.parse::<usize>().map_err(|_| "expected a whole number, 0 or more".to_string())
}

fn parse_mode(text: &str) -> Result<CheckpointingMode, String> {
    match text.to_ascii_uppercase().replace('-', "_").as_str() {
        "EXACTLY_ONCE" => Ok(CheckpointingMode::ExactlyOnce),
        "AT_LEAST_ONCE" => Ok(CheckpointingMode::AtLeastOnce),
        _ => Err("expected EXACTLY_ONCE or AT_LEAST_ONCE".into()),
    }
}

fn parse_retention(text: &str) -> Result<RetentionPolicy, String> {
    match text.to_ascii_uppercase().replace('-', "_").as_str() {
        "RETAIN_ON_CANCELLATION" => Ok(RetentionPolicy::RetainOnCancellation),
        "DELETE_ON_CANCELLATION" => Ok(RetentionPolicy::DeleteOnCancellation),
        "NO_EXTERNALIZED_CHECKPOINTS" => Ok(RetentionPolicy::NoExternalizedCheckpoints),
        _ => Err("expected RETAIN_ON_CANCELLATION, DELETE_ON_CANCELLATION or NO_EXTERNALIZED_CHECKPOINTS".into()),
    }
}

fn parse_location(text: &str) -> Result<Option<String>, String> {
    if text.is_empty() { Err("expected a directory".into()) } else { Ok(Some(text.to_string())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(pairs: &[(&str, &str)]) -> Configuration {
        let mut conf = Configuration::new();
        for (k, v) in pairs {
            conf.set(*k, *v);
        }
        conf
    }

    #[test]
    fn defaults_are_flinks() {
        let config = CheckpointConfig::from_configuration(&Configuration::new()).expect("defaults");
        assert_eq!(config, CheckpointConfig::default());
        assert_eq!(config.interval, None);
        assert_eq!(config.timeout, Duration::from_secs(600));
        assert_eq!((config.max_concurrent, config.tolerable_failed, config.num_retained), (1, 0, 1));
        assert_eq!(config.retention, RetentionPolicy::NoExternalizedCheckpoints);
        config.validate().expect("defaults are valid");
    }

    #[test]
    fn every_key_is_read() {
        let config = CheckpointConfig::from_configuration(&conf(&[
            ("execution.checkpointing.interval", "1s"),
            ("execution.checkpointing.mode", "at_least_once"),
            ("execution.checkpointing.timeout", "2 min"),
            ("execution.checkpointing.min-pause", "500 ms"),
            ("execution.checkpointing.max-concurrent-checkpoints", "3"),
            ("execution.checkpointing.tolerable-failed-checkpoints", "2"),
            ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"),
            ("state.checkpoints.num-retained", "5"),
            ("state.checkpoints.dir", "/data/checkpoints"),
            ("state.savepoints.dir", "/data/savepoints"),
        ]))
        .expect("valid");
        assert_eq!(config.interval, Some(Duration::from_secs(1)));
        assert_eq!(config.mode, CheckpointingMode::AtLeastOnce);
        assert_eq!(config.timeout, Duration::from_secs(120));
        assert_eq!(config.min_pause, Duration::from_millis(500));
        assert_eq!((config.max_concurrent, config.tolerable_failed, config.num_retained), (3, 2, 5));
        assert_eq!(config.retention, RetentionPolicy::RetainOnCancellation);
        assert_eq!(config.checkpoints_dir.as_deref(), Some("/data/checkpoints"));
        assert_eq!(config.savepoints_dir.as_deref(), Some("/data/savepoints"));
    }

    #[test]
    fn malformed_values_name_their_key() {
        for (key, value) in [
            ("execution.checkpointing.interval", "often"),
            ("execution.checkpointing.interval", "5 ms"),
            ("execution.checkpointing.mode", "twice"),
            ("execution.checkpointing.timeout", "0"),
            ("execution.checkpointing.max-concurrent-checkpoints", "0"),
            ("execution.checkpointing.tolerable-failed-checkpoints", "-1"),
            ("execution.checkpointing.externalized-checkpoint-retention", "KEEP"),
            ("state.checkpoints.num-retained", "0"),
        ] {
            let err = CheckpointConfig::from_configuration(&conf(&[(key, value)])).expect_err(value).to_string();
            assert!(err.contains(key) && err.contains(value), "{key}={value}: {err}");
            assert_eq!(err.matches(key).count(), 1, "the key is named once: {err}");
        }
    }

    #[test]
    fn retention_follows_flinks_properties() {
        use JobTermination::*;
        use RetentionPolicy::*;
        let discards = |p: RetentionPolicy| [Finished, Cancelled, Failed, Suspended].map(|t| p.discards_on(t));
        assert_eq!(discards(RetainOnCancellation), [true, false, false, false]);
        assert_eq!(discards(DeleteOnCancellation), [true, true, false, false]);
        assert_eq!(discards(NoExternalizedCheckpoints), [true, true, true, false]);
    }

    #[test]
    fn validate_checks_programmatic_values() {
        let config = CheckpointConfig { max_concurrent: 0, ..CheckpointConfig::default() };
        let err = config.validate().expect_err("zero concurrent").to_string();
        assert!(err.contains("max-concurrent-checkpoints"), "{err}");
        let config = CheckpointConfig { interval: Some(Duration::from_millis(1)), ..CheckpointConfig::default() };
        assert!(config.validate().is_err());
    }
}
