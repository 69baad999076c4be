//! [`CheckpointId`], the number of one checkpoint or savepoint of a job, and
//! [`CheckpointIdCounter`], which hands them out (Flink's `CheckpointIDCounter`).
//!
//! Ids start at 1 and only grow, for checkpoints and savepoints alike, so "newer" is "larger".
//! The counter is plain memory: it is **not** persisted here. After a restore the job manager sets
//! it past the restored checkpoint ([`CheckpointIdCounter::starting_after`]) so ids never repeat
//! inside one job's directory.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The id of one checkpoint or savepoint of a job; its directory is `chk-<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CheckpointId(pub u64);

impl CheckpointId {
    /// The first id a job uses.
    pub const FIRST: CheckpointId = CheckpointId(1);

    /// The directory name of this checkpoint, `chk-<id>` (see [`crate::paths`]).
    pub fn dir_name(self) -> String {
        format!("chk-{}", self.0)
    }
}

impl fmt::Display for CheckpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Hands out increasing checkpoint ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointIdCounter {
    next: u64,
}

impl Default for CheckpointIdCounter {
    fn default() -> Self {
        CheckpointIdCounter { next: CheckpointId::FIRST.0 }
    }
}

impl CheckpointIdCounter {
    /// A counter whose first id is 1.
    pub fn new() -> Self {
        Self::default()
    }

    /// A counter whose first id follows `latest` (after restoring from checkpoint `latest`).
    pub fn starting_after(latest: CheckpointId) -> Self {
        CheckpointIdCounter { next: latest.0.saturating_add(1) }
    }

    /// The id the next call to [`CheckpointIdCounter::next_id`] returns.
    pub fn peek(&self) -> CheckpointId {
        CheckpointId(self.next)
    }

    /// Takes the next id.
    pub fn next_id(&mut self) -> CheckpointId {
        let id = CheckpointId(self.next);
        self.next = self.next.saturating_add(1);
        id
    }

    /// Whether `id` was handed out by this counter (it is smaller than the next one).
    pub fn has_issued(&self, id: CheckpointId) -> bool {
        id.0 < self.next && id >= CheckpointId::FIRST
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_one_and_grow() {
        let mut counter = CheckpointIdCounter::new();
        assert_eq!(counter.next_id(), CheckpointId(1));
        assert_eq!(counter.next_id(), CheckpointId(2));
        assert_eq!(counter.peek(), CheckpointId(3));
        assert!(counter.has_issued(CheckpointId(2)));
        assert!(!counter.has_issued(CheckpointId(3)));
        assert!(!counter.has_issued(CheckpointId(0)));
    }

    #[test]
    fn after_a_restore_ids_continue_past_the_restored_one() {
        let mut counter = CheckpointIdCounter::starting_after(CheckpointId(41));
        assert_eq!(counter.next_id(), CheckpointId(42));
    }

    #[test]
    fn display_and_dir_name() {
        assert_eq!(CheckpointId(7).to_string(), "7");
        assert_eq!(CheckpointId(7).dir_name(), "chk-7");
    }
}
