//! [`DataGenSplit`]: one arithmetic sequence of generator indices and its position.

use serde::{Deserialize, Serialize};
use weir_core::source::{SourceSplit, SplitId};

/// The indices `next, next + stride, next + 2·stride, ...` below `end`.
///
/// Bounded sources use contiguous ranges (stride 1); unbounded ones use interleaved sequences
/// (`stride` = the number of splits, `end` = `u64::MAX`, which no job reaches).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DataGenSplit {
    /// This split's number, `0..split_count`.
    pub id: u64,
    /// How many splits the sequence was cut into. A reader's share of the rate limit is
    /// `1 / split_count` per unfinished split it holds.
    pub split_count: u64,
    /// The next index to generate: the position.
    pub next: u64,
    /// The distance between two consecutive indices (at least 1).
    pub stride: u64,
    /// The first index not to generate (exclusive).
    pub end: u64,
}

impl DataGenSplit {
    /// Split `id` of `split_count` contiguous ranges covering `0..count`, at its start.
    pub fn range(id: u64, split_count: u64, count: u64) -> Self {
        let bound = |i: u64| (u128::from(i) * u128::from(count) / u128::from(split_count.max(1))) as u64;
        DataGenSplit { id, split_count, next: bound(id), stride: 1, end: bound(id + 1) }
    }

    /// Split `id` of `split_count` interleaved, unbounded sequences, at its start.
    pub fn strided(id: u64, split_count: u64) -> Self {
        DataGenSplit { id, split_count, next: id, stride: split_count.max(1), end: u64::MAX }
    }

    /// How many indices are left.
    pub fn remaining(&self) -> u64 {
        if self.next >= self.end || self.stride == 0 { 0 } else { (self.end - 1 - self.next) / self.stride + 1 }
    }

    pub fn is_finished(&self) -> bool {
        self.remaining() == 0
    }

    /// Whether the fields are consistent (a split restored from elsewhere might not be).
    pub fn is_well_formed(&self) -> bool {
        self.stride >= 1 && self.split_count >= 1 && self.id < self.split_count
    }

    /// Moves the position past `emitted` indices (at most [`remaining`](Self::remaining)).
    pub(crate) fn advance(&mut self, emitted: u64) {
        self.next = self.next.saturating_add(emitted.saturating_mul(self.stride));
    }
}

impl SourceSplit for DataGenSplit {
    /// The split's number: `0`, `1`, ... (unique within a source; the same at every position).
    fn split_id(&self) -> SplitId {
        SplitId::new(self.id.to_string())
    }
}
