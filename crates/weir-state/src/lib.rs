//! # weir-state: where working state lives
//!
//! - **Keyed state** ([`heap`]): `ValueState`, `ListState`, `MapState`, `ReducingState` and
//!   `AggregatingState`, scoped to the current key and stored **by key group**, so that a
//!   subtask's state divides exactly along the key-group ranges that rescaling moves between
//!   subtasks. Declared through descriptors ([`descriptor`]), optionally with a time-to-live
//!   ([`ttl`]).
//! - **Operator state** ([`operator`]): per-subtask list state redistributed round-robin on
//!   rescale, union list state, broadcast state.
//! - **Snapshots**: [`KeyedStateSnapshot`] and [`OperatorStateSnapshot`], each with a versioned,
//!   checksummed byte format (magic, version, crc32c), restorable at another parallelism.
//!
//! Now: the in-memory heap backend. Later: the embedded LSM backend behind the same API and
//! snapshots that do not pause processing for long (copy-on-write).
//!
//! It is **not**:
//! - the state *API* users see in process functions (that is `weir-runtime`'s keyed context,
//!   which hands out the handles defined here);
//! - checkpoint storage: snapshots become bytes here, and the bytes are written and read by the
//!   caller. This crate does no I/O.

pub mod descriptor;
mod envelope;
pub mod error;
pub mod heap;
pub mod operator;
pub mod ttl;

pub use descriptor::{
    AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReduceFn, ReducingStateDescriptor, StateKind,
    ValueStateDescriptor,
};
pub use error::{Result, StateError};
pub use heap::{
    AggregatingState, HeapKeyedStateBackend, KeyedStateSnapshot, ListState, MapState, ReducingState, ValueState,
};
pub use operator::{BroadcastState, OperatorListState, OperatorStateBackend, OperatorStateSnapshot};
pub use ttl::{StateTtlConfig, TtlUpdateType, TtlVisibility};
