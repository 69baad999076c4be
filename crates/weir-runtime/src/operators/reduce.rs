//! `reduce` on a keyed stream: a rolling reduction per key, emitting the new aggregate for every
//! record (as Flink's `KeyedStream#reduce`).

use super::keyed::{KeySelector, KeyedBackend};
use std::sync::Arc;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::record::{Batch, Record};
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::{Data, Key, Output, Result};
use weir_state::ValueStateDescriptor;

pub(crate) struct ReduceOperator<K, T, F> {
    pub(crate) function: Arc<F>,
    pub(crate) key_selector: KeySelector<T, K>,
    pub(crate) backend: KeyedBackend<K>,
    pub(crate) aggregate: ValueStateDescriptor<T>,
}

impl<K: Key, T, F> ReduceOperator<K, T, F> {
    pub(crate) fn new(function: Arc<F>, key_selector: KeySelector<T, K>) -> Self {
        ReduceOperator {
            function,
            key_selector,
            backend: KeyedBackend::new(),
            aggregate: ValueStateDescriptor::new("reduce"),
        }
    }
}

impl<K, T, F> OneInputOperator<T, T> for ReduceOperator<K, T, F>
where
    K: Key,
    T: Data,
    F: Fn(T, T) -> T + Send + Sync,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.backend.on_start(ctx)
    }

    fn snapshot_state(&mut self, checkpoint: &CheckpointInfo, _out: &mut Output<T>) -> Result<Option<StateSnapshot>> {
        self.backend.snapshot(checkpoint)
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        self.backend.notify_checkpoint_complete(id);
        Ok(())
    }

    fn process_batch(&mut self, batch: Batch<T>, out: &mut Output<T>) -> Result<()> {
        for Record { value, timestamp } in batch {
            let key = (self.key_selector)(&value);
            let state = self.backend.scope(key)?;
            let mut aggregate = state.value(&self.aggregate)?;
            let reduced = match aggregate.value() {
                Some(previous) => (self.function)(previous, value),
                None => value,
            };
            aggregate.update(reduced.clone());
            out.emit(Record { value: reduced, timestamp });
        }
        Ok(())
    }
}
