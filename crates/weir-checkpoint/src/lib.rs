//! # weir-checkpoint: the checkpoint protocol as pure logic
//!
//! Everything about checkpoints that can be decided without touching a disk or a network
//! (DESIGN §7, STYLE "pure logic in the middle, I/O at the edge"):
//!
//! - [`CheckpointCoordinator`]: the protocol of one job as a state machine — fed [`Event`]s
//!   (ticks, acknowledgements, declines, metadata written, task failures), it returns the
//!   [`Action`]s the runtime and storage execute; time comes from an injected
//!   [`weir_core::clock::Clock`];
//! - its parts, one noun per module: [`decider`] (may a checkpoint be triggered now?),
//!   [`PendingCheckpoint`], [`CompletedCheckpoint`], [`CompletedCheckpointStore`] (retention),
//!   [`FailureCounter`] (tolerable failures), [`CheckpointStatsTracker`] (history), the
//!   [`AbortReason`]s, the [`CheckpointConfig`] read from Flink's keys;
//! - the `_metadata` file format ([`metadata`]: magic, version, JSON body, CRC32C) and
//!   [`RelativePath`], which keeps every path in it inside its directory;
//! - [`paths`]: the one place the checkpoint directory layout is built.
//!
//! It is **not**:
//! - storage: it never reads, writes, lists or deletes a file. weir-state's checkpoint storage
//!   writes the bytes [`metadata::encode`] returns, reads those [`metadata::decode`] checks, and
//!   deletes what [`Action::Abort`] and [`Action::Discard`] name;
//! - a runtime: no threads, channels, timers or sleeping; nothing here depends on tokio, tonic,
//!   axum, hyper or object_store (`scripts/check-core-deps.sh` checks it);
//! - a state backend: the content of state files is the backend's business.

pub mod abort;
pub mod completed;
pub mod config;
pub mod coordinator;
pub mod decider;
pub mod error;
pub mod failure;
pub mod handle;
pub mod id;
pub mod metadata;
pub mod paths;
pub mod pending;
pub mod plan;
pub mod relative_path;
pub mod stats;
pub mod store;
pub mod task;

pub use abort::{AbortReason, DeclineReason};
pub use completed::CompletedCheckpoint;
pub use config::{CheckpointConfig, CheckpointingMode, JobTermination, RetentionPolicy};
pub use coordinator::{Action, CheckpointCoordinator, CoordinatorState, Event, JobFailure, SavepointRejection};
pub use decider::{TriggerDecision, TriggerKind, TriggerRequest};
pub use error::{CheckpointError, Result};
pub use failure::{FailureCounter, FailureVerdict};
pub use handle::{OperatorSnapshot, SnapshotMetrics, SubtaskStateHandle};
pub use id::{CheckpointId, CheckpointIdCounter};
pub use metadata::{FileScope, Metadata, OpaqueBytes, OperatorState, SnapshotKind, StateFile, SubtaskState};
pub use paths::SnapshotLocation;
pub use pending::{AckOutcome, PendingCheckpoint};
pub use plan::{CheckpointPlan, VertexPlan};
pub use relative_path::RelativePath;
pub use stats::{CheckpointStats, CheckpointStatsTracker, CheckpointStatus, TaskStats};
pub use store::{AddOutcome, CompletedCheckpointStore};
pub use task::{TaskKey, VertexId};
