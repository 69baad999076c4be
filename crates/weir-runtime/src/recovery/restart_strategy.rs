//! Restart strategies: after a job fails, restart it (after how long?) or give up.
//!
//! Flink's four strategies with the semantics of Flink 1.19/1.20's `*RestartBackoffTimeStrategy`:
//! - `none`: never restart.
//! - `fixed-delay`: restart at most `attempts` times in the job's life, each after `delay`.
//! - `failure-rate`: restart after `delay` unless more than `max-failures-per-interval` failures
//!   fall within one `failure-rate-interval` (both ends inclusive); older failures are forgotten.
//! - `exponential-delay`: the n-th restart since the last reset (n from 0) waits
//!   `initial-backoff × backoff-multiplier^n`, shifted by a random jitter of at most
//!   ±`jitter-factor` of that, and clamped to [`initial-backoff`, `max-backoff`]. After
//!   `reset-backoff-threshold` of running without a failure the wait and the count start over;
//!   more than `attempts-before-reset-backoff` restarts without a reset fail the job. A failure
//!   while a restart is still pending is merged into it (one broken machine failing many tasks
//!   is one restart, not many).
//!
//! The caller passes time as millisecond [`Timestamp`]s of its own clock (any origin, as long as
//! it does not go backwards) and the jitter as a uniform random number in [0, 1), so the logic is
//! tested without sleeping or seeding a generator. Once a strategy gives up it keeps giving up:
//! the job has failed.

use crate::config::{
    EXPONENTIAL_DELAY_ATTEMPTS_BEFORE_RESET_BACKOFF, EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER,
    EXPONENTIAL_DELAY_INITIAL_BACKOFF, EXPONENTIAL_DELAY_JITTER_FACTOR, EXPONENTIAL_DELAY_MAX_BACKOFF,
    EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD, FAILURE_RATE_DELAY, FAILURE_RATE_INTERVAL,
    FAILURE_RATE_MAX_FAILURES_PER_INTERVAL, FIXED_DELAY_ATTEMPTS, FIXED_DELAY_DELAY, RESTART_STRATEGY_TYPE,
};
use crate::error::JobError;
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;
use weir_core::Timestamp;
use weir_core::config::{ConfigOption, Configuration};

/// `attempts-before-reset-backoff` at or above this (Flink's default, `Integer.MAX_VALUE`) is
/// shown as unlimited.
const UNLIMITED_ATTEMPTS: u32 = i32::MAX as u32;

/// The value of `restart-strategy.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartStrategyType {
    /// `none`, `off` or `disable`.
    None,
    /// `fixed-delay` or `fixeddelay`.
    FixedDelay,
    /// `failure-rate` or `failurerate`.
    FailureRate,
    /// `exponential-delay` or `exponentialdelay`.
    ExponentialDelay,
}

impl RestartStrategyType {
    /// Every accepted spelling, for error messages.
    pub const ACCEPTED: &'static str = "none (or off, disable), fixed-delay (or fixeddelay), failure-rate (or failurerate), exponential-delay (or exponentialdelay)";

    /// Reads a type by any of Flink's names (case-insensitive, as Flink does).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "none" | "off" | "disable" => Some(Self::None),
            "fixed-delay" | "fixeddelay" => Some(Self::FixedDelay),
            "failure-rate" | "failurerate" => Some(Self::FailureRate),
            "exponential-delay" | "exponentialdelay" => Some(Self::ExponentialDelay),
            _ => None,
        }
    }

    /// The main name.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::FixedDelay => "fixed-delay",
            Self::FailureRate => "failure-rate",
            Self::ExponentialDelay => "exponential-delay",
        }
    }
}

/// A restart strategy with its settings, as read from `restart-strategy.*`.
///
/// Values read by [`from_configuration`](Self::from_configuration) are checked as Flink checks
/// them; a strategy built directly from other values still never panics.
#[derive(Debug, Clone, PartialEq)]
pub enum RestartStrategyConfig {
    /// Never restart: the first failure fails the job.
    None,
    /// Restart at most `attempts` times in the job's life, each after `delay`.
    FixedDelay { attempts: u32, delay: Duration },
    /// Restart after `delay` unless more than `max_failures_per_interval` failures fall within
    /// one `interval`.
    FailureRate { max_failures_per_interval: u32, interval: Duration, delay: Duration },
    /// Waits growing from `initial_backoff` by `multiplier` up to `max_backoff`, with jitter;
    /// reset after `reset_threshold` of stable running; at most `attempts_before_reset`
    /// restarts between resets.
    ExponentialDelay {
        initial_backoff: Duration,
        max_backoff: Duration,
        multiplier: f64,
        reset_threshold: Duration,
        jitter_factor: f64,
        attempts_before_reset: u32,
    },
}

impl RestartStrategyConfig {
    /// Reads the strategy named by `restart-strategy.type` and its options. Unset, the type is
    /// `exponential-delay` (with its defaults) if checkpointing is enabled, else `none`, as in
    /// Flink. Only the chosen strategy's keys are read. Errors name the key and the value.
    pub fn from_configuration(conf: &Configuration, checkpointing_enabled: bool) -> Result<Self, JobError> {
        let kind = match get(conf, &RESTART_STRATEGY_TYPE)? {
            Some(kind) => kind,
            None if checkpointing_enabled => RestartStrategyType::ExponentialDelay,
            None => RestartStrategyType::None,
        };
        Ok(match kind {
            RestartStrategyType::None => Self::None,
            RestartStrategyType::FixedDelay => {
                Self::FixedDelay { attempts: get(conf, &FIXED_DELAY_ATTEMPTS)?, delay: get(conf, &FIXED_DELAY_DELAY)? }
            }
            RestartStrategyType::FailureRate => Self::FailureRate {
                max_failures_per_interval: get(conf, &FAILURE_RATE_MAX_FAILURES_PER_INTERVAL)?,
                interval: get(conf, &FAILURE_RATE_INTERVAL)?,
                delay: get(conf, &FAILURE_RATE_DELAY)?,
            },
            RestartStrategyType::ExponentialDelay => {
                let initial_backoff = get(conf, &EXPONENTIAL_DELAY_INITIAL_BACKOFF)?;
                let max_backoff = get(conf, &EXPONENTIAL_DELAY_MAX_BACKOFF)?;
                if initial_backoff > max_backoff {
                    return Err(JobError::Config(weir_core::Error::Config(format!(
                        "'{}' is {}, more than '{}' ({}); the initial backoff cannot exceed the maximum",
                        EXPONENTIAL_DELAY_INITIAL_BACKOFF.key,
                        format_duration(initial_backoff),
                        EXPONENTIAL_DELAY_MAX_BACKOFF.key,
                        format_duration(max_backoff),
                    ))));
                }
                Self::ExponentialDelay {
                    initial_backoff,
                    max_backoff,
                    multiplier: get(conf, &EXPONENTIAL_DELAY_BACKOFF_MULTIPLIER)?,
                    reset_threshold: get(conf, &EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD)?,
                    jitter_factor: get(conf, &EXPONENTIAL_DELAY_JITTER_FACTOR)?,
                    attempts_before_reset: get(conf, &EXPONENTIAL_DELAY_ATTEMPTS_BEFORE_RESET_BACKOFF)?,
                }
            }
        })
    }

    /// Which strategy this is.
    pub fn strategy_type(&self) -> RestartStrategyType {
        match self {
            Self::None => RestartStrategyType::None,
            Self::FixedDelay { .. } => RestartStrategyType::FixedDelay,
            Self::FailureRate { .. } => RestartStrategyType::FailureRate,
            Self::ExponentialDelay { .. } => RestartStrategyType::ExponentialDelay,
        }
    }
}

fn get<T: Clone>(conf: &Configuration, option: &ConfigOption<T>) -> Result<T, JobError> {
    conf.get(option).map_err(JobError::Config)
}

impl fmt::Display for RestartStrategyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => write!(f, "none (no restarts)"),
            Self::FixedDelay { attempts, delay } => {
                write!(f, "fixed-delay: {attempts} {}, {} apart", plural(*attempts, "attempt"), format_duration(*delay))
            }
            Self::FailureRate { max_failures_per_interval: max, interval, delay } => write!(
                f,
                "failure-rate: at most {max} {} per {}, {} apart",
                plural(*max, "failure"),
                format_duration(*interval),
                format_duration(*delay)
            ),
            Self::ExponentialDelay {
                initial_backoff,
                max_backoff,
                multiplier,
                reset_threshold,
                jitter_factor,
                attempts_before_reset,
            } => {
                write!(
                    f,
                    "exponential-delay: {} growing ×{multiplier} up to {}, jitter ±{jitter_factor}, reset after {} of stable running, ",
                    format_duration(*initial_backoff),
                    format_duration(*max_backoff),
                    format_duration(*reset_threshold),
                )?;
                if *attempts_before_reset >= UNLIMITED_ATTEMPTS {
                    write!(f, "unlimited attempts")
                } else {
                    write!(f, "{attempts_before_reset} {} before reset", plural(*attempts_before_reset, "attempt"))
                }
            }
        }
    }
}

/// What to do about a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestartDecision {
    /// Restart the job once `after` has passed. `attempt` is the count the strategy's limit
    /// applies to, this restart included: restarts so far (fixed-delay), failures within the
    /// current interval (failure-rate), restarts since the last reset (exponential-delay).
    Restart { after: Duration, attempt: u32 },
    /// Do not restart: the job has failed. `reason` says which limit was hit, with its key.
    GiveUp { reason: String },
}

/// One job's restart strategy and what it has counted so far. Fed failures
/// ([`on_failure`](Self::on_failure)) and "running again" notices
/// ([`on_running`](Self::on_running)); returns decisions the job manager executes.
#[derive(Debug, Clone)]
pub struct RestartStrategy {
    config: RestartStrategyConfig,
    /// The count `RestartDecision::Restart::attempt` reports (fixed-delay, exponential-delay).
    restarts: u32,
    /// failure-rate: times of the failures still within the interval, oldest first.
    recent_failures: VecDeque<Timestamp>,
    /// exponential-delay: when the pending (or last) restart is due.
    restart_at: Option<Timestamp>,
    /// exponential-delay: since when the job has been running, as reported by `on_running`.
    running_since: Option<Timestamp>,
    /// Set by the first `GiveUp`, returned for every later failure.
    gave_up: Option<String>,
}

impl RestartStrategy {
    /// A `jitter` argument that shifts nothing (the middle of [0, 1)).
    pub const NO_JITTER: f64 = 0.5;

    pub fn new(config: RestartStrategyConfig) -> Self {
        RestartStrategy {
            config,
            restarts: 0,
            recent_failures: VecDeque::new(),
            restart_at: None,
            running_since: None,
            gave_up: None,
        }
    }

    pub fn config(&self) -> &RestartStrategyConfig {
        &self.config
    }

    /// The job failed at `now_ms`. `jitter` is a uniform random number in [0, 1) (used by
    /// exponential-delay only; values outside are clamped, NaN counts as no jitter).
    pub fn on_failure(&mut self, now_ms: Timestamp, jitter: f64) -> RestartDecision {
        if let Some(reason) = &self.gave_up {
            return RestartDecision::GiveUp { reason: reason.clone() };
        }
        let decision = match self.config {
            RestartStrategyConfig::None => RestartDecision::GiveUp {
                reason: format!(
                    "restarts are disabled ({}: none, the default without checkpointing)",
                    RESTART_STRATEGY_TYPE.key
                ),
            },
            RestartStrategyConfig::FixedDelay { attempts, delay } => {
                self.restarts = self.restarts.saturating_add(1);
                if self.restarts > attempts {
                    RestartDecision::GiveUp {
                        reason: format!(
                            "fixed-delay: restarted {attempts} {} already ({}: {attempts})",
                            plural(attempts, "time"),
                            FIXED_DELAY_ATTEMPTS.key
                        ),
                    }
                } else {
                    RestartDecision::Restart { after: delay, attempt: self.restarts }
                }
            }
            RestartStrategyConfig::FailureRate { max_failures_per_interval: max, interval, delay } => {
                self.failure_rate(now_ms, max, interval, delay)
            }
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff,
                max_backoff,
                multiplier,
                reset_threshold,
                jitter_factor,
                attempts_before_reset,
            } => {
                let backoff = Backoff {
                    initial_ms: millis_u64(initial_backoff),
                    max_ms: millis_u64(max_backoff),
                    multiplier,
                    jitter_factor,
                };
                self.exponential_delay(now_ms, jitter, backoff, reset_threshold, attempts_before_reset)
            }
        };
        if let RestartDecision::GiveUp { reason } = &decision {
            self.gave_up = Some(reason.clone());
        }
        decision
    }

    /// The job is running (again) at `now_ms`. The first notice after a restart marks the start
    /// of stable running; once it has lasted `reset-backoff-threshold`, exponential-delay starts
    /// over (here, or at the next failure, whichever comes first). Without notices the stable
    /// running is counted from when the restart was due, as Flink does. The other strategies
    /// ignore it: Flink never resets fixed-delay's count, and failure-rate's window slides anyway.
    pub fn on_running(&mut self, now_ms: Timestamp) {
        let RestartStrategyConfig::ExponentialDelay { reset_threshold, .. } = self.config else { return };
        if self.gave_up.is_some() {
            return;
        }
        let since = *self.running_since.get_or_insert(now_ms);
        if now_ms.saturating_sub(since) >= millis(reset_threshold) {
            self.restarts = 0;
        }
    }

    /// A log line for a decision: `restarting in 1 s (fixed-delay, attempt 2 of 3)` or
    /// `not restarting: <reason>`.
    pub fn describe(&self, decision: &RestartDecision) -> String {
        let (after, attempt) = match decision {
            RestartDecision::Restart { after, attempt } => (after, attempt),
            RestartDecision::GiveUp { reason } => return format!("not restarting: {reason}"),
        };
        let context = match &self.config {
            RestartStrategyConfig::None => "none".to_string(),
            RestartStrategyConfig::FixedDelay { attempts, .. } => {
                format!("fixed-delay, attempt {attempt} of {attempts}")
            }
            RestartStrategyConfig::FailureRate { max_failures_per_interval, interval, .. } => format!(
                "failure-rate, failure {attempt} of at most {max_failures_per_interval} per {}",
                format_duration(*interval)
            ),
            RestartStrategyConfig::ExponentialDelay { attempts_before_reset, .. }
                if *attempts_before_reset >= UNLIMITED_ATTEMPTS =>
            {
                format!("exponential-delay, attempt {attempt}")
            }
            RestartStrategyConfig::ExponentialDelay { attempts_before_reset, .. } => {
                format!("exponential-delay, attempt {attempt} of {attempts_before_reset}")
            }
        };
        format!("restarting in {} ({context})", format_duration(*after))
    }

    fn failure_rate(&mut self, now: Timestamp, max: u32, interval: Duration, delay: Duration) -> RestartDecision {
        self.recent_failures.push_back(now);
        while let Some(&oldest) = self.recent_failures.front()
            && now.saturating_sub(oldest) > millis(interval)
        {
            self.recent_failures.pop_front();
        }
        let failures = u32::try_from(self.recent_failures.len()).unwrap_or(u32::MAX);
        if failures > max {
            return RestartDecision::GiveUp {
                reason: format!(
                    "failure-rate: {failures} failures within {} ({}: {max}, {}: {})",
                    format_duration(interval),
                    FAILURE_RATE_MAX_FAILURES_PER_INTERVAL.key,
                    FAILURE_RATE_INTERVAL.key,
                    format_duration(interval)
                ),
            };
        }
        RestartDecision::Restart { after: delay, attempt: failures }
    }

    fn exponential_delay(
        &mut self,
        now: Timestamp,
        jitter: f64,
        backoff: Backoff,
        reset_threshold: Duration,
        attempts_before_reset: u32,
    ) -> RestartDecision {
        // A failure while a restart is pending joins it: same attempt, the rest of the wait.
        if let Some(due) = self.restart_at
            && now <= due
        {
            let remaining = u64::try_from(due - now).unwrap_or(0);
            return RestartDecision::Restart { after: Duration::from_millis(remaining), attempt: self.restarts };
        }
        let stable_since = self.running_since.or(self.restart_at);
        if stable_since.is_none_or(|since| now.saturating_sub(since) >= millis(reset_threshold)) {
            self.restarts = 0;
        }
        let delay_ms = backoff.delay_ms(self.restarts, jitter);
        self.restarts = self.restarts.saturating_add(1);
        if self.restarts > attempts_before_reset {
            return RestartDecision::GiveUp {
                reason: format!(
                    "exponential-delay: restarted {attempts_before_reset} {} without {} of stable running ({}: {attempts_before_reset}, {}: {})",
                    plural(attempts_before_reset, "time"),
                    format_duration(reset_threshold),
                    EXPONENTIAL_DELAY_ATTEMPTS_BEFORE_RESET_BACKOFF.key,
                    EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD.key,
                    format_duration(reset_threshold)
                ),
            };
        }
        self.restart_at = Some(now.saturating_add(i64::try_from(delay_ms).unwrap_or(i64::MAX)));
        self.running_since = None;
        RestartDecision::Restart { after: Duration::from_millis(delay_ms), attempt: self.restarts }
    }
}

/// exponential-delay's wait computation.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    initial_ms: u64,
    max_ms: u64,
    multiplier: f64,
    jitter_factor: f64,
}

impl Backoff {
    /// The wait before restart number `n` (from 0) since the last reset, as Flink computes it:
    /// `base = ⌊initial × multiplier^n⌋`, `offset = ⌊base × jitter_factor⌋`, a uniform whole
    /// shift in [-offset, offset] picked by `jitter` ∈ [0, 1), the sum clamped to [initial, max].
    fn delay_ms(self, n: u32, jitter: f64) -> u64 {
        // Past 2^53 ms (285,000 years) f64 stops counting whole milliseconds; no maximum is that large.
        const LARGEST_EXACT: f64 = 9_007_199_254_740_992.0;
        let base = (self.initial_ms as f64 * self.multiplier.powf(f64::from(n))).min(LARGEST_EXACT).floor();
        let offset = (base * self.jitter_factor.clamp(0.0, 1.0)).floor();
        let u = if jitter.is_nan() { RestartStrategy::NO_JITTER } else { jitter.clamp(0.0, 1.0 - f64::EPSILON) };
        let shift = ((u * (2.0 * offset + 1.0)).floor() - offset).min(offset);
        // `as` saturates: NaN and negatives become 0, too-large values u64::MAX.
        let raw = (base + shift) as u64;
        raw.min(self.max_ms).max(self.initial_ms)
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn millis_u64(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn plural(n: u32, noun: &str) -> String {
    if n == 1 { noun.to_string() } else { format!("{noun}s") }
}

/// `500 ms`, `1.5 s`, `10 s`, `2 min`, `1 h`: the largest whole unit, as Flink writes durations.
fn format_duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    match ms {
        0 => "0 ms".to_string(),
        _ if ms.is_multiple_of(86_400_000) => format!("{} d", ms / 86_400_000),
        _ if ms.is_multiple_of(3_600_000) => format!("{} h", ms / 3_600_000),
        _ if ms.is_multiple_of(60_000) => format!("{} min", ms / 60_000),
        _ if ms.is_multiple_of(1_000) => format!("{} s", ms / 1_000),
        _ if ms > 1_000 => {
            let seconds = format!("{}.{:03}", ms / 1_000, ms % 1_000);
            format!("{} s", seconds.trim_end_matches('0'))
        }
        _ => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn restart(after_ms: u64, attempt: u32) -> RestartDecision {
        RestartDecision::Restart { after: Duration::from_millis(after_ms), attempt }
    }

    fn reason(decision: RestartDecision) -> String {
        match decision {
            RestartDecision::GiveUp { reason } => reason,
            other => panic!("expected GiveUp, got {other:?}"),
        }
    }

    fn exponential(initial_ms: u64, max_ms: u64, multiplier: f64, jitter_factor: f64) -> RestartStrategyConfig {
        RestartStrategyConfig::ExponentialDelay {
            initial_backoff: Duration::from_millis(initial_ms),
            max_backoff: Duration::from_millis(max_ms),
            multiplier,
            reset_threshold: Duration::from_secs(3600),
            jitter_factor,
            attempts_before_reset: UNLIMITED_ATTEMPTS,
        }
    }

    fn reset_after_a_minute(config: RestartStrategyConfig, attempts: u32) -> RestartStrategyConfig {
        match config {
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff, max_backoff, multiplier, jitter_factor, ..
            } => RestartStrategyConfig::ExponentialDelay {
                initial_backoff,
                max_backoff,
                multiplier,
                reset_threshold: Duration::from_secs(60),
                jitter_factor,
                attempts_before_reset: attempts,
            },
            other => other,
        }
    }

    fn after_ms(decision: &RestartDecision) -> i64 {
        match decision {
            RestartDecision::Restart { after, .. } => millis(*after),
            other => panic!("expected Restart, got {other:?}"),
        }
    }

    /// Fails `n` times, each failure 1 ms after the previous restart was due (no reset, no merge).
    fn delays_of_back_to_back_failures(strategy: &mut RestartStrategy, n: usize, jitter: f64) -> Vec<i64> {
        let mut now = 0;
        (0..n)
            .map(|_| {
                let delay = after_ms(&strategy.on_failure(now, jitter));
                now += delay + 1;
                delay
            })
            .collect()
    }

    fn conf(entries: &[(&str, &str)]) -> Configuration {
        let mut conf = Configuration::new();
        for (key, value) in entries {
            conf.set(*key, *value);
        }
        conf
    }

    fn parse(entries: &[(&str, &str)]) -> RestartStrategyConfig {
        RestartStrategyConfig::from_configuration(&conf(entries), false).expect("valid configuration")
    }

    fn parse_error(entries: &[(&str, &str)]) -> String {
        RestartStrategyConfig::from_configuration(&conf(entries), false).expect_err("invalid configuration").to_string()
    }

    // --- none ---

    #[test]
    fn none_gives_up_on_the_first_failure_and_stays_given_up() {
        let mut strategy = RestartStrategy::new(RestartStrategyConfig::None);
        let first = reason(strategy.on_failure(0, 0.5));
        assert!(first.contains("restart-strategy.type"), "{first}");
        assert_eq!(reason(strategy.on_failure(10_000, 0.5)), first);
    }

    // --- fixed-delay ---

    #[test]
    fn fixed_delay_restarts_attempts_times_then_gives_up() {
        let mut strategy = RestartStrategy::new(RestartStrategyConfig::FixedDelay { attempts: 3, delay: 10 * SECOND });
        assert_eq!(strategy.on_failure(0, 0.0), restart(10_000, 1));
        assert_eq!(strategy.on_failure(20_000, 0.9), restart(10_000, 2));
        strategy.on_running(30_000_000); // fixed-delay never resets its count (as in Flink)
        assert_eq!(strategy.on_failure(40_000_000, 0.5), restart(10_000, 3));
        let why = reason(strategy.on_failure(50_000_000, 0.5));
        assert!(why.contains("restart-strategy.fixed-delay.attempts: 3") && why.contains("fixed-delay"), "{why}");
        assert_eq!(reason(strategy.on_failure(60_000_000, 0.5)), why, "a failed job stays failed");
    }

    #[test]
    fn fixed_delay_with_zero_attempts_never_restarts() {
        let mut strategy = RestartStrategy::new(RestartStrategyConfig::FixedDelay { attempts: 0, delay: SECOND });
        assert!(reason(strategy.on_failure(0, 0.5)).contains("restart-strategy.fixed-delay.attempts: 0"));
    }

    // --- failure-rate ---

    fn failure_rate(max: u32, interval_ms: u64) -> RestartStrategy {
        RestartStrategy::new(RestartStrategyConfig::FailureRate {
            max_failures_per_interval: max,
            interval: Duration::from_millis(interval_ms),
            delay: SECOND,
        })
    }

    #[test]
    fn failure_rate_gives_up_when_one_failure_too_many_falls_in_the_interval() {
        let mut strategy = failure_rate(2, 10_000);
        assert_eq!(strategy.on_failure(0, 0.5), restart(1_000, 1));
        assert_eq!(strategy.on_failure(4_000, 0.5), restart(1_000, 2));
        // Both ends of the interval count, as in Flink: 0 and 10 000 are within 10 s of each other.
        let why = reason(strategy.on_failure(10_000, 0.5));
        assert!(why.contains("3 failures within 10 s"), "{why}");
        assert!(why.contains("restart-strategy.failure-rate.max-failures-per-interval: 2"), "{why}");
        assert!(why.contains("restart-strategy.failure-rate.failure-rate-interval: 10 s"), "{why}");
    }

    #[test]
    fn failure_rate_forgets_failures_older_than_the_interval() {
        let mut strategy = failure_rate(2, 10_000);
        assert_eq!(strategy.on_failure(0, 0.5), restart(1_000, 1));
        assert_eq!(strategy.on_failure(4_000, 0.5), restart(1_000, 2));
        // The failure at 0 is 10 001 ms old: forgotten, so this is the 2nd in the window.
        assert_eq!(strategy.on_failure(10_001, 0.5), restart(1_000, 2));
        assert_eq!(strategy.on_failure(14_001, 0.5), restart(1_000, 2));
        assert_eq!(strategy.on_failure(100_000, 0.5), restart(1_000, 1));
        assert!(matches!(strategy.on_failure(100_001, 0.5), RestartDecision::Restart { attempt: 2, .. }));
        assert!(matches!(strategy.on_failure(100_002, 0.5), RestartDecision::GiveUp { .. }));
    }

    #[test]
    fn failure_rate_with_flinks_defaults_allows_one_failure_per_minute() {
        let mut strategy = RestartStrategy::new(parse(&[("restart-strategy.type", "failure-rate")]));
        assert_eq!(strategy.on_failure(0, 0.5), restart(1_000, 1));
        assert_eq!(strategy.on_failure(60_001, 0.5), restart(1_000, 1));
        assert!(matches!(strategy.on_failure(120_001, 0.5), RestartDecision::GiveUp { .. }));
    }

    // --- exponential-delay ---

    #[test]
    fn exponential_delay_grows_by_the_multiplier_and_is_capped_at_the_maximum() {
        let mut strategy = RestartStrategy::new(exponential(1_000, 10_000, 2.0, 0.0));
        let delays = delays_of_back_to_back_failures(&mut strategy, 7, 0.5);
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
    }

    #[test]
    fn exponential_delay_with_flinks_defaults() {
        let mut strategy = RestartStrategy::new(
            RestartStrategyConfig::from_configuration(&Configuration::new(), true).expect("defaults"),
        );
        let delays = delays_of_back_to_back_failures(&mut strategy, 12, RestartStrategy::NO_JITTER);
        // 1 s × 1.5^n, whole milliseconds, up to 1 min.
        assert_eq!(delays, [1_000, 1_500, 2_250, 3_375, 5_062, 7_593, 11_390, 17_085, 25_628, 38_443, 57_665, 60_000]);
    }

    #[test]
    fn exponential_delay_resets_after_the_threshold_of_stable_running() {
        let config = reset_after_a_minute(exponential(1_000, 100_000, 2.0, 0.0), UNLIMITED_ATTEMPTS);
        // Without running notices, stable running counts from when the restart was due (Flink).
        let mut strategy = RestartStrategy::new(config.clone());
        assert_eq!(strategy.on_failure(0, 0.5), restart(1_000, 1)); // restart due at 1 000
        assert_eq!(strategy.on_failure(60_999, 0.5), restart(2_000, 2)); // 59 999 ms stable: no reset; due 62 999
        assert_eq!(strategy.on_failure(122_999, 0.5), restart(1_000, 1)); // 60 s stable: reset

        // With notices, from the first notice after the restart.
        let mut strategy = RestartStrategy::new(config.clone());
        assert_eq!(strategy.on_failure(0, 0.5), restart(1_000, 1));
        strategy.on_running(5_000);
        strategy.on_running(30_000); // later notices do not move the start
        assert_eq!(strategy.on_failure(64_999, 0.5), restart(2_000, 2)); // 59 999 ms since 5 000
        strategy.on_running(67_000);
        assert_eq!(strategy.on_failure(127_000, 0.5), restart(1_000, 1));

        // A notice past the threshold resets right away.
        let mut strategy = RestartStrategy::new(config);
        assert_eq!(strategy.on_failure(0, 0.5), restart(1_000, 1));
        assert_eq!(strategy.on_failure(1_001, 0.5), restart(2_000, 2));
        strategy.on_running(3_001);
        strategy.on_running(63_001);
        // The next failure is 1 ms later, yet the count has started over.
        assert_eq!(strategy.on_failure(63_002, 0.5), restart(1_000, 1));
    }

    #[test]
    fn exponential_delay_gives_up_after_attempts_before_reset_and_counts_anew_after_a_reset() {
        let config = reset_after_a_minute(exponential(1_000, 100_000, 2.0, 0.0), 2);
        let mut strategy = RestartStrategy::new(config.clone());
        assert_eq!(strategy.on_failure(0, 0.5), restart(1_000, 1));
        assert_eq!(strategy.on_failure(2_000, 0.5), restart(2_000, 2));
        assert_eq!(strategy.on_failure(100_000, 0.5), restart(1_000, 1), "reset: counting starts over");
        assert_eq!(strategy.on_failure(102_000, 0.5), restart(2_000, 2));
        let why = reason(strategy.on_failure(105_000, 0.5));
        assert!(why.contains("restart-strategy.exponential-delay.attempts-before-reset-backoff: 2"), "{why}");
        assert!(why.contains("restart-strategy.exponential-delay.reset-backoff-threshold: 1 min"), "{why}");
        strategy.on_running(1_000_000);
        assert_eq!(reason(strategy.on_failure(2_000_000, 0.5)), why, "a failed job stays failed");
    }

    #[test]
    fn exponential_delay_merges_failures_while_a_restart_is_pending() {
        let mut strategy = RestartStrategy::new(exponential(1_000, 100_000, 2.0, 0.0));
        assert_eq!(strategy.on_failure(0, 0.5), restart(1_000, 1));
        assert_eq!(strategy.on_failure(1_001, 0.5), restart(2_000, 2)); // due at 3 001
        assert_eq!(strategy.on_failure(1_500, 0.5), restart(1_501, 2), "same attempt, the rest of the wait");
        assert_eq!(strategy.on_failure(3_001, 0.5), restart(0, 2), "due now: still the same restart");
        assert_eq!(strategy.on_failure(3_002, 0.5), restart(4_000, 3));
    }

    #[test]
    fn jitter_shifts_by_at_most_the_factor_and_stays_within_initial_and_max() {
        let backoff = Backoff { initial_ms: 1_000, max_ms: 60_000, multiplier: 10.0, jitter_factor: 0.1 };
        // n = 1: base 10 000, offset 1 000, shifts -1 000 ..= 1 000 spread uniformly over [0, 1).
        assert_eq!(backoff.delay_ms(1, 0.0), 9_000);
        assert_eq!(backoff.delay_ms(1, 0.5), 10_000);
        assert_eq!(backoff.delay_ms(1, 0.999_999_9), 11_000);
        assert_eq!(backoff.delay_ms(1, 1.0 - f64::EPSILON), 11_000);
        for i in 0..=1_000 {
            let delay = backoff.delay_ms(1, f64::from(i) / 1_001.0);
            assert!((9_000..=11_000).contains(&delay), "{delay}");
        }
        // Clamped below at the initial backoff (n = 0: 900 ms → 1 s) and above at the maximum.
        assert_eq!(backoff.delay_ms(0, 0.0), 1_000);
        assert_eq!(backoff.delay_ms(0, 0.999), 1_100);
        assert_eq!(backoff.delay_ms(2, 0.999), 60_000);
        assert_eq!(backoff.delay_ms(2, 0.0), 60_000, "base 100 s − 10 s is still above the maximum");
        // Inputs outside [0, 1) are clamped; NaN is no jitter; huge exponents do not overflow.
        assert_eq!(backoff.delay_ms(1, -3.0), 9_000);
        assert_eq!(backoff.delay_ms(1, 7.0), 11_000);
        assert_eq!(backoff.delay_ms(1, f64::NAN), 10_000);
        assert_eq!(backoff.delay_ms(u32::MAX, 0.0), 60_000);
    }

    proptest! {
        #[test]
        fn exponential_delay_stays_within_bounds_and_grows_without_jitter(
            initial_ms in 1u64..10_000,
            extra_ms in 0u64..1_000_000,
            multiplier in 1.001f64..5.0,
            jitter_factor in 0.0f64..=1.0,
            steps in proptest::collection::vec((0.0f64..1.0, 1i64..100_000, any::<bool>()), 1..60),
        ) {
            let max_ms = initial_ms + extra_ms;
            let jittered = exponential(initial_ms, max_ms, multiplier, jitter_factor);
            let steady = exponential(initial_ms, max_ms, multiplier, 0.0);
            let (mut with_jitter, mut without) = (RestartStrategy::new(jittered), RestartStrategy::new(steady));
            let (mut now_j, mut now_s, mut previous) = (0i64, 0i64, 0i64);
            for (jitter, gap, report_running) in steps {
                let delay = after_ms(&with_jitter.on_failure(now_j, jitter));
                prop_assert!(delay as f64 <= max_ms as f64 * (1.0 + jitter_factor));
                prop_assert!(delay >= initial_ms as i64 && delay <= max_ms as i64);
                now_j += delay + gap;
                if report_running {
                    with_jitter.on_running(now_j - gap / 2);
                }

                // Failures right after each restart, never an hour of stable running: no reset.
                let delay = after_ms(&without.on_failure(now_s, jitter));
                prop_assert!(delay >= previous, "{delay} < {previous}");
                prop_assert!(delay <= max_ms as i64);
                previous = delay;
                now_s += delay + gap;
            }
        }
    }

    // --- configuration ---

    #[test]
    fn the_default_depends_on_checkpointing_as_in_flink() {
        let empty = Configuration::new();
        assert_eq!(
            RestartStrategyConfig::from_configuration(&empty, false).expect("valid"),
            RestartStrategyConfig::None
        );
        assert_eq!(
            RestartStrategyConfig::from_configuration(&empty, true).expect("valid"),
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff: SECOND,
                max_backoff: Duration::from_secs(60),
                multiplier: 1.5,
                reset_threshold: Duration::from_secs(3600),
                jitter_factor: 0.1,
                attempts_before_reset: 2_147_483_647,
            }
        );
        // An explicit type wins over the checkpointing default.
        let none = conf(&[("restart-strategy.type", "none")]);
        assert_eq!(RestartStrategyConfig::from_configuration(&none, true).expect("valid"), RestartStrategyConfig::None);
    }

    #[test]
    fn every_type_name_and_alias_is_accepted() {
        for (name, expected) in [
            ("none", RestartStrategyType::None),
            ("off", RestartStrategyType::None),
            ("disable", RestartStrategyType::None),
            ("fixed-delay", RestartStrategyType::FixedDelay),
            ("fixeddelay", RestartStrategyType::FixedDelay),
            ("failure-rate", RestartStrategyType::FailureRate),
            ("failurerate", RestartStrategyType::FailureRate),
            ("exponential-delay", RestartStrategyType::ExponentialDelay),
            ("exponentialdelay", RestartStrategyType::ExponentialDelay),
            ("Fixed-Delay", RestartStrategyType::FixedDelay),
        ] {
            assert_eq!(parse(&[("restart-strategy.type", name)]).strategy_type(), expected, "{name}");
        }
    }

    #[test]
    fn defaults_of_fixed_delay_and_failure_rate() {
        assert_eq!(
            parse(&[("restart-strategy.type", "fixed-delay")]),
            RestartStrategyConfig::FixedDelay { attempts: 1, delay: SECOND }
        );
        assert_eq!(
            parse(&[("restart-strategy.type", "failure-rate")]),
            RestartStrategyConfig::FailureRate {
                max_failures_per_interval: 1,
                interval: Duration::from_secs(60),
                delay: SECOND
            }
        );
    }

    #[test]
    fn every_key_is_read_in_flinks_formats() {
        assert_eq!(
            parse(&[
                ("restart-strategy.type", "fixed-delay"),
                ("restart-strategy.fixed-delay.attempts", "3"),
                ("restart-strategy.fixed-delay.delay", "10 s"),
            ]),
            RestartStrategyConfig::FixedDelay { attempts: 3, delay: 10 * SECOND }
        );
        assert_eq!(
            parse(&[
                ("restart-strategy.type", "failure-rate"),
                ("restart-strategy.failure-rate.max-failures-per-interval", "5"),
                ("restart-strategy.failure-rate.failure-rate-interval", "5min"),
                ("restart-strategy.failure-rate.delay", "500ms"),
            ]),
            RestartStrategyConfig::FailureRate {
                max_failures_per_interval: 5,
                interval: Duration::from_secs(300),
                delay: Duration::from_millis(500)
            }
        );
        assert_eq!(
            parse(&[
                ("restart-strategy.type", "exponential-delay"),
                ("restart-strategy.exponential-delay.initial-backoff", "500 ms"),
                ("restart-strategy.exponential-delay.max-backoff", "2 min"),
                ("restart-strategy.exponential-delay.backoff-multiplier", "2.0"),
                ("restart-strategy.exponential-delay.reset-backoff-threshold", "10min"),
                ("restart-strategy.exponential-delay.jitter-factor", "0"),
                ("restart-strategy.exponential-delay.attempts-before-reset-backoff", "10"),
            ]),
            RestartStrategyConfig::ExponentialDelay {
                initial_backoff: Duration::from_millis(500),
                max_backoff: Duration::from_secs(120),
                multiplier: 2.0,
                reset_threshold: Duration::from_secs(600),
                jitter_factor: 0.0,
                attempts_before_reset: 10,
            }
        );
        // Nested YAML, as in Flink's config.yaml.
        let yaml = "restart-strategy:\n  type: fixed-delay\n  fixed-delay:\n    attempts: 4\n    delay: 1 min\n";
        let conf = crate::config::parse_config_yaml(yaml).expect("yaml");
        assert_eq!(
            RestartStrategyConfig::from_configuration(&conf, false).expect("valid"),
            RestartStrategyConfig::FixedDelay { attempts: 4, delay: Duration::from_secs(60) }
        );
    }

    #[test]
    fn only_the_chosen_strategys_keys_are_read() {
        let config =
            parse(&[("restart-strategy.type", "fixed-delay"), ("restart-strategy.failure-rate.delay", "soon")]);
        assert_eq!(config.strategy_type(), RestartStrategyType::FixedDelay);
    }

    #[test]
    fn bad_values_name_the_key_and_the_value() {
        let err = parse_error(&[("restart-strategy.type", "sometimes")]);
        assert!(err.contains("restart-strategy.type") && err.contains("'sometimes'"), "{err}");
        for name in ["none", "off", "disable", "fixed-delay", "fixeddelay", "failure-rate", "exponentialdelay"] {
            assert!(err.contains(name), "{name} missing from: {err}");
        }
        for (key, value, expected) in [
            ("restart-strategy.fixed-delay.attempts", "-1", "whole number"),
            ("restart-strategy.fixed-delay.delay", "soon", "duration"),
            ("restart-strategy.failure-rate.max-failures-per-interval", "0", "positive"),
            ("restart-strategy.failure-rate.failure-rate-interval", "0 s", "at least 1 ms"),
            ("restart-strategy.failure-rate.delay", "1 fortnight", "duration"),
            ("restart-strategy.exponential-delay.initial-backoff", "0", "at least 1 ms"),
            ("restart-strategy.exponential-delay.max-backoff", "later", "duration"),
            ("restart-strategy.exponential-delay.backoff-multiplier", "1.0", "greater than 1"),
            ("restart-strategy.exponential-delay.backoff-multiplier", "NaN", "greater than 1"),
            ("restart-strategy.exponential-delay.reset-backoff-threshold", "0 ms", "at least 1 ms"),
            ("restart-strategy.exponential-delay.jitter-factor", "1.5", "from 0 to 1"),
            ("restart-strategy.exponential-delay.jitter-factor", "-0.1", "from 0 to 1"),
            ("restart-strategy.exponential-delay.attempts-before-reset-backoff", "0", "positive"),
        ] {
            let strategy = key.split('.').nth(1).expect("restart-strategy.<type>.<option>");
            let err = parse_error(&[("restart-strategy.type", strategy), (key, value)]);
            assert!(err.contains(key) && err.contains(&format!("'{value}'")) && err.contains(expected), "{err}");
        }
        let err = parse_error(&[
            ("restart-strategy.type", "exponential-delay"),
            ("restart-strategy.exponential-delay.initial-backoff", "2 min"),
        ]);
        assert!(err.contains("initial-backoff' is 2 min") && err.contains("max-backoff' (1 min)"), "{err}");
    }

    #[test]
    fn every_key_is_listed_for_weir_config() {
        let listed: Vec<&str> = crate::config::describe_options().into_iter().map(|(key, _, _)| key).collect();
        for key in [
            "restart-strategy.type",
            "restart-strategy.fixed-delay.attempts",
            "restart-strategy.fixed-delay.delay",
            "restart-strategy.failure-rate.max-failures-per-interval",
            "restart-strategy.failure-rate.failure-rate-interval",
            "restart-strategy.failure-rate.delay",
            "restart-strategy.exponential-delay.initial-backoff",
            "restart-strategy.exponential-delay.max-backoff",
            "restart-strategy.exponential-delay.backoff-multiplier",
            "restart-strategy.exponential-delay.reset-backoff-threshold",
            "restart-strategy.exponential-delay.jitter-factor",
            "restart-strategy.exponential-delay.attempts-before-reset-backoff",
        ] {
            assert!(listed.contains(&key), "{key}");
        }
    }

    // --- log lines ---

    #[test]
    fn log_lines() {
        let mut strategy = RestartStrategy::new(parse(&[
            ("restart-strategy.type", "fixed-delay"),
            ("restart-strategy.fixed-delay.attempts", "3"),
        ]));
        assert_eq!(strategy.config().to_string(), "fixed-delay: 3 attempts, 1 s apart");
        let _first = strategy.on_failure(0, 0.5);
        let second = strategy.on_failure(5_000, 0.5);
        assert_eq!(strategy.describe(&second), "restarting in 1 s (fixed-delay, attempt 2 of 3)");
        let _third = strategy.on_failure(10_000, 0.5);
        let given_up = strategy.on_failure(15_000, 0.5);
        assert!(strategy.describe(&given_up).starts_with("not restarting: fixed-delay: restarted 3 times already"));

        let mut strategy = RestartStrategy::new(parse(&[("restart-strategy.type", "failure-rate")]));
        assert_eq!(strategy.config().to_string(), "failure-rate: at most 1 failure per 1 min, 1 s apart");
        let first = strategy.on_failure(0, 0.5);
        assert_eq!(strategy.describe(&first), "restarting in 1 s (failure-rate, failure 1 of at most 1 per 1 min)");

        let mut strategy = RestartStrategy::new(
            RestartStrategyConfig::from_configuration(&Configuration::new(), true).expect("valid"),
        );
        assert_eq!(
            strategy.config().to_string(),
            "exponential-delay: 1 s growing ×1.5 up to 1 min, jitter ±0.1, reset after 1 h of stable running, unlimited attempts"
        );
        let _first = strategy.on_failure(0, RestartStrategy::NO_JITTER);
        let second = strategy.on_failure(1_001, RestartStrategy::NO_JITTER);
        assert_eq!(strategy.describe(&second), "restarting in 1.5 s (exponential-delay, attempt 2)");

        assert_eq!(RestartStrategyConfig::None.to_string(), "none (no restarts)");
        assert_eq!(format_duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(format_duration(Duration::from_millis(61_250)), "61.25 s");
        assert_eq!(format_duration(Duration::from_secs(7_200)), "2 h");
    }
}
