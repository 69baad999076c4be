//! [`OperatorStateSnapshot`]: the serialized operator state of one subtask.
//!
//! Every state is written element by element (a list element, or a broadcast `(key, value)`
//! entry, each its own postcard blob), with its [`OperatorStateMode`], so a restore can deal the
//! elements out to new subtasks without knowing their types. Framed like keyed snapshots: magic
//! `WEIROPST`, format version, checksum.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::envelope;
use crate::error::{Result, StateError};

const MAGIC: &[u8; 8] = b"WEIROPST";
/// The format version written and read by this build. Version 1: this layout.
pub const OPERATOR_SNAPSHOT_VERSION: u16 = 1;
const WHAT: &str = "operator state snapshot";

/// How a state is handed out when the operator is restored, possibly at another parallelism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperatorStateMode {
    /// The elements of all old subtasks are dealt round-robin to the new subtasks.
    SplitList,
    /// Every new subtask gets every element of every old subtask.
    UnionList,
    /// Every new subtask gets the copy of the lowest old subtask that has one.
    Broadcast,
}

impl fmt::Display for OperatorStateMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OperatorStateMode::SplitList => "operator ListState",
            OperatorStateMode::UnionList => "operator union ListState",
            OperatorStateMode::Broadcast => "BroadcastState",
        })
    }
}

/// The operator state of one subtask at one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorStateSnapshot {
    /// By name, ascending.
    pub(crate) states: Vec<OperatorStateEntries>,
}

/// One state's elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OperatorStateEntries {
    pub(crate) name: String,
    pub(crate) mode: OperatorStateMode,
    pub(crate) elements: Vec<Vec<u8>>,
}

impl OperatorStateSnapshot {
    /// How many elements the state `name` holds here, `None` if the snapshot has no such state.
    pub fn element_count(&self, name: &str) -> Option<usize> {
        self.states.iter().find(|s| s.name == name).map(|s| s.elements.len())
    }

    /// The snapshot as framed bytes (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let body = postcard::to_stdvec(self).expect("a snapshot of strings, enums and byte vectors always serializes");
        envelope::seal(MAGIC, OPERATOR_SNAPSHOT_VERSION, &body)
    }

    /// Reads bytes written by [`to_bytes`](Self::to_bytes); refuses other magics, other format
    /// versions and damaged bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let body = envelope::open(bytes, MAGIC, OPERATOR_SNAPSHOT_VERSION, WHAT)?;
        let corrupt = |problem: String| StateError::CorruptSnapshot { what: WHAT, problem };
        let (snapshot, rest): (OperatorStateSnapshot, _) =
            postcard::take_from_bytes(body).map_err(|e| corrupt(format!("cannot decode the body: {e}")))?;
        if !rest.is_empty() {
            return Err(corrupt(format!("{} bytes follow the body", rest.len())));
        }
        Ok(snapshot)
    }
}
