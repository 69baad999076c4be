//! `process` on a non-keyed stream: a [`ProcessFunction`] per record, with the subtask's
//! operator state (see `operator_state`).

use super::operator_state;
use crate::api::functions::{Collector, InitContext, ProcessContext, ProcessFunction};
use std::marker::PhantomData;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::record::Batch;
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::{Output, Result};
use weir_state::OperatorStateBackend;

pub(crate) struct ProcessOperator<F, In, Out> {
    function: F,
    state: OperatorStateBackend,
    _types: PhantomData<fn(In) -> Out>,
}

impl<F, In, Out> ProcessOperator<F, In, Out> {
    pub(crate) fn new(function: F) -> Self {
        ProcessOperator { function, state: OperatorStateBackend::new(), _types: PhantomData }
    }
}

impl<F, In, Out> OneInputOperator<In, Out> for ProcessOperator<F, In, Out>
where
    F: ProcessFunction<In, Out>,
    In: Send,
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

    fn process_batch(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = ProcessContext {
                emit: Collector { out: &mut *out, timestamp: record.timestamp },
                state: &mut self.state,
            };
            self.function.process_element(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn on_end_of_input(&mut self, out: &mut Output<Out>) -> Result<()> {
        let mut ctx = ProcessContext { emit: Collector { out, timestamp: None }, state: &mut self.state };
        self.function.on_end_of_input(&mut ctx)
    }
}
