//! [`AggregatingState`]: one accumulator of the current key, read as its aggregate's result.

use std::hash::Hash;
use weir_core::window::AggregateFunction;

use super::value::ValueState;

/// The aggregating state of the current key: `add` folds a value into the accumulator (created
/// on the first add), `get` gives the aggregate's result.
pub struct AggregatingState<'a, K, IN, ACC, OUT> {
    accumulator: ValueState<'a, K, ACC>,
    aggregate: &'a dyn AggregateFunction<IN, ACC, OUT>,
}

impl<'a, K: Eq + Hash + Clone, IN, ACC, OUT> AggregatingState<'a, K, IN, ACC, OUT> {
    pub(crate) fn new(accumulator: ValueState<'a, K, ACC>, aggregate: &'a dyn AggregateFunction<IN, ACC, OUT>) -> Self {
        AggregatingState { accumulator, aggregate }
    }

    /// Folds `value` into the accumulator.
    pub fn add(&mut self, value: &IN) {
        let aggregate = self.aggregate;
        aggregate.add(self.accumulator.get_or_insert_with(|| aggregate.create_accumulator()), value);
    }

    /// The result of what was added, `None` if nothing was.
    pub fn get(&self) -> Option<OUT> {
        self.accumulator.get().map(|acc| self.aggregate.get_result(acc))
    }

    pub fn clear(&mut self) {
        self.accumulator.clear();
    }
}
