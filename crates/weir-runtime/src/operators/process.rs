//! `process` on a non-keyed stream: a [`ProcessFunction`] per record.

use crate::api::functions::{ProcessContext, ProcessFunction};
use std::marker::PhantomData;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::record::Batch;
use weir_core::{Output, Result};

pub(crate) struct ProcessOperator<F, In, Out> {
    pub(crate) function: F,
    pub(crate) _types: PhantomData<fn(In) -> Out>,
}

impl<F, In, Out> OneInputOperator<In, Out> for ProcessOperator<F, In, Out>
where
    F: ProcessFunction<In, Out>,
    In: Send,
    Out: Send,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.function.open(ctx)
    }

    fn process_batch(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let mut ctx = ProcessContext { out: &mut *out, timestamp: record.timestamp };
            self.function.process_element(record.value, &mut ctx)?;
        }
        Ok(())
    }

    fn on_end_of_input(&mut self, out: &mut Output<Out>) -> Result<()> {
        self.function.on_end_of_input(&mut ProcessContext { out, timestamp: None })
    }
}
