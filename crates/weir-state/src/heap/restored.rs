//! State restored from a snapshot that no descriptor has named yet.
//!
//! Keyed state is typed on its first access, but a restore happens before any access. So the
//! restored entries stay serialized, per state name and key group, until a descriptor registers
//! the name; then they are decoded into its typed table. A read-only access (`map_get`) decodes
//! them into a side table without registering. A state this run never names is written back to
//! the next snapshot as it came, so it does not vanish because this run did not touch it.

use std::cell::OnceCell;
use std::sync::Arc;
use weir_core::{KeyGroup, KeyGroupRange};

use super::table::ErasedTable;
use crate::descriptor::StateKind;
use crate::error::{Result, StateError};
use crate::ttl::StateTtlConfig;

/// The serialized entries of one state in one key group, and how many keys they hold.
pub(crate) struct RestoredGroup {
    pub(crate) entries: u64,
    /// Shared with the snapshots that write them back.
    pub(crate) bytes: Arc<Vec<u8>>,
}

/// One restored state not registered yet.
pub(crate) struct RestoredState {
    pub(crate) kind: StateKind,
    pub(crate) ttl: bool,
    /// By position in the backend's range.
    pub(crate) groups: Vec<Option<RestoredGroup>>,
    /// Decoded by a read-only access, with the TTL it was read with.
    pub(crate) decoded: OnceCell<(Box<dyn ErasedTable>, Option<StateTtlConfig>)>,
}

impl RestoredState {
    pub(crate) fn new(kind: StateKind, ttl: bool, key_groups: usize) -> Self {
        RestoredState { kind, ttl, groups: (0..key_groups).map(|_| None).collect(), decoded: OnceCell::new() }
    }

    pub(crate) fn entry_count(&self) -> u64 {
        self.groups.iter().flatten().map(|g| g.entries).sum()
    }

    /// Decodes every key group into `table`; errors name the state and the key group.
    pub(crate) fn decode_into(&self, name: &str, range: KeyGroupRange, table: &mut dyn ErasedTable) -> Result<()> {
        for (offset, group) in self.groups.iter().enumerate() {
            if let Some(group) = group {
                table.decode_group(offset, &group.bytes).map_err(|source| StateError::Decode {
                    state: name.to_string(),
                    group: KeyGroup(range.start + offset as u32),
                    source,
                })?;
            }
        }
        Ok(())
    }
}
