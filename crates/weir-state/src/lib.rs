//! # weir-state: where working state lives
//!
//! Keyed state (`ValueState`, `ListState`, `MapState`) scoped to the current key and stored **by
//! key group**, so that a subtask's state divides exactly along the key-group ranges that
//! rescaling moves between subtasks.
//!
//! Now: the in-memory [`heap`] backend. Coming with the checkpoint issue: snapshots of every key
//! group, TTL, reducing/aggregating state, operator state and checkpoint storage; with the RocksDB
//! issue, the embedded LSM backend behind the same API.
//!
//! It is **not** the state *API* users see in process functions (that is `weir-runtime`'s keyed
//! context, which hands out the handles defined here), and it does no I/O yet.

pub mod descriptor;
pub mod error;
pub mod heap;
pub mod storage;

pub use descriptor::{ListStateDescriptor, MapStateDescriptor, StateKind, ValueStateDescriptor};
pub use error::{Result, StateError};
pub use heap::{HeapKeyedStateBackend, ListState, MapState, ValueState};
pub use storage::{FsCheckpointStorage, LoadedSnapshot, StorageError, find_latest_restorable, load_snapshot};
