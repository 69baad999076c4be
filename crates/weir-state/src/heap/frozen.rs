//! [`FrozenKeyedState`]: the keyed state of a subtask as one snapshot saw it, serialized later.
//!
//! Freezing is the synchronous part of a heap snapshot and copies no entry: every table hands
//! out its key groups' maps (shared, copy-on-write, see module `table`) and restored states
//! not decoded yet hand out their bytes (shared too). [`FrozenKeyedState::encode`] — the
//! asynchronous part, run on the snapshot thread — serializes them into the same
//! [`KeyedStateSnapshot`] a synchronous snapshot would have produced.

use std::sync::Arc;
use weir_core::{KeyGroup, KeyGroupRange};

use super::snapshot::{KeyGroupSnapshot, KeyedStateSnapshot, StateEntries};
use super::table::FrozenTable;
use crate::descriptor::StateKind;
use crate::error::{Result, StateError};

/// The frozen keyed state of one subtask: `Send`, so it can go to another thread, and
/// independent of the backend, which keeps changing.
pub struct FrozenKeyedState {
    pub(crate) range: KeyGroupRange,
    pub(crate) states: Vec<FrozenState>,
}

/// One state, in the order the snapshot writes them within a key group.
pub(crate) struct FrozenState {
    pub(crate) name: String,
    pub(crate) kind: StateKind,
    pub(crate) ttl: bool,
    pub(crate) contents: FrozenContents,
}

pub(crate) enum FrozenContents {
    /// A typed table's maps.
    Table(Box<dyn FrozenTable>),
    /// A restored state nobody decoded: its serialized entries per key group, written back as
    /// they came.
    Restored(Vec<Option<(u64, Arc<Vec<u8>>)>>),
}

impl FrozenKeyedState {
    /// Serializes every state of every key group of the range (key groups without state are
    /// left out).
    pub fn encode(&self) -> Result<KeyedStateSnapshot> {
        let mut groups = Vec::new();
        for offset in 0..self.range.len() {
            let mut states = Vec::new();
            for state in &self.states {
                let encoded = match &state.contents {
                    FrozenContents::Table(table) => table
                        .encode_group(offset)
                        .map_err(|source| StateError::Encode { state: state.name.clone(), source })?,
                    FrozenContents::Restored(groups) => {
                        groups[offset].as_ref().map(|(entries, bytes)| (*entries, bytes.as_ref().clone()))
                    }
                };
                if let Some((entries, bytes)) = encoded {
                    states.push(StateEntries {
                        name: state.name.clone(),
                        kind: state.kind,
                        ttl: state.ttl,
                        entries,
                        bytes,
                    });
                }
            }
            if !states.is_empty() {
                groups.push(KeyGroupSnapshot { group: KeyGroup(self.range.start + offset as u32), states });
            }
        }
        Ok(KeyedStateSnapshot { range: self.range, groups })
    }
}
