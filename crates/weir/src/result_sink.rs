//! [`ResultSink`]: how a built-in job hands its (small) answer back to the command that ran it.
//!
//! The sink is its own handle: give one clone to the job, keep the other, and read
//! [`ResultSink::take`] after `execute` returns. Every subtask appends to the same list, so the
//! order across subtasks is unspecified; jobs sort what they read.
//!
//! It is **not** a general collecting sink: everything stays in memory, so jobs only send it
//! their final, already reduced answer (a top 10, not every record). Tests use `weir-testkit`'s
//! `CollectSink` instead. It does no I/O.

use std::sync::{Arc, Mutex, PoisonError};
use weir_core::Result;
use weir_core::operator::OperatorContext;
use weir_core::record::Batch;
use weir_core::sink::{Sink, SinkWriter};

/// A sink that keeps the values it receives, readable after the job; see the module docs.
#[derive(Debug)]
pub struct ResultSink<T> {
    values: Arc<Mutex<Vec<T>>>,
}

impl<T> Clone for ResultSink<T> {
    fn clone(&self) -> Self {
        ResultSink { values: Arc::clone(&self.values) }
    }
}

impl<T> Default for ResultSink<T> {
    fn default() -> Self {
        ResultSink { values: Arc::new(Mutex::new(Vec::new())) }
    }
}

impl<T> ResultSink<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything received so far, leaving the sink empty. A writer that panicked while holding
    /// the lock has already failed the job; what it left is returned all the same.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.values.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<T: Send + 'static> Sink<T> for ResultSink<T> {
    fn name(&self) -> &str {
        "Result"
    }

    fn create_writer(&self, _ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<T>>> {
        Ok(Box::new(ResultWriter { sink: self.clone() }))
    }
}

struct ResultWriter<T> {
    sink: ResultSink<T>,
}

impl<T: Send> SinkWriter<T> for ResultWriter<T> {
    fn write_batch(&mut self, batch: Batch<T>) -> Result<()> {
        let mut values = self.sink.values.lock().unwrap_or_else(PoisonError::into_inner);
        values.extend(batch.into_iter().map(|record| record.value));
        Ok(())
    }
}
