//! `flat_map`: zero or more outputs per input, each with the input's timestamp.

use std::sync::Arc;
use weir_core::operator::OneInputOperator;
use weir_core::record::{Batch, Record};
use weir_core::{Output, Result};

pub(crate) struct FlatMapOperator<F> {
    pub(crate) function: Arc<F>,
}

impl<In, Out, I, F> OneInputOperator<In, Out> for FlatMapOperator<F>
where
    F: Fn(In) -> I + Send + Sync,
    I: IntoIterator<Item = Out>,
{
    fn process_batch(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        let f = &*self.function;
        for Record { value, timestamp } in batch {
            for produced in f(value) {
                out.emit(Record { value: produced, timestamp });
            }
        }
        Ok(())
    }
}
