//! The runtime's configuration options (Flink's key names where Flink has the setting) and
//! loading a configuration file.
//!
//! The file is YAML, nested or flat, like Flink's `config.yaml`: `parallelism: {default: 4}` and
//! `parallelism.default: 4` mean the same. Values are read as strings and parsed by the option
//! that uses them, so a malformed value is reported with its key.

use crate::error::JobError;
use std::path::Path;
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
        (PROGRESS.key, "auto".into(), PROGRESS.description),
        (PROGRESS_INTERVAL.key, "1 s".into(), PROGRESS_INTERVAL.description),
    ]
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
    fn malformed_files_are_named() {
        assert!(parse_config_yaml("- a\n- b\n").is_err());
        assert!(parse_config_yaml("key: [unclosed").is_err());
        let err = load_config_file(Path::new("/nonexistent/weir.yaml")).expect_err("missing").to_string();
        assert!(err.contains("/nonexistent/weir.yaml"), "{err}");
    }
}
