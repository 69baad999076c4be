//! [`KeyedStateSnapshot`]: the serialized keyed state of one subtask, by key group.
//!
//! Organised key group first (then state name), so a restore at another parallelism takes
//! exactly the key groups it owns and skips the rest without decoding them. Each state's entries
//! of one key group are one postcard blob (a sequence of `(key, stored state)` pairs) that only a
//! typed descriptor can decode; the snapshot itself is typeless.
//!
//! The bytes are framed by [`crate::envelope`]: magic `WEIRKEYS`, format version, checksum.

use serde::{Deserialize, Serialize};
use weir_core::{KeyGroup, KeyGroupRange};

use crate::descriptor::StateKind;
use crate::envelope;
use crate::error::{Result, StateError};

const MAGIC: &[u8; 8] = b"WEIRKEYS";
/// The format version written and read by this build. Version 1: this layout.
pub const KEYED_SNAPSHOT_VERSION: u16 = 1;
const WHAT: &str = "keyed state snapshot";

/// The keyed state of one subtask at one checkpoint: its key-group range and, per key group
/// holding state, every state's serialized entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedStateSnapshot {
    pub(crate) range: KeyGroupRange,
    /// Key groups with state only, ascending.
    pub(crate) groups: Vec<KeyGroupSnapshot>,
}

/// The state of one key group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyGroupSnapshot {
    pub(crate) group: KeyGroup,
    pub(crate) states: Vec<StateEntries>,
}

/// One state's entries in one key group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StateEntries {
    pub(crate) name: String,
    pub(crate) kind: StateKind,
    /// Whether the stored values carry TTL timestamps.
    pub(crate) ttl: bool,
    /// How many keys the blob holds.
    pub(crate) entries: u64,
    #[serde(with = "crate::raw_bytes")]
    pub(crate) bytes: Vec<u8>,
}

impl KeyedStateSnapshot {
    /// The key groups of the subtask that took the snapshot.
    pub fn key_group_range(&self) -> KeyGroupRange {
        self.range
    }

    /// How many keys hold state, over all states (a key with two states counts twice).
    pub fn entry_count(&self) -> u64 {
        self.groups.iter().flat_map(|g| &g.states).map(|s| s.entries).sum()
    }

    /// The snapshot as framed bytes (see the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let body =
            postcard::to_stdvec(self).expect("a snapshot of strings, integers and byte vectors always serializes");
        envelope::seal(MAGIC, KEYED_SNAPSHOT_VERSION, &body)
    }

    /// Reads bytes written by [`to_bytes`](Self::to_bytes); refuses other magics, other format
    /// versions and damaged bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let body = envelope::open(bytes, MAGIC, KEYED_SNAPSHOT_VERSION, WHAT)?;
        let corrupt = |problem: String| StateError::CorruptSnapshot { what: WHAT, problem };
        let (snapshot, rest): (KeyedStateSnapshot, _) =
            postcard::take_from_bytes(body).map_err(|e| corrupt(format!("cannot decode the body: {e}")))?;
        if !rest.is_empty() {
            return Err(corrupt(format!("{} bytes follow the body", rest.len())));
        }
        if snapshot.groups.iter().any(|g| !snapshot.range.contains(g.group)) {
            return Err(corrupt(format!("it holds key groups outside its range {}", snapshot.range)));
        }
        Ok(snapshot)
    }
}
