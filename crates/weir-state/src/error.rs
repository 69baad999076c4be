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
            StateError::KeyGroupOutOfRange { .. } => weir_core::Error::Internal(error.to_string()),
            _ => weir_core::Error::user(error),
        }
    }
}

pub type Result<T, E = StateError> = std::result::Result<T, E>;
