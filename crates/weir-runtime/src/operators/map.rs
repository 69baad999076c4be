//! `map` and `try_map`: one output per input, the timestamp kept.

use std::sync::Arc;
use weir_core::operator::OneInputOperator;
use weir_core::record::{Batch, Record};
use weir_core::{Error, Output, Result};

pub(crate) struct MapOperator<F> {
    pub(crate) function: Arc<F>,
}

impl<In, Out, F> OneInputOperator<In, Out> for MapOperator<F>
where
    F: Fn(In) -> Out + Send + Sync,
{
    fn process_batch(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        let f = &*self.function;
        // When `In` and `Out` have the same layout this collects in place, without allocating.
        out.emit_batch(
            batch.into_iter().map(|Record { value, timestamp }| Record { value: f(value), timestamp }).collect(),
        );
        Ok(())
    }
}

/// A map whose function may fail; an error fails the job with the operator's name.
pub(crate) struct TryMapOperator<F> {
    pub(crate) function: Arc<F>,
}

impl<In, Out, E, F> OneInputOperator<In, Out> for TryMapOperator<F>
where
    F: Fn(In) -> std::result::Result<Out, E> + Send + Sync,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    fn process_batch(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        let f = &*self.function;
        let mapped: Result<Batch<Out>> = batch
            .into_iter()
            .map(|Record { value, timestamp }| f(value).map(|value| Record { value, timestamp }).map_err(Error::user))
            .collect();
        out.emit_batch(mapped?);
        Ok(())
    }
}
