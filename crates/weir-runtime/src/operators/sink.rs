//! The sink operator: hands each batch to the subtask's [`SinkWriter`], passes checkpoints to its
//! two-phase-commit hooks, and finishes it when the input ends.

use std::sync::Arc;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::record::Batch;
use weir_core::sink::{Sink, SinkWriter};
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::{Error, Output, Result};

pub(crate) struct SinkOperator<T> {
    pub(crate) sink: Arc<dyn Sink<T>>,
    pub(crate) writer: Option<Box<dyn SinkWriter<T>>>,
}

impl<T: 'static> SinkOperator<T> {
    fn writer(&mut self) -> Result<&mut Box<dyn SinkWriter<T>>> {
        self.writer.as_mut().ok_or_else(|| Error::Internal(format!("sink {} used before on_start", self.sink.name())))
    }
}

impl<T: Send + 'static> OneInputOperator<T, ()> for SinkOperator<T> {
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.writer = Some(self.sink.create_writer(ctx)?);
        Ok(())
    }

    fn process_batch(&mut self, batch: Batch<T>, _out: &mut Output<()>) -> Result<()> {
        self.writer()?.write_batch(batch)
    }

    fn handle_watermark(&mut self, _watermark: weir_core::Watermark, _out: &mut Output<()>) -> Result<()> {
        Ok(())
    }

    fn on_end_of_input(&mut self, _out: &mut Output<()>) -> Result<()> {
        self.writer()?.finish()
    }

    /// The barrier: the writer pre-commits (two-phase commit) and returns its state.
    fn snapshot_state(&mut self, checkpoint: &CheckpointInfo, _out: &mut Output<()>) -> Result<Option<StateSnapshot>> {
        Ok(self.writer()?.snapshot_state(checkpoint)?.map(StateSnapshot::operator))
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        self.writer()?.notify_checkpoint_complete(id)
    }
}
