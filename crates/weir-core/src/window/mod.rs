//! Windows as pure logic: the window types, assigners, triggers, evictors, the merging window
//! set of sessions, slice-shared aggregation for sliding windows, and the lateness rules.
//!
//! A window operator (in `weir-runtime`) is built from an **assigner** (which windows a record
//! belongs to), a **trigger** (when a window fires and purges), optionally an **evictor** (which
//! records a firing sees) and a window function, incremental ([`AggregateFunction`],
//! [`ReduceFunction`]) or not. Everything here is a function of its inputs or a plain data
//! structure: the operator feeds it records, times and watermarks, and executes what it returns.
//!
//! It is **not**:
//! - the window operator: nothing here holds records, keys, timers or state backends, emits
//!   output or reads a clock (triggers see time and timers only through the [`TriggerContext`]
//!   the operator implements);
//! - a place for I/O or threads: like all of `weir-core`, this module only computes.
//!
//! | file | what |
//! |---|---|
//! | `time_window.rs` | [`Window`], [`TimeWindow`], [`GlobalWindow`], [`window_start_with_offset`] |
//! | `assigner/` | [`WindowAssigner`] and one file per assigner |
//! | `trigger/` | [`Trigger`], [`TriggerContext`], [`TriggerResult`] and one file per trigger |
//! | `evictor.rs` | [`Evictor`], [`CountEvictor`], [`TimeEvictor`] |
//! | `merging.rs` | [`MergingWindowSet`]: a key's session windows and their state windows |
//! | `aggregate.rs` | [`AggregateFunction`], [`ReduceFunction`] |
//! | `slicing.rs` | [`Slicing`], [`SliceAggregator`]: one slice per record for sliding windows |
//! | `late.rs` | cleanup time and lateness |

pub mod aggregate;
pub mod assigner;
pub mod evictor;
pub mod late;
pub mod merging;
pub mod slicing;
pub mod time_window;
pub mod trigger;

pub use aggregate::{AggregateFunction, ReduceAggregate, ReduceFunction};
pub use assigner::{
    DynamicSessionWindows, GlobalWindows, SessionWindows, SlidingWindows, TimeDomain, TumblingWindows, WindowAssigner,
};
pub use evictor::{CountEvictor, EvictionPoint, Evictor, EvictorContext, TimeEvictor};
pub use merging::{Merge, MergeResult, MergingWindowSet};
pub use slicing::{SliceAccumulators, SliceAdded, SliceAggregator, SlicePosition, Slicing};
pub use time_window::{GlobalWindow, TimeWindow, Window, window_start_with_offset};
pub use trigger::{
    ContinuousEventTimeTrigger, ContinuousProcessingTimeTrigger, CountTrigger, EventTimeTrigger,
    InMemoryTriggerContext, NeverTrigger, ProcessingTimeTrigger, PurgingTrigger, Trigger, TriggerContext,
    TriggerResult, TriggerStateDescriptor,
};
