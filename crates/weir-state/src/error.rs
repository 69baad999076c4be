//! weir-state's error type.

use weir_core::{KeyGroup, KeyGroupRange};

use crate::descriptor::StateKind;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// State was accessed with no current key (outside of a keyed context).
    #[error(
        "state '{state}' was accessed without a current key; keyed state is only available while processing a keyed record or timer"
    )]
    NoCurrentKey { state: String },
    /// A key arrived at a subtask that does not own its key group: a routing bug.
    #[error("key group {group} is not in this subtask's range {range}; the record was routed to the wrong subtask")]
    KeyGroupOutOfRange { group: KeyGroup, range: KeyGroupRange },
    /// One name was declared as two kinds or two types of state.
    #[error("state '{name}' is registered as {registered}, but was requested as {requested}")]
    Mismatch { name: String, registered: String, requested: String },
    /// A descriptor with an empty name.
    #[error("a state descriptor needs a non-empty name")]
    EmptyName,
    /// A state was snapshotted with TTL and requested without, or the other way round.
    #[error(
        "state '{name}' was snapshotted {} a TTL but is now declared {} one; changing a state's TTL across a restore is not supported",
        if *.snapshot_ttl { "with" } else { "without" },
        if *.snapshot_ttl { "without" } else { "with" }
    )]
    TtlMismatch { name: String, snapshot_ttl: bool },
    /// Two snapshots given to one restore hold the same key group (they came from overlapping
    /// subtasks, which a consistent checkpoint never has).
    #[error("key group {group} of state '{name}' appears in more than one of the restored snapshots")]
    DuplicateKeyGroup { name: String, group: KeyGroup },
    /// A state's entries could not be written.
    #[error("state '{state}' could not be serialized: {source}")]
    Encode { state: String, source: postcard::Error },
    /// A state's entries in a snapshot could not be read: the snapshot is corrupt or was written
    /// with other types.
    #[error("state '{state}' (key group {group}) could not be deserialized from the snapshot: {source}")]
    Decode { state: String, group: KeyGroup, source: postcard::Error },
    /// An element of an operator state in a snapshot could not be read.
    #[error("operator state '{state}' could not be deserialized from the snapshot (element {element}): {source}")]
    DecodeOperatorState { state: String, element: usize, source: postcard::Error },
    /// Operator state has no TTL (as in Flink); the descriptor asked for one.
    #[error("operator state '{name}' was declared with a TTL; TTL is supported for keyed state only")]
    TtlOnOperatorState { name: String },
    /// The bytes are not a snapshot of the expected kind, or are cut short or changed.
    #[error("{what}: {problem}")]
    CorruptSnapshot { what: &'static str, problem: String },
    /// The bytes are a snapshot of a format version this build cannot read.
    #[error("{what} has format version {found}, but this build reads only version {supported}")]
    UnsupportedVersion { what: &'static str, found: u16, supported: u16 },
    /// A state backend option has a bad value (the message names the key).
    #[error("{0}")]
    Config(String),
    /// RocksDB refused an operation of the `rocksdb` backend.
    #[error("RocksDB could not {action} (database '{}'): {source}", .path.display())]
    RocksDb { action: String, path: std::path::PathBuf, source: rocksdb::Error },
    /// The `rocksdb` backend found its database not as it left it.
    #[error("rocksdb backend: {0}")]
    Store(String),
    /// A file operation of the `rocksdb` backend failed.
    #[error("cannot {action} '{}': {source}", .path.display())]
    Io { action: &'static str, path: std::path::PathBuf, source: std::io::Error },
    /// A key or value stored in RocksDB could not be read back.
    #[error("state '{state}': an entry in RocksDB could not be deserialized: {source}")]
    DecodeStored { state: String, source: postcard::Error },
    /// A snapshot the backend cannot restore from (named, with what to do).
    #[error("{0}")]
    Unrestorable(String),
    /// An operator state restore got a subtask index outside the new parallelism.
    #[error("subtask {subtask} is out of range for parallelism {parallelism}")]
    SubtaskOutOfRange { subtask: usize, parallelism: usize },
}

impl StateError {
    pub(crate) fn mismatch(name: &str, registered: (StateKind, &str), requested: (StateKind, &str)) -> Self {
        StateError::Mismatch {
            name: name.to_string(),
            registered: format!("{} of {}", registered.0, registered.1),
            requested: format!("{} of {}", requested.0, requested.1),
        }
    }
}

impl From<StateError> for weir_core::Error {
    fn from(error: StateError) -> Self {
        match error {
            StateError::KeyGroupOutOfRange { .. } | StateError::SubtaskOutOfRange { .. } => {
                weir_core::Error::Internal(error.to_string())
            }
            StateError::Config(message) => weir_core::Error::Config(message),
            _ => weir_core::Error::user(error),
        }
    }
}

pub type Result<T, E = StateError> = std::result::Result<T, E>;
