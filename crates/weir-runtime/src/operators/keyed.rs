//! `process` on a keyed stream: a [`KeyedProcessFunction`] with keyed state scoped to each
//! record's key, on a state backend that holds the key groups this subtask owns.

use crate::api::functions::{KeyedContext, KeyedProcessFunction};
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::key_group::assign_key_group;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::record::Batch;
use weir_core::{Error, Key, Output, Result};
use weir_state::HeapKeyedStateBackend;

/// Extracts the key of a record.
pub(crate) type KeySelector<T, K> = Arc<dyn Fn(&T) -> K + Send + Sync>;

/// The keyed state of one subtask plus the key arithmetic every keyed operator needs.
pub(crate) struct KeyedBackend<K> {
    pub(crate) state: Option<HeapKeyedStateBackend<K>>,
    max_parallelism: usize,
}

impl<K: Key> KeyedBackend<K> {
    pub(crate) fn new() -> Self {
        KeyedBackend { state: None, max_parallelism: 0 }
    }

    pub(crate) fn on_start(&mut self, ctx: &OperatorContext) {
        self.max_parallelism = ctx.max_parallelism;
        self.state = Some(HeapKeyedStateBackend::new(ctx.key_group_range));
    }

    /// Scopes state to `key` and returns the backend.
    pub(crate) fn scope(&mut self, key: K) -> Result<&mut HeapKeyedStateBackend<K>> {
        let group = assign_key_group(&key, self.max_parallelism)?;
        let state = self.state.as_mut().ok_or_else(|| Error::Internal("keyed state used before on_start".into()))?;
        state.set_current_key(key, group)?;
        Ok(state)
    }
}

pub(crate) struct KeyedProcessOperator<K, In, Out, F> {
    pub(crate) function: F,
    pub(crate) key_selector: KeySelector<In, K>,
    pub(crate) backend: KeyedBackend<K>,
    pub(crate) _types: PhantomData<fn(In) -> Out>,
}

impl<K, In, Out, F> KeyedProcessOperator<K, In, Out, F>
where
    K: Key,
{
    pub(crate) fn new(function: F, key_selector: KeySelector<In, K>) -> Self {
        KeyedProcessOperator { function, key_selector, backend: KeyedBackend::new(), _types: PhantomData }
    }
}

impl<K, In, Out, F> OneInputOperator<In, Out> for KeyedProcessOperator<K, In, Out, F>
where
    K: Key,
    In: Send,
    Out: Send,
    F: KeyedProcessFunction<K, In, Out>,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.backend.on_start(ctx);
        self.function.open(ctx)
    }

    fn process_batch(&mut self, batch: Batch<In>, out: &mut Output<Out>) -> Result<()> {
        for record in batch {
            let key = (self.key_selector)(&record.value);
            let state = self.backend.scope(key)?;
            let mut ctx = KeyedContext { state, out: &mut *out, timestamp: record.timestamp };
            self.function.process_element(record.value, &mut ctx)?;
        }
        Ok(())
    }
}
