//! [`FinalTopN`]: the final values of a rolling per-key aggregate, and the best `n` of them,
//! emitted when the (bounded) input ends.
//!
//! A keyed `reduce` emits the new aggregate of a key for every record. Placed right after it
//! with the same parallelism (so the edge is forward and the two are chained), `FinalTopN` keeps
//! the latest aggregate per key — the final one once the input has ended, since a subtask sees
//! its keys' updates in order — and emits its `n` best. The answer is correct at any
//! parallelism: every key lives in exactly one subtask, so the global top `n` is among the union
//! of the subtasks' local top `n`, which [`top_n`] merges.
//!
//! It is **not** for unbounded streams (it only emits at the end of input) and it duplicates
//! the reduce's state in memory; both go away when keyed functions can fire on the final
//! watermark (event-time timers) or windows arrive.

use std::cmp::Ordering;
use std::collections::HashMap;
use weir_core::{Data, Key};
use weir_runtime::{ProcessContext, ProcessFunction};

/// How two values rank: `Ordering::Less` when the first ranks higher.
pub type Rank<T> = fn(&T, &T) -> Ordering;

/// Keeps the latest value per key and emits the best `n` at the end of input; see the module docs.
pub struct FinalTopN<T, K> {
    n: usize,
    key: for<'a> fn(&'a T) -> &'a K,
    rank: Rank<T>,
    latest: HashMap<K, T>,
}

impl<T, K> FinalTopN<T, K> {
    /// Keeps the latest value per `key`, and emits the `n` best under `rank` at the end.
    pub fn new(n: usize, key: for<'a> fn(&'a T) -> &'a K, rank: Rank<T>) -> Self {
        FinalTopN { n, key, rank, latest: HashMap::new() }
    }
}

impl<T: Clone, K: Clone> Clone for FinalTopN<T, K> {
    fn clone(&self) -> Self {
        FinalTopN { n: self.n, key: self.key, rank: self.rank, latest: self.latest.clone() }
    }
}

impl<T, K> ProcessFunction<T, T> for FinalTopN<T, K>
where
    T: Data,
    K: Key,
{
    fn process_element(&mut self, value: T, _ctx: &mut ProcessContext<'_, T>) -> weir_core::Result<()> {
        // The key is cloned only the first time it is seen.
        match self.latest.get_mut((self.key)(&value)) {
            Some(slot) => *slot = value,
            None => {
                self.latest.insert((self.key)(&value).clone(), value);
            }
        }
        Ok(())
    }

    fn on_end_of_input(&mut self, ctx: &mut ProcessContext<'_, T>) -> weir_core::Result<()> {
        let values = std::mem::take(&mut self.latest).into_values().collect();
        for value in top_n(values, self.n, self.rank) {
            ctx.collect(value);
        }
        Ok(())
    }
}

/// The `n` best values under `rank`, best first.
pub fn top_n<T>(mut values: Vec<T>, n: usize, rank: Rank<T>) -> Vec<T> {
    values.sort_by(rank);
    values.truncate(n);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_count_then_word(a: &(String, u64), b: &(String, u64)) -> Ordering {
        b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))
    }

    #[test]
    fn ties_are_broken_by_the_rank_function() {
        let values = vec![("b".to_string(), 2), ("a".to_string(), 2), ("c".to_string(), 5), ("d".to_string(), 1)];
        let best = top_n(values, 3, by_count_then_word);
        assert_eq!(best, [("c".to_string(), 5), ("a".to_string(), 2), ("b".to_string(), 2)]);
    }
}
