//! The sink traits: where a stream's records leave the job.
//!
//! A [`Sink`] is the description a job holds (a path, a format); on every parallel subtask the
//! runtime asks it for a [`SinkWriter`], which receives the records of that subtask. The writer
//! does its own I/O on the subtask's thread. (The two-phase-commit hooks for exactly-once sinks
//! come with checkpoints.)

use crate::error::Result;
use crate::operator::OperatorContext;
use crate::record::Batch;

/// A description of where records go; creates one writer per parallel subtask.
pub trait Sink<T>: Send + Sync + 'static {
    /// The sink's name, shown in the job graph (e.g. `Print`, `FileSink`).
    fn name(&self) -> &str;

    /// Creates the writer of one subtask.
    fn create_writer(&self, ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<T>>>;
}

/// Writes the records of one subtask.
pub trait SinkWriter<T>: Send {
    /// Writes a batch. May buffer.
    fn write_batch(&mut self, batch: Batch<T>) -> Result<()>;

    /// The input ended: write out everything buffered and make it durable.
    fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}
