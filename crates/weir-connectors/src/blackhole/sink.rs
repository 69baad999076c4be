//! [`BlackholeSink`]: drops every batch.

use weir_core::Result;
use weir_core::operator::OperatorContext;
use weir_core::record::Batch;
use weir_core::sink::{Sink, SinkWriter};

/// A sink that discards every record.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlackholeSink;

impl BlackholeSink {
    pub fn new() -> Self {
        BlackholeSink
    }
}

impl<T: 'static> Sink<T> for BlackholeSink {
    fn name(&self) -> &str {
        "Blackhole"
    }

    fn create_writer(&self, ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<T>>> {
        Ok(Box::new(BlackholeWriter { task: ctx.task_name(), dropped: 0 }))
    }
}

/// Drops one subtask's batches, counting their records.
pub(crate) struct BlackholeWriter {
    pub(crate) task: String,
    pub(crate) dropped: u64,
}

impl<T> SinkWriter<T> for BlackholeWriter {
    #[inline]
    fn write_batch(&mut self, batch: Batch<T>) -> Result<()> {
        self.dropped += batch.len() as u64;
        drop(batch);
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        tracing::debug!(task = %self.task, records = self.dropped, "blackhole sink dropped its input");
        Ok(())
    }
}
