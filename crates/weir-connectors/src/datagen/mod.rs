//! The datagen connector: records computed from a sequence index, like Flink's
//! `DataGeneratorSource` with a `GeneratorFunction`.
//!
//! [`DataGenSource::new(generator)`](DataGenSource::new) calls `generator(i)` for indices
//! `i = 0, 1, 2, ...`; `.with_count(n)` makes it bounded (exactly the indices `0..n`, each once,
//! whatever the parallelism), `.with_rate_limit(r)` caps the total emission at `r` records per
//! second across all subtasks, and `.with_splits(k)` sets how many splits the sequence is cut into
//! (default: the parallelism).
//!
//! ## Splits
//! A [`DataGenSplit`] is an arithmetic sequence of indices with its position (`next`):
//! - bounded: `k` contiguous ranges, split `i` covering `[i·n/k, (i+1)·n/k)` with stride 1;
//! - unbounded: `k` interleaved sequences, split `i` generating `i, i+k, i+2k, ...`, so indices stay
//!   small and every subtask advances through the same region of the sequence.
//!
//! A snapshot is each unfinished split with `next` right after the last emitted index; a reader
//! given it continues with exactly the indices not yet emitted. A split's id is its number `i`.
//! A reader of several splits rotates through them, one batch per poll: with a watermark strategy
//! given at the source (`from_source_with_watermarks`) each split has its own watermark, so
//! range splits far apart in event time do not make each other's records late.
//!
//! ## Deterministic randomness
//! Generators must be pure functions of the index for a restored job to produce the same records.
//! [`random_u64`], [`random_range`] and [`random_f64`] give stable pseudo-random numbers from a
//! seed and an index (SplitMix64; the values are pinned by tests and will not change).
//!
//! It is **not**: a source of wall-clock data (no timestamps are assigned; give a watermark
//! strategy with a timestamp assigner at the source), nor a sampler of external data. It does no I/O; reading
//! `Instant::now()` when rate-limited is its only contact with the outside.

mod random;
mod rate_limiter;
mod source;
mod split;

#[cfg(test)]
mod tests;

pub use random::{random_f64, random_range, random_u64};
pub use rate_limiter::{Permit, RateLimiter};
pub use source::DataGenSource;
pub use split::DataGenSplit;
