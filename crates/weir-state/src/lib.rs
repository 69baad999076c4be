//! # weir-state: where working state lives, and where its snapshots go
//!
//! - **Keyed state** ([`KeyedStateBackend`], module [`heap`]): `ValueState`, `ListState`,
//!   `MapState`, `ReducingState` and `AggregatingState`, scoped to the current key and stored
//!   **by key group**, so that a subtask's state divides exactly along the key-group ranges that
//!   rescaling moves between subtasks. Declared through descriptors ([`descriptor`]), optionally
//!   with a time-to-live ([`ttl`]). Two backends behind the one API ([`config`]): `hashmap`
//!   (typed tables in memory) and `rocksdb` ([`rocksdb`]: an embedded RocksDB under the same
//!   tables, which then cache the keys in use; incremental checkpoints).
//! - **Operator state** ([`operator`]): per-subtask list state redistributed round-robin on
//!   rescale, union list state, broadcast state.
//! - **Snapshots**: [`KeyedStateSnapshot`] and [`OperatorStateSnapshot`], each with a versioned,
//!   checksummed byte format (magic, version, crc32c), restorable at another parallelism.
//!
//! - **Checkpoint storage** ([`storage`]): [`FsCheckpointStorage`] writes a job's state files and
//!   `_metadata` durably in the layout of DESIGN §7 and deletes what retention discards;
//!   [`load_snapshot`] and [`find_latest_restorable`] read checkpoints and savepoints back and
//!   verify every file (size, CRC32C) before a restore trusts them.
//!
//! Later: object-store checkpoint storage.
//!
//! It is **not**:
//! - the state *API* users see in process functions (that is `weir-runtime`'s keyed context,
//!   which hands out the handles defined here);
//! - the checkpoint protocol (what to write, when and what to delete is weir-checkpoint's pure
//!   logic; [`storage`] executes it). Its I/O is in [`storage`] (synchronous `std::fs`) and in
//!   the `rocksdb` backend's working directory.

pub mod config;
pub mod descriptor;
mod envelope;
pub mod error;
pub mod heap;
pub mod operator;
pub mod raw_bytes;
pub mod rocksdb;
mod snapshot_job;
pub mod storage;
pub mod ttl;

pub use config::{RocksDbOptions, StateBackendConfig, StateBackendType, TimerStore};
pub use descriptor::{
    AggregatingStateDescriptor, ListStateDescriptor, MapStateDescriptor, ReduceFn, ReducingStateDescriptor, StateKind,
    ValueStateDescriptor,
};
pub use error::{Result, StateError};
pub use heap::{
    AggregatingState, FrozenKeyedState, KeyedStateBackend, KeyedStateSnapshot, ListState, MapState, ReducingState,
    ValueState,
};
pub use operator::{
    BroadcastState, OperatorListState, OperatorStateBackend, OperatorStateSnapshot, ReadOnlyBroadcastState,
};
pub use snapshot_job::KeyedSnapshotJob;
pub use storage::{
    FsCheckpointStorage, JobDirRemoval, LoadedSnapshot, SkippedSnapshot, StorageError, find_latest_restorable,
    load_snapshot,
};
pub use ttl::{StateTtlConfig, TtlUpdateType, TtlVisibility};
