//! [`FailureCounter`]: counts consecutive checkpoint failures and says when the job must fail
//! (Flink's `CheckpointFailureManager`).
//!
//! Rules, as in Flink: only aborts whose reason [counts](crate::AbortReason::counts_as_failure)
//! are counted, savepoints never are, each checkpoint id at most once, and a failure of a
//! checkpoint older than the last successful one is ignored (it was overtaken). A success resets
//! the count. When the count exceeds `tolerable`, the verdict is [`FailureVerdict::FailJob`] and
//! the count starts again from zero (the job restarts). It is **not** a restart strategy.

use crate::abort::AbortReason;
use crate::id::CheckpointId;
use crate::metadata::SnapshotKind;
use std::collections::BTreeSet;

/// What a failure means for the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureVerdict {
    /// The failure does not count (its reason, a savepoint, an overtaken or already counted id).
    Ignored,
    /// Counted, and still within `tolerable` consecutive failures.
    Tolerated { consecutive: usize },
    /// Counted, and now more than `tolerable` consecutive failures: fail the job.
    FailJob { consecutive: usize },
}

/// Counts consecutive checkpoint failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureCounter {
    tolerable: usize,
    counted: BTreeSet<CheckpointId>,
    last_success: Option<CheckpointId>,
}

impl FailureCounter {
    pub fn new(tolerable: usize) -> Self {
        FailureCounter { tolerable, counted: BTreeSet::new(), last_success: None }
    }

    /// Consecutive counted failures so far.
    pub fn consecutive(&self) -> usize {
        self.counted.len()
    }

    pub fn tolerable(&self) -> usize {
        self.tolerable
    }

    /// Records that checkpoint `id` was aborted for `reason`.
    pub fn on_failure(&mut self, id: CheckpointId, kind: SnapshotKind, reason: &AbortReason) -> FailureVerdict {
        let overtaken = self.last_success.is_some_and(|last| id < last);
        if kind == SnapshotKind::Savepoint || !reason.counts_as_failure() || overtaken || !self.counted.insert(id) {
            return FailureVerdict::Ignored;
        }
        let consecutive = self.counted.len();
        if consecutive > self.tolerable {
            self.counted.clear();
            FailureVerdict::FailJob { consecutive }
        } else {
            FailureVerdict::Tolerated { consecutive }
        }
    }

    /// Records that checkpoint (or savepoint) `id` completed: the count starts again.
    pub fn on_success(&mut self, id: CheckpointId) {
        self.last_success = Some(self.last_success.map_or(id, |last| last.max(id)));
        self.counted.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const EXPIRED: AbortReason = AbortReason::Expired { timeout: Duration::from_secs(1) };

    #[test]
    fn fails_the_job_when_consecutive_failures_exceed_the_tolerable_number() {
        let mut counter = FailureCounter::new(2);
        let c = SnapshotKind::Checkpoint;
        assert_eq!(counter.on_failure(CheckpointId(1), c, &EXPIRED), FailureVerdict::Tolerated { consecutive: 1 });
        assert_eq!(counter.on_failure(CheckpointId(2), c, &EXPIRED), FailureVerdict::Tolerated { consecutive: 2 });
        assert_eq!(counter.on_failure(CheckpointId(3), c, &EXPIRED), FailureVerdict::FailJob { consecutive: 3 });
        assert_eq!(counter.consecutive(), 0);
    }

    #[test]
    fn zero_tolerable_fails_on_the_first_failure() {
        let mut counter = FailureCounter::new(0);
        let verdict = counter.on_failure(CheckpointId(1), SnapshotKind::Checkpoint, &EXPIRED);
        assert_eq!(verdict, FailureVerdict::FailJob { consecutive: 1 });
    }

    #[test]
    fn success_resets_and_overtaken_failures_do_not_count() {
        let mut counter = FailureCounter::new(1);
        let c = SnapshotKind::Checkpoint;
        assert_eq!(counter.on_failure(CheckpointId(1), c, &EXPIRED), FailureVerdict::Tolerated { consecutive: 1 });
        counter.on_success(CheckpointId(3));
        assert_eq!(counter.consecutive(), 0);
        assert_eq!(counter.on_failure(CheckpointId(2), c, &EXPIRED), FailureVerdict::Ignored);
        assert_eq!(counter.on_failure(CheckpointId(4), c, &EXPIRED), FailureVerdict::Tolerated { consecutive: 1 });
        assert_eq!(counter.on_failure(CheckpointId(4), c, &EXPIRED), FailureVerdict::Ignored);
    }

    #[test]
    fn savepoints_and_non_counting_reasons_are_ignored() {
        let mut counter = FailureCounter::new(0);
        assert_eq!(counter.on_failure(CheckpointId(1), SnapshotKind::Savepoint, &EXPIRED), FailureVerdict::Ignored);
        let subsumed = AbortReason::Subsumed { by: CheckpointId(2) };
        assert_eq!(counter.on_failure(CheckpointId(1), SnapshotKind::Checkpoint, &subsumed), FailureVerdict::Ignored);
    }
}
