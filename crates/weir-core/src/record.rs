//! A record: one value of a stream and its optional event timestamp.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// One element of data in a stream.
///
/// `timestamp` is the record's event time in milliseconds since the epoch, when a timestamp
/// assigner (or ingestion time) gave it one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record<T> {
    pub value: T,
    pub timestamp: Option<Timestamp>,
}

impl<T> Record<T> {
    /// A record without a timestamp.
    pub fn new(value: T) -> Self {
        Record { value, timestamp: None }
    }

    /// A record with an event timestamp.
    pub fn with_timestamp(value: T, timestamp: Timestamp) -> Self {
        Record { value, timestamp: Some(timestamp) }
    }

    /// The same timestamp on another value: what a one-to-one transformation produces.
    pub fn replace<U>(self, value: U) -> Record<U> {
        Record { value, timestamp: self.timestamp }
    }
}

/// Records travel in batches: one batch is the unit of hand-over between operators and subtasks.
pub type Batch<T> = Vec<Record<T>>;
