//! [`CheckpointStatsTracker`]: the history of checkpoints for the job result, logs and the REST API
//! — id, trigger time, duration, outcome and, per acknowledging task, its sync, async and
//! alignment times and state size (Flink's `CheckpointStatsTracker`).
//!
//! The history is bounded (the newest [`DEFAULT_HISTORY_SIZE`] by default, like Flink's
//! `web.checkpoints.history`); totals and the latest completed and failed checkpoints are kept
//! apart so they survive the history. It is **not** a metrics exporter or a logger.

use crate::abort::AbortReason;
use crate::handle::SnapshotMetrics;
use crate::id::CheckpointId;
use crate::metadata::SnapshotKind;
use crate::task::TaskKey;
use std::collections::VecDeque;
use std::time::Duration;
use weir_core::Timestamp;

/// How many checkpoints the history keeps by default.
pub const DEFAULT_HISTORY_SIZE: usize = 10;

/// What one task reported with its acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskStats {
    pub task: TaskKey,
    /// Wall-clock time the acknowledgement arrived.
    pub ack_timestamp: Timestamp,
    pub metrics: SnapshotMetrics,
    pub state_size: u64,
}

/// Where a checkpoint stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointStatus {
    /// Triggered, not yet completed or aborted.
    InProgress,
    /// `_metadata` written.
    Completed,
    /// Aborted, for this reason.
    Failed { reason: AbortReason },
}

/// The statistics of one checkpoint or savepoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointStats {
    pub id: CheckpointId,
    pub kind: SnapshotKind,
    pub trigger_timestamp: Timestamp,
    /// When it completed or failed (wall clock).
    pub end_timestamp: Option<Timestamp>,
    pub status: CheckpointStatus,
    /// How many tasks had to acknowledge.
    pub num_tasks: usize,
    /// The acknowledgements received, in arrival order.
    pub tasks: Vec<TaskStats>,
}

impl CheckpointStats {
    /// Trigger to end, or `None` while in progress.
    pub fn duration(&self) -> Option<Duration> {
        self.end_timestamp.map(|end| Duration::from_millis(end.saturating_sub(self.trigger_timestamp).max(0) as u64))
    }

    /// Bytes of state acknowledged so far.
    pub fn state_size(&self) -> u64 {
        self.tasks.iter().map(|t| t.state_size).sum()
    }

    pub fn max_sync_duration(&self) -> Duration {
        self.tasks.iter().map(|t| t.metrics.sync_duration).max().unwrap_or_default()
    }

    pub fn max_async_duration(&self) -> Duration {
        self.tasks.iter().map(|t| t.metrics.async_duration).max().unwrap_or_default()
    }

    pub fn max_alignment_duration(&self) -> Duration {
        self.tasks.iter().map(|t| t.metrics.alignment_duration).max().unwrap_or_default()
    }
}

/// Totals over the job's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointCounts {
    pub triggered: u64,
    pub completed: u64,
    pub failed: u64,
}

impl CheckpointCounts {
    pub fn in_progress(&self) -> u64 {
        self.triggered.saturating_sub(self.completed + self.failed)
    }
}

/// Bounded checkpoint history plus totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointStatsTracker {
    capacity: usize,
    history: VecDeque<CheckpointStats>,
    counts: CheckpointCounts,
    latest_completed: Option<CheckpointStats>,
    latest_failed: Option<CheckpointStats>,
}

impl Default for CheckpointStatsTracker {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY_SIZE)
    }
}

impl CheckpointStatsTracker {
    /// A tracker keeping the newest `capacity` checkpoints (at least one).
    pub fn new(capacity: usize) -> Self {
        CheckpointStatsTracker {
            capacity: capacity.max(1),
            history: VecDeque::new(),
            counts: CheckpointCounts::default(),
            latest_completed: None,
            latest_failed: None,
        }
    }

    pub fn report_triggered(
        &mut self,
        id: CheckpointId,
        kind: SnapshotKind,
        trigger_timestamp: Timestamp,
        num_tasks: usize,
    ) {
        self.counts.triggered += 1;
        if self.history.len() == self.capacity {
            self.history.pop_front();
        }
        let status = CheckpointStatus::InProgress;
        self.history.push_back(CheckpointStats {
            id,
            kind,
            trigger_timestamp,
            end_timestamp: None,
            status,
            num_tasks,
            tasks: Vec::new(),
        });
    }

    pub fn report_acknowledged(&mut self, id: CheckpointId, stats: TaskStats) {
        if let Some(entry) = self.entry(id) {
            entry.tasks.push(stats);
        }
    }

    pub fn report_completed(&mut self, id: CheckpointId, end_timestamp: Timestamp) {
        self.counts.completed += 1;
        if let Some(entry) = self.entry(id) {
            entry.end_timestamp = Some(end_timestamp);
            entry.status = CheckpointStatus::Completed;
            self.latest_completed = Some(entry.clone());
        }
    }

    pub fn report_failed(&mut self, id: CheckpointId, end_timestamp: Timestamp, reason: AbortReason) {
        self.counts.failed += 1;
        if let Some(entry) = self.entry(id) {
            entry.end_timestamp = Some(end_timestamp);
            entry.status = CheckpointStatus::Failed { reason };
            self.latest_failed = Some(entry.clone());
        }
    }

    fn entry(&mut self, id: CheckpointId) -> Option<&mut CheckpointStats> {
        self.history.iter_mut().rev().find(|s| s.id == id)
    }

    /// The newest checkpoints, oldest first.
    pub fn history(&self) -> impl DoubleEndedIterator<Item = &CheckpointStats> {
        self.history.iter()
    }

    pub fn get(&self, id: CheckpointId) -> Option<&CheckpointStats> {
        self.history.iter().find(|s| s.id == id)
    }

    pub fn counts(&self) -> CheckpointCounts {
        self.counts
    }

    pub fn latest_completed(&self) -> Option<&CheckpointStats> {
        self.latest_completed.as_ref()
    }

    pub fn latest_failed(&self) -> Option<&CheckpointStats> {
        self.latest_failed.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(task: u32, sync_ms: u64, size: u64) -> TaskStats {
        TaskStats {
            task: TaskKey::new(task, 0),
            ack_timestamp: 0,
            metrics: SnapshotMetrics { sync_duration: Duration::from_millis(sync_ms), ..SnapshotMetrics::default() },
            state_size: size,
        }
    }

    #[test]
    fn records_a_checkpoints_life() {
        let mut tracker = CheckpointStatsTracker::default();
        tracker.report_triggered(CheckpointId(1), SnapshotKind::Checkpoint, 1_000, 2);
        assert_eq!(tracker.get(CheckpointId(1)).map(|s| s.duration()), Some(None));
        tracker.report_acknowledged(CheckpointId(1), ack(0, 3, 100));
        tracker.report_acknowledged(CheckpointId(1), ack(1, 7, 50));
        tracker.report_completed(CheckpointId(1), 1_250);
        let stats = tracker.latest_completed().expect("completed");
        assert_eq!(stats.duration(), Some(Duration::from_millis(250)));
        assert_eq!(stats.state_size(), 150);
        assert_eq!(stats.max_sync_duration(), Duration::from_millis(7));
        assert_eq!(tracker.counts(), CheckpointCounts { triggered: 1, completed: 1, failed: 0 });
    }

    #[test]
    fn the_history_is_bounded_but_totals_and_latest_survive() {
        let mut tracker = CheckpointStatsTracker::new(2);
        for id in 1..=5 {
            tracker.report_triggered(CheckpointId(id), SnapshotKind::Checkpoint, 0, 1);
        }
        tracker.report_failed(CheckpointId(5), 10, AbortReason::Shutdown);
        let ids: Vec<u64> = tracker.history().map(|s| s.id.0).collect();
        assert_eq!(ids, vec![4, 5]);
        assert_eq!(tracker.counts().in_progress(), 4);
        assert_eq!(
            tracker.latest_failed().map(|s| s.status.clone()),
            Some(CheckpointStatus::Failed { reason: AbortReason::Shutdown })
        );
    }
}
