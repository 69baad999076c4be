//! [`RateLimiter`]: a token bucket that paces emission to a number of records per second.
//!
//! Pure logic: the current time is a parameter of every call, so it is tested by stepping time,
//! without sleeping. Tokens accrue continuously at the rate; the bucket holds at most
//! [`BURST`] worth of them (so a pause, e.g. under backpressure, is not followed by an unbounded
//! burst), and a grant waits until at least [`CHUNK`] worth (or what was asked for) is there, so
//! that a high rate is met with batches rather than with one record per poll.

use std::time::{Duration, Instant};

/// How much emission the bucket can hold back for a burst.
pub const BURST: Duration = Duration::from_millis(100);
/// The smallest grant worth a poll: this much emission, or one record, whichever is more.
pub const CHUNK: Duration = Duration::from_millis(1);

/// The answer to a request for records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Permit {
    /// Emit this many records now (never more than asked for).
    Granted(usize),
    /// Emit nothing; ask again after this long.
    Wait(Duration),
}

/// Paces emission to `rate` records per second.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    /// Records per second; positive and finite.
    rate: f64,
    /// Tokens available now (one token = one record).
    tokens: f64,
    /// When `tokens` was last brought up to date; `None` before the first request.
    last: Option<Instant>,
}

impl RateLimiter {
    /// A limiter of `per_second` records per second (callers validate that it is positive and
    /// finite). It starts with one chunk of tokens, so the first request is granted at once.
    pub fn new(per_second: f64) -> Self {
        let mut limiter = RateLimiter { rate: per_second, tokens: 0.0, last: None };
        limiter.tokens = limiter.chunk();
        limiter
    }

    /// The current rate in records per second.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Changes the rate from `now` on (tokens accrued so far at the old rate are kept).
    pub fn set_rate(&mut self, now: Instant, per_second: f64) {
        self.refill(now);
        self.rate = per_second;
        self.tokens = self.tokens.min(self.capacity());
    }

    /// Asks to emit up to `wanted` records at `now`.
    pub fn acquire(&mut self, now: Instant, wanted: usize) -> Permit {
        if wanted == 0 {
            return Permit::Granted(0);
        }
        self.refill(now);
        let needed = self.chunk().min(wanted as f64);
        if self.tokens >= needed {
            let granted = self.tokens.floor().min(wanted as f64);
            self.tokens -= granted;
            Permit::Granted(granted as usize)
        } else {
            Permit::Wait(Duration::from_secs_f64((needed - self.tokens) / self.rate))
        }
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity());
        }
        self.last = Some(self.last.map_or(now, |last| last.max(now)));
    }

    /// Whole records in one chunk: at least one.
    fn chunk(&self) -> f64 {
        (self.rate * CHUNK.as_secs_f64()).floor().max(1.0)
    }

    fn capacity(&self) -> f64 {
        (self.rate * BURST.as_secs_f64()).max(self.chunk())
    }
}
