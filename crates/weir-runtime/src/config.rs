//! The runtime's configuration options (Flink's key names where Flink has the setting) and
//! loading a configuration file.
//!
//! The file is YAML, nested or flat, like Flink's `config.yaml`: `parallelism: {default: 4}` and
//! `parallelism.default: 4` mean the same. Values are read as strings and parsed by the option
//! that uses them, so a malformed value is reported with its key.

use crate::error::JobError;
use crate::recovery::RestartStrategyType;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;
use weir_core::config::{ConfigOption, Configuration, parse_bool, parse_duration, parse_positive};
use weir_core::key_group::DEFAULT_MAX_PARALLELISM;

pub const PARALLELISM: ConfigOption<usize> = ConfigOption {
    key: "parallelism.default",
    default: 1,
    description: "Parallelism of operators that do not set their own.",
    parse: parse_positive,
};

pub const MAX_PARALLELISM: ConfigOption<usize> = ConfigOption {
    key: "pipeline.max-parallelism",
    default: DEFAULT_MAX_PARALLELISM,
    description: "Number of key groups: the upper bound of parallelism for keyed state.",
    parse: parse_positive,
};

pub const BUFFER_TIMEOUT_ENABLED: ConfigOption<bool> = ConfigOption {
    key: "execution.buffer-timeout.enabled",
    default: true,
    description: "Whether partly filled batches are flushed after the buffer timeout (false: only full batches are sent).",
    parse: parse_bool,
};

pub const BUFFER_TIMEOUT: ConfigOption<Duration> = ConfigOption {
    key: "execution.buffer-timeout.interval",
    default: Duration::from_millis(100),
    description: "How long a record may wait in a partly filled batch; 0 flushes after every element.",
    parse: parse_duration,
};

/// 4096: measured in BENCHMARKS.md — with 1024 the per-batch thread hand-over dominated an
/// exchange (rebalance at 0.3× of a chained job); with 4096 it is at 0.6×. Latency stays bounded
/// by the buffer timeout.
pub const BATCH_SIZE: ConfigOption<usize> = ConfigOption {
    key: "execution.batch-size",
    default: 4096,
    description: "Records per batch on channels between subtasks (weir's unit of hand-over).",
    parse: parse_positive,
};

pub const BUFFERS_PER_CHANNEL: ConfigOption<usize> = ConfigOption {
    key: "taskmanager.network.memory.buffers-per-channel",
    default: 4,
    description: "Batches a channel holds before its producer blocks (backpressure).",
    parse: parse_positive,
};

pub const TASK_SLOTS: ConfigOption<usize> = ConfigOption {
    key: "taskmanager.numberOfTaskSlots",
    default: 0,
    description: "Slots of the mini-cluster's task manager (default: the number of cores).",
    parse: parse_positive,
};

pub const CHAINING_ENABLED: ConfigOption<bool> = ConfigOption {
    key: "pipeline.operator-chaining.enabled",
    default: true,
    description: "Whether operators are fused into chains.",
    parse: parse_bool,
};

pub const AUTO_WATERMARK_INTERVAL: ConfigOption<Duration> = ConfigOption {
    key: "pipeline.auto-watermark-interval",
    default: Duration::from_millis(200),
    description: "How often periodic watermarks are emitted (0 turns periodic emission off).",
    parse: parse_duration,
};

pub const WINDOW_SLICE_SHARING: ConfigOption<bool> = ConfigOption {
    key: "weir.windows.slice-sharing",
    default: true,
    description: "Tumbling and sliding event-time windows with reduce/aggregate and the default trigger share slice accumulators (one update per record instead of size/slide).",
    parse: parse_bool,
};

pub const WINDOW_LOCAL_AGGREGATION: ConfigOption<bool> = ConfigOption {
    key: "weir.windows.local-aggregation",
    default: true,
    description: "Slice-sharing window aggregates without a late-data side output pre-aggregate per key and slice before the keyed exchange (Flink SQL's local-global aggregation); the exchange then carries partial accumulators instead of records.",
    parse: parse_bool,
};

pub const WINDOW_LOCAL_AGGREGATION_MAX_ENTRIES: ConfigOption<usize> = ConfigOption {
    key: "weir.windows.local-aggregation.max-entries",
    default: 100_000,
    description: "How many (key, slice) accumulators a local window pre-aggregation holds before it sends them all on (it also does at every watermark and checkpoint barrier).",
    parse: parse_positive,
};

pub const PROGRESS: ConfigOption<ProgressMode> = ConfigOption {
    key: "weir.progress",
    default: ProgressMode::Auto,
    description: "Live progress on stderr: auto (when stderr is a terminal), true or false.",
    parse: parse_progress,
};

pub const PROGRESS_INTERVAL: ConfigOption<Duration> = ConfigOption {
    key: "weir.progress.interval",
    default: Duration::from_secs(1),
    description: "How often progress is shown.",
    parse: parse_duration,
};

// The REST API of the job manager (Flink's `RestOptions`), which `weir run` serves while its job
// runs and the `list`/`cancel`/`stop`/`savepoint` verbs talk to. Read by `weir-rest`.

pub const REST_PORT: ConfigOption<u16> = ConfigOption {
    key: "rest.port",
    default: 8081,
    description: "Port of the REST API that `weir run` serves while its job runs; 0 picks any free port (the address is printed).",
    parse: parse_port,
};

pub const REST_BIND_ADDRESS: ConfigOption<Cow<'static, str>> = ConfigOption {
    key: "rest.bind-address",
    default: Cow::Borrowed("127.0.0.1"),
    description: "Address the REST API listens on (0.0.0.0 for every interface; the API has no authentication).",
    parse: parse_host,
};

fn parse_port(text: &str) -> Result<u16, String> {
    text.trim().parse::<u16>().map_err(|_| "expected a port number from 0 to 65535 (0: any free port)".to_string())
}

fn parse_host(text: &str) -> Result<Cow<'static, str>, String> {
    match text.trim() {
        "" => Err("expected a host name or an IP address, such as 127.0.0.1".into()),
        host => Ok(Cow::Owned(host.to_string())),
    }
}

// Restoring a job from a savepoint or a retained checkpoint: Flink's `SavepointConfigOptions`
// keys, which `weir run -s` / `-n` set.

pub const SAVEPOINT_PATH: ConfigOption<Option<PathBuf>> = ConfigOption {
    key: "execution.savepoint.path",
    default: None,
    description: "Start the job from this savepoint or retained checkpoint (its directory or its _metadata file); `weir run -s`.",
    parse: parse_optional_path,
};

pub const SAVEPOINT_IGNORE_UNCLAIMED_STATE: ConfigOption<bool> = ConfigOption {
    key: "execution.savepoint.ignore-unclaimed-state",
    default: false,
    description: "Allow restoring when the snapshot has state for operators (uids) the job does not have; that state is dropped. `weir run -n` / --allow-non-restored-state.",
    parse: parse_bool,
};

fn parse_optional_path(text: &str) -> Result<Option<PathBuf>, String> {
    let text = text.trim();
    Ok((!text.is_empty()).then(|| PathBuf::from(text)))
}

// Restart strategies: Flink's `RestartStrategyOptions`, same keys and defaults (Flink 1.19/1.20).
// Read by `recovery::RestartStrategyConfig::from_configuration`, which also checks the values
// against each other (initial backoff not above the maximum).

pub const RESTART_STRATEGY_TYPE: ConfigOption<Option<RestartStrategyType>> = ConfigOption {
    key: "restart-strategy.type",
    default: None,
    description: "What happens when a job fails: none (also off, disable), fixed-delay (fixeddelay), failure-rate (failurerate) or exponential-delay (exponentialdelay). Unset: exponential-delay if checkpointing is enabled, else none.",
    parse: parse_restart_strategy_type,
};

pub const FIXED_DELAY_ATTEMPTS: ConfigOption<u32> = ConfigOption {
    key: "restart-strategy.fixed-delay.attempts",
    default: 1,
    description: "fixed-delay: how many times the job is restarted before it is declared failed.",
    parse: parse_count,
};

pub const FIXED_DELAY_DELAY: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.fixed-delay.delay",
    default: Duration::from_secs(1),
    description: "fixed-delay: the wait before each restart.",
    parse: parse_duration,
};

pub const FAILURE_RATE_MAX_FAILURES_PER_INTERVAL: ConfigOption<u32> = ConfigOption {
    key: "restart-strategy.failure-rate.max-failures-per-interval",
    default: 1,
    description: "failure-rate: the most restarts within one failure-rate interval; one more failure in that interval fails the job.",
    parse: parse_positive_count,
};

pub const FAILURE_RATE_INTERVAL: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.failure-rate.failure-rate-interval",
    default: Duration::from_secs(60),
    description: "failure-rate: the sliding interval over which failures are counted.",
    parse: parse_positive_duration,
};

pub const FAILURE_RATE_DELAY: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.failure-rate.delay",
    default: Duration::from_secs(1),
    description: "failure-rate: the wait before each restart.",
    parse: parse_duration,
};

pub const EXPONENTIAL_DELAY_INITIAL_BACKOFF: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.exponential-delay.initial-backoff",
    default: Duration::from_secs(1),
    description: "exponential-delay: the wait before the first restart (and after a reset).",
    parse: parse_positive_duration,
};

pub const EXPONENTIAL_DELAY_MAX_BACKOFF: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.exponential-delay.max-backoff",
    default: Duration::from_secs(60),
    description: "exponential-delay: the longest wait between restarts, jitter included.",
    parse: parse_positive_duration,
};

pub const EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER: ConfigOption<f64> = ConfigOption {
    key: "restart-strategy.exponential-delay.backoff-multiplier",
    default: 1.5,
    description: "exponential-delay: the wait is multiplied by this after every restart, up to the maximum.",
    parse: parse_backoff_multiplier,
};

pub const EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD: ConfigOption<Duration> = ConfigOption {
    key: "restart-strategy.exponential-delay.reset-backoff-threshold",
    default: Duration::from_secs(3600),
    description: "exponential-delay: how long the job must run without failing for the wait and the attempt count to start over.",
    parse: parse_positive_duration,
};

pub const EXPONENTIAL_DELAY_JITTER_FACTOR: ConfigOption<f64> = ConfigOption {
    key: "restart-strategy.exponential-delay.jitter-factor",
    default: 0.1,
    description: "exponential-delay: up to this fraction of the wait is randomly added or subtracted, so that jobs failing together do not restart together.",
    parse: parse_jitter_factor,
};

/// Flink's default is `Integer.MAX_VALUE`, documented as "infinite".
pub const EXPONENTIAL_DELAY_ATTEMPTS_BEFORE_RESET_BACKOFF: ConfigOption<u32> = ConfigOption {
    key: "restart-strategy.exponential-delay.attempts-before-reset-backoff",
    default: i32::MAX as u32,
    description: "exponential-delay: how many restarts are allowed before the job is declared failed; the count starts over when the backoff is reset.",
    parse: parse_positive_count,
};

fn parse_restart_strategy_type(text: &str) -> Result<Option<RestartStrategyType>, String> {
    RestartStrategyType::from_name(text)
        .map(Some)
        .ok_or_else(|| format!("expected one of {}", RestartStrategyType::ACCEPTED))
}

/// A whole number ≥ 0 (Flink's int options, without the negative half).
fn parse_count(text: &str) -> Result<u32, String> {
    text.parse::<u32>().map_err(|_| "expected a whole number (0 or more)".to_string())
}

fn parse_positive_count(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a positive whole number".into()),
    }
}

fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text)? {
        Duration::ZERO => Err("expected a duration of at least 1 ms".into()),
        duration => Ok(duration),
    }
}

fn parse_backoff_multiplier(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 1.0 => Ok(x),
        _ => Err("expected a number greater than 1, such as 1.5".into()),
    }
}

fn parse_jitter_factor(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err("expected a number from 0 to 1, such as 0.1".into()),
    }
}

/// When live progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Auto,
    Always,
    Never,
}

fn parse_progress(text: &str) -> Result<ProgressMode, String> {
    match text.to_ascii_lowercase().as_str() {
        "auto" => Ok(ProgressMode::Auto),
        "true" | "always" => Ok(ProgressMode::Always),
        "false" | "never" => Ok(ProgressMode::Never),
        _ => Err("expected 'auto', 'true' or 'false'".into()),
    }
}

/// Every option, for validation of a whole configuration and for `--help` listings.
pub fn describe_options() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (PARALLELISM.key, PARALLELISM.default.to_string(), PARALLELISM.description),
        (MAX_PARALLELISM.key, MAX_PARALLELISM.default.to_string(), MAX_PARALLELISM.description),
        (BUFFER_TIMEOUT.key, "100 ms".into(), BUFFER_TIMEOUT.description),
        (BUFFER_TIMEOUT_ENABLED.key, "true".into(), BUFFER_TIMEOUT_ENABLED.description),
        (BATCH_SIZE.key, BATCH_SIZE.default.to_string(), BATCH_SIZE.description),
        (BUFFERS_PER_CHANNEL.key, BUFFERS_PER_CHANNEL.default.to_string(), BUFFERS_PER_CHANNEL.description),
        (TASK_SLOTS.key, "number of cores".into(), TASK_SLOTS.description),
        (CHAINING_ENABLED.key, "true".into(), CHAINING_ENABLED.description),
        (AUTO_WATERMARK_INTERVAL.key, "200 ms".into(), AUTO_WATERMARK_INTERVAL.description),
        (WINDOW_SLICE_SHARING.key, "true".into(), WINDOW_SLICE_SHARING.description),
        (WINDOW_LOCAL_AGGREGATION.key, "true".into(), WINDOW_LOCAL_AGGREGATION.description),
        (
            WINDOW_LOCAL_AGGREGATION_MAX_ENTRIES.key,
            WINDOW_LOCAL_AGGREGATION_MAX_ENTRIES.default.to_string(),
            WINDOW_LOCAL_AGGREGATION_MAX_ENTRIES.description,
        ),
        (PROGRESS.key, "auto".into(), PROGRESS.description),
        (PROGRESS_INTERVAL.key, "1 s".into(), PROGRESS_INTERVAL.description),
        (REST_PORT.key, REST_PORT.default.to_string(), REST_PORT.description),
        (REST_BIND_ADDRESS.key, REST_BIND_ADDRESS.default.to_string(), REST_BIND_ADDRESS.description),
        (SAVEPOINT_PATH.key, "unset".into(), SAVEPOINT_PATH.description),
        (SAVEPOINT_IGNORE_UNCLAIMED_STATE.key, "false".into(), SAVEPOINT_IGNORE_UNCLAIMED_STATE.description),
        (
            RESTART_STRATEGY_TYPE.key,
            "exponential-delay with checkpointing, else none".into(),
            RESTART_STRATEGY_TYPE.description,
        ),
        (FIXED_DELAY_ATTEMPTS.key, FIXED_DELAY_ATTEMPTS.default.to_string(), FIXED_DELAY_ATTEMPTS.description),
        (FIXED_DELAY_DELAY.key, "1 s".into(), FIXED_DELAY_DELAY.description),
        (
            FAILURE_RATE_MAX_FAILURES_PER_INTERVAL.key,
            FAILURE_RATE_MAX_FAILURES_PER_INTERVAL.default.to_string(),
            FAILURE_RATE_MAX_FAILURES_PER_INTERVAL.description,
        ),
        (FAILURE_RATE_INTERVAL.key, "1 min".into(), FAILURE_RATE_INTERVAL.description),
        (FAILURE_RATE_DELAY.key, "1 s".into(), FAILURE_RATE_DELAY.description),
        (EXPONENTIAL_DELAY_INITIAL_BACKOFF.key, "1 s".into(), EXPONENTIAL_DELAY_INITIAL_BACKOFF.description),
        (EXPONENTIAL_DELAY_MAX_BACKOFF.key, "1 min".into(), EXPONENTIAL_DELAY_MAX_BACKOFF.description),
        (
            EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER.key,
            EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER.default.to_string(),
            EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER.description,
        ),
        (
            EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD.key,
            "1 h".into(),
            EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD.description,
        ),
        (
            EXPONENTIAL_DELAY_JITTER_FACTOR.key,
            EXPONENTIAL_DELAY_JITTER_FACTOR.default.to_string(),
            EXPONENTIAL_DELAY_JITTER_FACTOR.description,
        ),
        (
            EXPONENTIAL_DELAY_ATTEMPTS_BEFORE_RESET_BACKOFF.key,
            "unlimited (2147483647)".into(),
            EXPONENTIAL_DELAY_ATTEMPTS_BEFORE_RESET_BACKOFF.description,
        ),
    ]
    .into_iter()
    .chain(checkpoint_options())
    .chain(
        weir_state::config::option_descriptions()
            .into_iter()
            .map(|(key, default, description)| (key, default.to_string(), description)),
    )
    .collect()
}

/// The checkpoint options (weir-checkpoint reads them), with their defaults as shown.
fn checkpoint_options() -> impl Iterator<Item = (&'static str, String, &'static str)> {
    let default_of = |key: &str| match key {
        "execution.checkpointing.interval" => "off",
        "execution.checkpointing.mode" => "EXACTLY_ONCE",
        "execution.checkpointing.timeout" => "10 min",
        "execution.checkpointing.min-pause" => "0 ms",
        "execution.checkpointing.max-concurrent-checkpoints" => "1",
        "execution.checkpointing.tolerable-failed-checkpoints" => "0",
        "execution.checkpointing.externalized-checkpoint-retention" => "NO_EXTERNALIZED_CHECKPOINTS",
        "state.checkpoints.num-retained" => "1",
        "state.checkpoints.dir" => "unset: <temp dir>/weir-checkpoints",
        _ => "unset",
    };
    weir_checkpoint::config::option_descriptions()
        .into_iter()
        .map(move |(key, description)| (key, default_of(key).to_string(), description))
}

/// Reads a YAML configuration file (nested or flat keys) into a configuration.
pub fn load_config_file(path: &Path) -> Result<Configuration, JobError> {
    let error = |message: String| JobError::ConfigFile { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read: {e}")))?;
    parse_config_yaml(&text).map_err(error)
}

/// Parses YAML configuration text; nested mappings become dotted keys.
pub fn parse_config_yaml(text: &str) -> Result<Configuration, String> {
    let value: serde_norway::Value = serde_norway::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let mut conf = Configuration::new();
    match value {
        serde_norway::Value::Null => {}
        serde_norway::Value::Mapping(map) => flatten("", &map, &mut conf)?,
        _ => return Err("expected a mapping of keys to values at the top level".into()),
    }
    Ok(conf)
}

fn flatten(prefix: &str, map: &serde_norway::Mapping, conf: &mut Configuration) -> Result<(), String> {
    use serde_norway::Value;
    for (key, value) in map {
        let key = match key {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => return Err(format!("unsupported key {other:?} under '{prefix}'")),
        };
        let full = if prefix.is_empty() { key } else { format!("{prefix}.{key}") };
        match value {
            Value::Mapping(inner) => flatten(&full, inner, conf)?,
            Value::String(s) => {
                conf.set(full, s.clone());
            }
            Value::Number(n) => {
                conf.set(full, n.to_string());
            }
            Value::Bool(b) => {
                conf.set(full, b.to_string());
            }
            Value::Null => {}
            Value::Sequence(items) => {
                let parts: Result<Vec<String>, String> = items
                    .iter()
                    .map(|item| match item {
                        Value::String(s) => Ok(s.clone()),
                        Value::Number(n) => Ok(n.to_string()),
                        Value::Bool(b) => Ok(b.to_string()),
                        _ => Err(format!("'{full}': only lists of plain values are supported")),
                    })
                    .collect();
                conf.set(full, parts?.join(";"));
            }
            Value::Tagged(_) => return Err(format!("'{full}': YAML tags are not supported")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_flat_keys_mean_the_same() {
        let nested = parse_config_yaml("parallelism:\n  default: 4\npipeline:\n  max-parallelism: 64\n").expect("yaml");
        let flat = parse_config_yaml("parallelism.default: 4\npipeline.max-parallelism: 64\n").expect("yaml");
        assert_eq!(nested, flat);
        assert_eq!(nested.get(&PARALLELISM).expect("valid"), 4);
        assert_eq!(nested.get(&MAX_PARALLELISM).expect("valid"), 64);
    }

    #[test]
    fn durations_and_bad_values() {
        let conf =
            parse_config_yaml("execution.buffer-timeout.interval: 5 ms\nparallelism.default: zero\n").expect("yaml");
        assert_eq!(conf.get(&BUFFER_TIMEOUT).expect("valid"), Duration::from_millis(5));
        let err = conf.get(&PARALLELISM).expect_err("invalid").to_string();
        assert!(err.contains("parallelism.default") && err.contains("zero"), "{err}");
    }

    #[test]
    fn rest_options_have_flink_s_defaults_and_check_their_values() {
        let conf = Configuration::new();
        assert_eq!(conf.get(&REST_PORT).expect("default"), 8081);
        assert_eq!(conf.get(&REST_BIND_ADDRESS).expect("default"), "127.0.0.1");
        let conf = parse_config_yaml("rest:\n  port: 0\n  bind-address: 0.0.0.0\n").expect("yaml");
        assert_eq!(conf.get(&REST_PORT).expect("valid"), 0);
        assert_eq!(conf.get(&REST_BIND_ADDRESS).expect("valid"), "0.0.0.0");
        let conf = parse_config_yaml("rest.port: 70000\nrest.bind-address: ''\n").expect("yaml");
        assert!(conf.get(&REST_PORT).expect_err("too big").to_string().contains("rest.port"));
        assert!(conf.get(&REST_BIND_ADDRESS).is_err());
        let keys: Vec<&str> = describe_options().into_iter().map(|(key, _, _)| key).collect();
        assert!(keys.contains(&"rest.port") && keys.contains(&"rest.bind-address"), "{keys:?}");
    }

    #[test]
    fn malformed_files_are_named() {
        assert!(parse_config_yaml("- a\n- b\n").is_err());
        assert!(parse_config_yaml("key: [unclosed").is_err());
        let err = load_config_file(Path::new("/nonexistent/weir.yaml")).expect_err("missing").to_string();
        assert!(err.contains("/nonexistent/weir.yaml"), "{err}");
    }
}
