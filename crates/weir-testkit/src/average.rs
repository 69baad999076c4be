//! [`Average`]: a small incremental aggregate for tests of aggregating state and windows.

use weir_core::window::AggregateFunction;

/// The integer average of `u64`s (0 for none); accumulator `(sum, count)`, mergeable.
#[derive(Debug, Clone, Copy, Default)]
pub struct Average;

impl AggregateFunction<u64, (u64, u64), u64> for Average {
    fn create_accumulator(&self) -> (u64, u64) {
        (0, 0)
    }
    fn add(&self, acc: &mut (u64, u64), value: &u64) {
        acc.0 += value;
        acc.1 += 1;
    }
    fn get_result(&self, acc: &(u64, u64)) -> u64 {
        acc.0 / acc.1.max(1)
    }
    fn merge(&self, into: &mut (u64, u64), other: &(u64, u64)) {
        into.0 += other.0;
        into.1 += other.1;
    }
}
