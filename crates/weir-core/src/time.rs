//! Time: timestamps and watermarks, in milliseconds since the epoch as in Flink.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds since the Unix epoch.
pub type Timestamp = i64;

/// An assertion that no record with a timestamp at or below `self.0` will follow on this stream.
///
/// Watermarks flow in-band with the data and never go backwards. [`Watermark::MAX`] ends event
/// time: bounded sources emit it when they finish so every pending window and timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Watermark(pub Timestamp);

impl Watermark {
    /// The watermark before any was seen.
    pub const MIN: Watermark = Watermark(i64::MIN);
    /// The final watermark: the end of event time.
    pub const MAX: Watermark = Watermark(i64::MAX);

    pub fn timestamp(self) -> Timestamp {
        self.0
    }
}

impl fmt::Display for Watermark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Watermark::MIN => f.write_str("-inf"),
            Watermark::MAX => f.write_str("+inf"),
            Watermark(ts) => write!(f, "{ts}"),
        }
    }
}

/// Whether an input currently produces watermarks. An idle input is left out of the minimum
/// that forms an operator's watermark until it becomes active again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WatermarkStatus {
    Active,
    Idle,
}

/// Which clock something follows: a window assigner's windows, a timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimeDomain {
    /// The records' own timestamps: complete when the watermark passes.
    EventTime,
    /// The wall clock where the operator runs: complete when that clock passes.
    ProcessingTime,
}
