//! The sink traits: where a stream's records leave the job.
//!
//! A [`Sink`] is the description a job holds (a path, a format); on every parallel subtask the
//! runtime asks it for a [`SinkWriter`], which receives the records of that subtask. The writer
//! does its own I/O on the subtask's thread.
//!
//! Exactly-once sinks commit in two phases (DESIGN §7): on a checkpoint barrier
//! [`SinkWriter::snapshot_state`] stages what was written (flushed and durable, but not visible)
//! and returns what is needed to commit or discard it after a failure; when the checkpoint
//! completes, [`SinkWriter::notify_checkpoint_complete`] makes it visible. A writer created for a
//! restored job finds its last snapshot in [`OperatorContext::restored`]: it commits what that
//! checkpoint staged and discards everything written after it.

use crate::error::Result;
use crate::operator::OperatorContext;
use crate::record::Batch;
use crate::snapshot::CheckpointInfo;

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

    /// Pre-commit on checkpoint barrier `checkpoint`: stage what was written since the last
    /// barrier, and return the writer's state for this checkpoint (`None`: it keeps none).
    fn snapshot_state(&mut self, _checkpoint: &CheckpointInfo) -> Result<Option<Vec<u8>>> {
        Ok(None)
    }

    /// Checkpoint `id` completed: make visible what was staged for it and before it.
    fn notify_checkpoint_complete(&mut self, _id: u64) -> Result<()> {
        Ok(())
    }
}
