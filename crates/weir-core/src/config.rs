//! Configuration: string keys with Flink's names, typed options, and Flink's value formats.
//!
//! A [`Configuration`] is a flat map from keys such as `parallelism.default` to string values,
//! filled from a config file and `-D key=value` overrides (the loading is done by the runtime;
//! this module does no I/O). A [`ConfigOption`] reads one key with its type and default, and a
//! malformed value is an error that names the key, the value and what was expected.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// A flat set of `key → value` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Configuration {
    entries: BTreeMap<String, String>,
}

impl Configuration {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a key (later settings override earlier ones).
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.entries.insert(key.into(), value.into());
        self
    }

    /// The raw value of a key.
    pub fn get_raw(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Reads a typed option: its value if set and well-formed, its default if unset.
    pub fn get<T: Clone>(&self, option: &ConfigOption<T>) -> Result<T> {
        match self.get_raw(option.key) {
            None => Ok(option.default.clone()),
            Some(raw) => (option.parse)(raw.trim())
                .map_err(|expected| Error::Config(format!("'{}' has the value '{raw}', but {expected}", option.key))),
        }
    }

    /// Parses one `key=value` override as given to `-D`.
    pub fn set_override(&mut self, text: &str) -> Result<()> {
        let (key, value) = text
            .split_once('=')
            .ok_or_else(|| Error::Config(format!("'-D {text}' must have the form -D key=value")))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(Error::Config(format!("'-D {text}' has an empty key")));
        }
        self.set(key, value.trim());
        Ok(())
    }

    /// Copies every entry of `other` over this one.
    pub fn merge(&mut self, other: &Configuration) {
        for (k, v) in &other.entries {
            self.entries.insert(k.clone(), v.clone());
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// One typed configuration key with its default.
pub struct ConfigOption<T: 'static> {
    pub key: &'static str,
    pub default: T,
    pub description: &'static str,
    /// Parses a value; the error says what was expected ("expected a duration such as '100 ms'").
    pub parse: fn(&str) -> Result<T, String>,
}

impl<T: fmt::Debug> fmt::Debug for ConfigOption<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigOption").field("key", &self.key).field("default", &self.default).finish()
    }
}

/// Parses a positive integer.
pub fn parse_positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a positive whole number".into()),
    }
}

/// Parses `true`/`false`.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected 'true' or 'false'".into()),
    }
}

/// Parses a duration in Flink's format: a number and a unit, e.g. `100 ms`, `10s`, `1 min`, `2 h`.
/// A bare number means milliseconds, as in Flink.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let expected = || "expected a duration such as '100 ms', '10 s' or '1 min' (units: ms, s, min, h, d)".to_string();
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let amount: u64 = number.parse().map_err(|_| expected())?;
    let millis_per_unit: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "m" | "min" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        _ => return Err(expected()),
    };
    amount.checked_mul(millis_per_unit).map(Duration::from_millis).ok_or_else(expected)
}

/// Parses a memory size in Flink's format: `64 mb`, `1g`, `512kb`, or plain bytes.
pub fn parse_memory_size(text: &str) -> Result<u64, String> {
    let expected = || "expected a memory size such as '64 mb' or '1 gb' (units: b, kb, mb, gb, tb)".to_string();
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let amount: u64 = number.parse().map_err(|_| expected())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => 1 << 10,
        "m" | "mb" | "mebibytes" => 1 << 20,
        "g" | "gb" | "gibibytes" => 1 << 30,
        "t" | "tb" | "tebibytes" => 1 << 40,
        _ => return Err(expected()),
    };
    amount.checked_mul(factor).ok_or_else(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIMEOUT: ConfigOption<Duration> = ConfigOption {
        key: "execution.buffer-timeout.interval",
        default: Duration::from_millis(100),
        description: "",
        parse: parse_duration,
    };

    #[test]
    fn durations_in_flink_formats() {
        assert_eq!(parse_duration("100 ms"), Ok(Duration::from_millis(100)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1 min"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("250"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("ten seconds").is_err());
        assert!(parse_duration("10 parsecs").is_err());
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory_size("64 mb"), Ok(64 << 20));
        assert_eq!(parse_memory_size("1g"), Ok(1 << 30));
        assert!(parse_memory_size("lots").is_err());
    }

    #[test]
    fn a_bad_value_names_the_key_and_the_value() {
        let mut conf = Configuration::new();
        assert_eq!(conf.get(&TIMEOUT).expect("default"), Duration::from_millis(100));
        conf.set_override("execution.buffer-timeout.interval=soon").expect("well-formed override");
        let err = conf.get(&TIMEOUT).expect_err("malformed").to_string();
        assert!(err.contains("execution.buffer-timeout.interval") && err.contains("'soon'"), "{err}");
    }

    #[test]
    fn overrides_must_have_a_key_and_an_equals_sign() {
        let mut conf = Configuration::new();
        assert!(conf.set_override("parallelism.default").is_err());
        assert!(conf.set_override("=4").is_err());
        conf.set_override(" parallelism.default = 4 ").expect("ok");
        assert_eq!(conf.get_raw("parallelism.default"), Some("4"));
    }
}
