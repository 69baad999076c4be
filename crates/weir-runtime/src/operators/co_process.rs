//! Two-input operators for `connect`: a [`CoProcessFunction`] on connected streams, with the
//! subtask's operator state, and a [`KeyedCoProcessFunction`] on connected keyed streams, whose
//! two inputs share keyed state.

use super::keyed::{KeySelector, KeyedBackend};
use super::operator_state;
use crate::api::functions::{CoProcessFunction, Collector, InitContext, KeyedCoProcessFunction, ProcessContext};
use std::marker::PhantomData;
use weir_core::operator::{InputSide, OperatorContext, TwoInputOperator};
use weir_core::record::Batch;
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::{Key, Output, Result, Timestamp, Watermark};
use weir_state::OperatorStateBackend;

pub(crate) struct CoProcessOperator<F, In1, In2, Out> {
    function: F,
    state: OperatorStateBackend,
    _types: PhantomData<fn(In1, In2) -> Out>,
}

impl<F, In1, In2, Out> CoProcessOperator<F, In1, In2, Out> {
    pub(crate) fn new(function: F) -> Self {
        CoProcessOperator { function, state: OperatorStateBackend::new(), _types: PhantomData }
    }
}

impl<F, In1, In2, Out> TwoInputOperator<In1, In2, Out> for CoProcessOperator<F, In1, In2, Out>
where
    F: CoProcessFunction<In1, In2, Out>,
    In1: Send,
    In2: Send,
    Out: Send,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.state = operator_state::start(ctx)?;
        self.function.initialize_state(&mut InitContext { state: &mut self.state, operator: ctx })?;
        self.function.open(ctx)
    }

    fn snapshot_state(
        &mut self,
        _checkpoint: &CheckpointInfo,
        _out: &mut Output<Out>,
    ) -> Result<Option<StateSnapshot>> {
        operator_state::snapshot(&self.state)
    }

    fn process_batch1(&mut self, batch: Batch<In1>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = ProcessContext {
                emit: Collector { out: &mut *out, timestamp: record.timestamp },
                state: &mut self.state,
            };
            self.function.process_element1(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn process_batch2(&mut self, batch: Batch<In2>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = ProcessContext {
                emit: Collector { out: &mut *out, timestamp: record.timestamp },
                state: &mut self.state,
            };
            self.function.process_element2(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn on_end_of_input(&mut self, side: InputSide, out: &mut Output<Out>) -> Result<()> {
        let mut ctx = ProcessContext { emit: Collector { out, timestamp: None }, state: &mut self.state };
        self.function.on_end_of_input(side, &mut ctx)
    }
}

pub(crate) struct KeyedCoProcessOperator<K, In1, In2, Out, F> {
    pub(crate) function: F,
    pub(crate) key1: KeySelector<In1, K>,
    pub(crate) key2: KeySelector<In2, K>,
    pub(crate) backend: KeyedBackend<K>,
    pub(crate) _types: PhantomData<fn(In1, In2) -> Out>,
}

impl<K, In1, In2, Out, F> TwoInputOperator<In1, In2, Out> for KeyedCoProcessOperator<K, In1, In2, Out, F>
where
    K: Key,
    In1: Send,
    In2: Send,
    Out: Send,
    F: KeyedCoProcessFunction<K, In1, In2, Out>,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.backend.on_start(ctx)?;
        self.function.open(ctx)
    }

    fn snapshot_state(&mut self, checkpoint: &CheckpointInfo, _out: &mut Output<Out>) -> Result<Option<StateSnapshot>> {
        self.backend.snapshot(checkpoint)
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        self.backend.notify_checkpoint_complete(id);
        Ok(())
    }

    fn process_batch1(&mut self, batch: Batch<In1>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = self.backend.context((self.key1)(&record.value), out, record.timestamp)?;
            self.function.process_element1(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn process_batch2(&mut self, batch: Batch<In2>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = self.backend.context((self.key2)(&record.value), out, record.timestamp)?;
            self.function.process_element2(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<Out>) -> Result<()> {
        let function = &mut self.function;
        self.backend
            .advance_watermark(watermark, out, |time, domain, mut ctx| function.on_timer(time, domain, &mut ctx))?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_time(&self) -> Option<Timestamp> {
        self.backend.next_processing_time()
    }

    fn on_processing_time(&mut self, now: Timestamp, out: &mut Output<Out>) -> Result<()> {
        let function = &mut self.function;
        self.backend
            .advance_processing_time(now, out, |time, domain, mut ctx| function.on_timer(time, domain, &mut ctx))
    }
}
