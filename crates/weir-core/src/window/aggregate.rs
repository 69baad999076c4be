//! Incremental window functions: [`AggregateFunction`] (Flink's accumulator interface) and
//! [`ReduceFunction`], with [`ReduceAggregate`] to use a reduce function wherever an aggregate is
//! expected.
//!
//! An incremental function folds each record into a small accumulator as it arrives, so a window
//! keeps one accumulator instead of its records. These are the functions only; where the
//! accumulators live (per key and window, or per slice, see [`Slicing`](super::Slicing)) is the
//! operator's business.

/// Folds records into an accumulator and turns it into a result (Flink's `AggregateFunction`).
///
/// Contract for implementations:
/// - `merge` is associative and `create_accumulator()` is its identity: merging the accumulators
///   of any split of the records, in any grouping, gives the accumulator of all of them. Slicing
///   and session merging rely on it;
/// - the result does not depend on the order in which records or accumulators are combined,
///   unless the user accepts results that do (as in Flink);
/// - no method panics on the user's data; a function is shared between windows and keys and
///   keeps nothing between calls.
pub trait AggregateFunction<IN, ACC, OUT>: Send + Sync {
    /// A new, empty accumulator.
    fn create_accumulator(&self) -> ACC;

    /// Adds one record.
    fn add(&self, accumulator: &mut ACC, value: &IN);

    /// Adds the contents of `other` (which stays as it is: a slice's accumulator is merged into
    /// several windows).
    fn merge(&self, accumulator: &mut ACC, other: &ACC);

    /// The result of what was added so far.
    fn get_result(&self, accumulator: &ACC) -> OUT;
}

/// Combines two values of the same type into one (Flink's `ReduceFunction`): associative, and
/// commutative unless the user accepts order-dependent results. Any `Fn(T, T) -> T` is one.
pub trait ReduceFunction<T>: Send + Sync {
    fn reduce(&self, a: T, b: T) -> T;
}

impl<T, F> ReduceFunction<T> for F
where
    F: Fn(T, T) -> T + Send + Sync,
{
    fn reduce(&self, a: T, b: T) -> T {
        self(a, b)
    }
}

/// A reduce function as an aggregate: the accumulator is the reduced value so far (`None` before
/// the first record), and so is the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReduceAggregate<R>(pub R);

impl<T: Clone, R: ReduceFunction<T>> AggregateFunction<T, Option<T>, Option<T>> for ReduceAggregate<R> {
    fn create_accumulator(&self) -> Option<T> {
        None
    }

    fn add(&self, accumulator: &mut Option<T>, value: &T) {
        let value = value.clone();
        *accumulator = Some(match accumulator.take() {
            Some(acc) => self.0.reduce(acc, value),
            None => value,
        });
    }

    fn merge(&self, accumulator: &mut Option<T>, other: &Option<T>) {
        if let Some(other) = other {
            self.add(accumulator, other);
        }
    }

    fn get_result(&self, accumulator: &Option<T>) -> Option<T> {
        accumulator.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The average of `i64`s: accumulator (sum, count).
    struct Average;

    impl AggregateFunction<i64, (i64, u64), Option<f64>> for Average {
        fn create_accumulator(&self) -> (i64, u64) {
            (0, 0)
        }
        fn add(&self, acc: &mut (i64, u64), value: &i64) {
            acc.0 += value;
            acc.1 += 1;
        }
        fn merge(&self, acc: &mut (i64, u64), other: &(i64, u64)) {
            acc.0 += other.0;
            acc.1 += other.1;
        }
        fn get_result(&self, acc: &(i64, u64)) -> Option<f64> {
            (acc.1 > 0).then(|| acc.0 as f64 / acc.1 as f64)
        }
    }

    #[test]
    fn an_aggregate_gives_the_same_result_split_or_not() {
        let mut whole = Average.create_accumulator();
        let (mut left, mut right) = (Average.create_accumulator(), Average.create_accumulator());
        for v in 1..=4 {
            Average.add(&mut whole, &v);
            Average.add(if v <= 2 { &mut left } else { &mut right }, &v);
        }
        Average.merge(&mut left, &right);
        assert_eq!(Average.get_result(&left), Some(2.5));
        assert_eq!(Average.get_result(&whole), Some(2.5));
        assert_eq!(Average.get_result(&Average.create_accumulator()), None);
    }

    #[test]
    fn a_reduce_function_is_an_aggregate() {
        let max = ReduceAggregate(|a: i64, b: i64| a.max(b));
        let mut acc = max.create_accumulator();
        assert_eq!(max.get_result(&acc), None);
        for v in [3, -1, 7, 2] {
            max.add(&mut acc, &v);
        }
        let mut other = max.create_accumulator();
        max.add(&mut other, &9);
        max.merge(&mut acc, &other);
        max.merge(&mut acc, &None);
        assert_eq!(max.get_result(&acc), Some(9));
    }
}
