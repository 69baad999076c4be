//! Operators with their types erased, so that a task can drive a chain of operators whose
//! types only the graph builder knew.
//!
//! [`OneInput`] and [`TwoInput`] wrap the typed operator traits of `weir-core`; each keeps the
//! operator's typed [`Output`] and hands what the operator emitted, in order, to the next element
//! of the chain. They also count records in and out.

use super::element::{AnyBatch, Emit, downcast_batch};
use super::metrics::OperatorMetrics;
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::operator::{InputSide, OneInputOperator, OperatorContext, TwoInputOperator};
use weir_core::output::{Emitted, Output};
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::time::WatermarkStatus;
use weir_core::{Data, Result, Timestamp, Watermark};

/// An operator as the chain sees it.
pub(crate) trait ErasedOperator: Send {
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()>;
    fn process_batch(&mut self, side: InputSide, batch: AnyBatch, emit: &mut dyn Emit) -> Result<()>;
    fn handle_watermark(&mut self, watermark: Watermark, emit: &mut dyn Emit) -> Result<()>;
    /// The input went idle or active: the operator emits what it held back, then the status.
    fn handle_watermark_status(&mut self, status: WatermarkStatus, emit: &mut dyn Emit) -> Result<()>;
    fn on_end_of_input(&mut self, side: InputSide, emit: &mut dyn Emit) -> Result<()>;
    fn on_close(&mut self) -> Result<()>;
    /// When the operator next wants `on_processing_time`.
    fn next_processing_time(&self) -> Option<Timestamp>;
    fn on_processing_time(&mut self, now: Timestamp, emit: &mut dyn Emit) -> Result<()>;
    /// The synchronous part of a snapshot; what the operator emits goes downstream first.
    fn snapshot_state(&mut self, info: &CheckpointInfo, emit: &mut dyn Emit) -> Result<Option<StateSnapshot>>;
    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()>;
    fn notify_checkpoint_aborted(&mut self, id: u64) -> Result<()>;
    /// How many inputs the operator has (1 or 2).
    fn input_count(&self) -> usize;
    fn attach_metrics(&mut self, metrics: Arc<OperatorMetrics>);
}

/// Creates one instance of an operator per subtask.
pub(crate) type OperatorFactory = Arc<dyn Fn() -> Box<dyn ErasedOperator> + Send + Sync>;

/// Hands everything in `output` to `emit`, counting records.
fn drain<T: Data>(output: &mut Output<T>, metrics: &OperatorMetrics, emit: &mut dyn Emit) -> Result<()> {
    while let Some(element) = output.pop() {
        match element {
            Emitted::Batch(batch) => {
                metrics.add_out(batch.len());
                emit.batch(Box::new(batch))?;
            }
            Emitted::Watermark(watermark) => emit.watermark(watermark)?,
            Emitted::WatermarkStatus(status) => emit.watermark_status(status)?,
            Emitted::Side { tag, batch } => emit.side_batch(&tag, batch)?,
        }
    }
    Ok(())
}

/// A one-input operator, erased.
pub(crate) struct OneInput<O, In, Out> {
    operator: O,
    output: Output<Out>,
    metrics: Arc<OperatorMetrics>,
    name: String,
    _input: PhantomData<fn(In)>,
}

impl<O, In, Out> OneInput<O, In, Out>
where
    O: OneInputOperator<In, Out> + 'static,
    In: Data,
    Out: Data,
{
    pub(crate) fn boxed(operator: O) -> Box<dyn ErasedOperator> {
        Box::new(OneInput {
            operator,
            output: Output::new(),
            metrics: Arc::default(),
            name: String::new(),
            _input: PhantomData,
        })
    }
}

impl<O, In, Out> ErasedOperator for OneInput<O, In, Out>
where
    O: OneInputOperator<In, Out> + 'static,
    In: Data,
    Out: Data,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.name = ctx.task_name();
        self.operator.on_start(ctx)
    }

    fn process_batch(&mut self, _side: InputSide, batch: AnyBatch, emit: &mut dyn Emit) -> Result<()> {
        let batch = downcast_batch::<In>(batch, &self.name)?;
        self.metrics.add_in(batch.len());
        self.operator.process_batch(batch, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)
    }

    fn handle_watermark(&mut self, watermark: Watermark, emit: &mut dyn Emit) -> Result<()> {
        self.operator.handle_watermark(watermark, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)
    }

    fn handle_watermark_status(&mut self, status: WatermarkStatus, emit: &mut dyn Emit) -> Result<()> {
        self.operator.handle_watermark_status(status, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)
    }

    fn on_end_of_input(&mut self, _side: InputSide, emit: &mut dyn Emit) -> Result<()> {
        self.operator.on_end_of_input(&mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)
    }

    fn on_close(&mut self) -> Result<()> {
        self.operator.on_close()
    }

    fn next_processing_time(&self) -> Option<Timestamp> {
        self.operator.next_processing_time()
    }

    fn on_processing_time(&mut self, now: Timestamp, emit: &mut dyn Emit) -> Result<()> {
        self.operator.on_processing_time(now, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)
    }

    fn snapshot_state(&mut self, info: &CheckpointInfo, emit: &mut dyn Emit) -> Result<Option<StateSnapshot>> {
        let snapshot = self.operator.snapshot_state(info, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)?;
        Ok(snapshot)
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        self.operator.notify_checkpoint_complete(id)
    }

    fn notify_checkpoint_aborted(&mut self, id: u64) -> Result<()> {
        self.operator.notify_checkpoint_aborted(id)
    }

    fn input_count(&self) -> usize {
        1
    }

    fn attach_metrics(&mut self, metrics: Arc<OperatorMetrics>) {
        self.metrics = metrics;
    }
}

/// A two-input operator, erased.
pub(crate) struct TwoInput<O, In1, In2, Out> {
    operator: O,
    output: Output<Out>,
    metrics: Arc<OperatorMetrics>,
    name: String,
    _inputs: PhantomData<fn(In1, In2)>,
}

impl<O, In1, In2, Out> TwoInput<O, In1, In2, Out>
where
    O: TwoInputOperator<In1, In2, Out> + 'static,
    In1: Data,
    In2: Data,
    Out: Data,
{
    pub(crate) fn boxed(operator: O) -> Box<dyn ErasedOperator> {
        Box::new(TwoInput {
            operator,
            output: Output::new(),
            metrics: Arc::default(),
            name: String::new(),
            _inputs: PhantomData,
        })
    }
}

impl<O, In1, In2, Out> ErasedOperator for TwoInput<O, In1, In2, Out>
where
    O: TwoInputOperator<In1, In2, Out> + 'static,
    In1: Data,
    In2: Data,
    Out: Data,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.name = ctx.task_name();
        self.operator.on_start(ctx)
    }

    fn process_batch(&mut self, side: InputSide, batch: AnyBatch, emit: &mut dyn Emit) -> Result<()> {
        match side {
            InputSide::First => {
                let batch = downcast_batch::<In1>(batch, &self.name)?;
                self.metrics.add_in(batch.len());
                self.operator.process_batch1(batch, &mut self.output)?;
            }
            InputSide::Second => {
                let batch = downcast_batch::<In2>(batch, &self.name)?;
                self.metrics.add_in(batch.len());
                self.operator.process_batch2(batch, &mut self.output)?;
            }
        }
        drain(&mut self.output, &self.metrics, emit)
    }

    fn handle_watermark(&mut self, watermark: Watermark, emit: &mut dyn Emit) -> Result<()> {
        self.operator.handle_watermark(watermark, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)
    }

    /// Two-input operators hold nothing back for a status: it passes on.
    fn handle_watermark_status(&mut self, status: WatermarkStatus, emit: &mut dyn Emit) -> Result<()> {
        emit.watermark_status(status)
    }

    fn on_end_of_input(&mut self, side: InputSide, emit: &mut dyn Emit) -> Result<()> {
        self.operator.on_end_of_input(side, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)
    }

    fn on_close(&mut self) -> Result<()> {
        self.operator.on_close()
    }

    fn next_processing_time(&self) -> Option<Timestamp> {
        self.operator.next_processing_time()
    }

    fn on_processing_time(&mut self, now: Timestamp, emit: &mut dyn Emit) -> Result<()> {
        self.operator.on_processing_time(now, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)
    }

    fn snapshot_state(&mut self, info: &CheckpointInfo, emit: &mut dyn Emit) -> Result<Option<StateSnapshot>> {
        let snapshot = self.operator.snapshot_state(info, &mut self.output)?;
        drain(&mut self.output, &self.metrics, emit)?;
        Ok(snapshot)
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        self.operator.notify_checkpoint_complete(id)
    }

    fn notify_checkpoint_aborted(&mut self, id: u64) -> Result<()> {
        self.operator.notify_checkpoint_aborted(id)
    }

    fn input_count(&self) -> usize {
        2
    }

    fn attach_metrics(&mut self, metrics: Arc<OperatorMetrics>) {
        self.metrics = metrics;
    }
}
