//! # weir-state: where working state lives, and where its snapshots go
//!
//! Keyed state (`ValueState`, `ListState`, `MapState`) scoped to the current key and stored **by
//! key group**, so that a subtask's state divides exactly along the key-group ranges that
//! rescaling moves between subtasks.
//!
//! Now:
//! - the in-memory [`heap`] backend;
//! - [`storage`]: checkpoint storage on the local filesystem — [`FsCheckpointStorage`] writes a
//!   job's state files and `_metadata` durably in the layout of DESIGN §7 and deletes what
//!   retention discards; [`load_snapshot`] and [`find_latest_restorable`] read checkpoints and
//!   savepoints back and verify every file (size, CRC32C) before a restore trusts them.
//!
//! Coming with the checkpoint issue: snapshots of every key group, TTL, reducing/aggregating
//! state and operator state; with the RocksDB issue, the embedded LSM backend behind the same API;
//! later, object-store checkpoint storage.
//!
//! It is **not** the state *API* users see in process functions (that is `weir-runtime`'s keyed
//! context, which hands out the handles defined here), nor the checkpoint protocol (what to
//! write, when and what to delete is weir-checkpoint's pure logic; [`storage`] executes it). Its
//! only I/O is in [`storage`], synchronous `std::fs`; the backends do none.

pub mod descriptor;
pub mod error;
pub mod heap;
pub mod storage;

pub use descriptor::{ListStateDescriptor, MapStateDescriptor, StateKind, ValueStateDescriptor};
pub use error::{Result, StateError};
pub use heap::{HeapKeyedStateBackend, ListState, MapState, ValueState};
pub use storage::{
    FsCheckpointStorage, JobDirRemoval, LoadedSnapshot, SkippedSnapshot, StorageError, find_latest_restorable,
    load_snapshot,
};
