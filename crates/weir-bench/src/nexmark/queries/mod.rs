//! The Nexmark queries as weir jobs, one file per query: each `build` takes the event stream
//! and returns the query's result stream, to which the caller attaches a sink (a blackhole or
//! the latency sink in benchmarks, a collecting sink in tests).
//!
//! The definitions, window sizes included, are those of Flink's Nexmark suite (its SQL is quoted
//! in each file); how each becomes a DataStream job is described there too. Queries over two
//! kinds of events pick them out in one pass ([`split`]); the windowed ones over bids only pass
//! on the fields they read (a SQL planner's projection).
//!
//! | query | what | weir operators |
//! |---|---|---|
//! | [`q0`] | pass-through | flat_map |
//! | [`q1`] | currency conversion | flat_map (map) |
//! | [`q2`] | selection on auction ids | flat_map (filter) |
//! | [`q3`] | local item suggestion: persons ⋈ auctions | keyed co-process, per-key state |
//! | [`q4`] | average closing price per category | keyed co-process with event-time timers, keyed process |
//! | [`q5`] | hot items | sliding windows (count), keyed process with timers (max) |
//! | [`q7`] | highest bid | tumbling window over all bids (`window_all`) |
//! | [`q8`] | new users: persons ⋈ auctions in the same window | keyed co-process with event-time timers |
//! | [`q11`] | user sessions | session windows (count) |
//! | [`q12`] | processing-time windows | processing-time tumbling windows (count) |

pub mod q0;
pub mod q1;
pub mod q11;
pub mod q12;
pub mod q2;
pub mod q3;
pub mod q4;
pub mod q5;
pub mod q7;
pub mod q8;
pub mod split;

use weir_runtime::prelude::*;

/// Counts records: the aggregate of q5, q11 and q12.
#[derive(Debug, Clone, Copy)]
pub struct CountRecords;

impl<T> AggregateFunction<T, u64, u64> for CountRecords {
    fn create_accumulator(&self) -> u64 {
        0
    }

    #[inline]
    fn add(&self, count: &mut u64, _: &T) {
        *count += 1;
    }

    fn merge(&self, count: &mut u64, other: &u64) {
        *count += other;
    }

    fn get_result(&self, count: &u64) -> u64 {
        *count
    }
}
