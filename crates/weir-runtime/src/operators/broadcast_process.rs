//! `process` on a stream connected with a broadcast stream: a [`BroadcastProcessFunction`],
//! whose broadcast state is the instance's operator state (see `operator_state`: restored from
//! the lowest old subtask's copy on a rescale, from its own otherwise).

use super::operator_state;
use crate::api::broadcast_functions::{BroadcastContext, BroadcastProcessFunction, BroadcastStates, ReadOnlyContext};
use crate::api::functions::Collector;
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::operator::{OperatorContext, TwoInputOperator};
use weir_core::record::Batch;
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::{Output, Result};
use weir_state::OperatorStateBackend;

/// First input: the stream; second input: the broadcast stream.
pub(crate) struct BroadcastProcessOperator<F, In, B, Out> {
    function: F,
    state: OperatorStateBackend,
    /// The broadcast states declared on the broadcast stream.
    declared: Arc<[String]>,
    _types: PhantomData<fn(In, B) -> Out>,
}

impl<F, In, B, Out> BroadcastProcessOperator<F, In, B, Out> {
    pub(crate) fn new(function: F, declared: Arc<[String]>) -> Self {
        BroadcastProcessOperator { function, state: OperatorStateBackend::new(), declared, _types: PhantomData }
    }
}

impl<F, In, B, Out> TwoInputOperator<In, B, Out> for BroadcastProcessOperator<F, In, B, Out>
where
    F: BroadcastProcessFunction<In, B, Out>,
    In: Send,
    B: Send,
    Out: Send,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.state = operator_state::start(ctx)?;
        self.function.open(ctx)
    }

    fn snapshot_state(
        &mut self,
        _checkpoint: &CheckpointInfo,
        _out: &mut Output<Out>,
    ) -> Result<Option<StateSnapshot>> {
        operator_state::snapshot(&self.state)
    }

    fn process_batch1(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = ReadOnlyContext {
                emit: Collector { out: &mut *out, timestamp: record.timestamp },
                states: BroadcastStates { backend: &mut self.state, declared: &self.declared },
            };
            self.function.process_element(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn process_batch2(&mut self, batch: Batch<B>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = BroadcastContext {
                emit: Collector { out: &mut *out, timestamp: record.timestamp },
                states: BroadcastStates { backend: &mut self.state, declared: &self.declared },
            };
            self.function.process_broadcast_element(record.value, &mut ctx)?;
        }
        Ok(())
    }
}
