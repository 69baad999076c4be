//! # weir-checkpoint: the checkpoint protocol as pure logic
//!
//! Everything about checkpoints that can be decided without touching a disk or a network
//! (DESIGN §7, STYLE "pure logic in the middle, I/O at the edge"):
//!
//! - the [`CheckpointConfig`] read from Flink's keys, and [`CheckpointId`]s;
//! - the `_metadata` file format ([`metadata`]: magic, version, JSON body, CRC32C) and
//!   [`RelativePath`], which keeps every path in it inside its directory;
//! - [`paths`]: the one place the checkpoint directory layout is built.
//!
//! It is **not**:
//! - storage: it never reads, writes, lists or deletes a file. weir-state's checkpoint storage
//!   writes the bytes [`metadata::encode`] returns and reads those [`metadata::decode`] checks;
//! - a runtime: no threads, channels, timers or sleeping; nothing here depends on tokio, tonic,
//!   axum, hyper or object_store (`scripts/check-core-deps.sh` checks it);
//! - a state backend: the content of state files is the backend's business.

pub mod config;
pub mod error;
pub mod id;
pub mod metadata;
pub mod paths;
pub mod relative_path;

pub use config::{CheckpointConfig, CheckpointingMode, JobTermination, RetentionPolicy};
pub use error::{CheckpointError, Result};
pub use id::{CheckpointId, CheckpointIdCounter};
pub use metadata::{FileScope, Metadata, OpaqueBytes, OperatorState, SnapshotKind, StateFile, SubtaskState};
pub use paths::SnapshotLocation;
pub use relative_path::RelativePath;
