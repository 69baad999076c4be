//! Per-operator, per-subtask record counters, written by the subtask's thread and read by the
//! job manager for progress and for the job result.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(crate) struct OperatorMetrics {
    records_in: AtomicU64,
    records_out: AtomicU64,
}

impl OperatorMetrics {
    #[inline]
    pub(crate) fn add_in(&self, n: usize) {
        self.records_in.fetch_add(n as u64, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn add_out(&self, n: usize) {
        self.records_out.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn records_in(&self) -> u64 {
        self.records_in.load(Ordering::Relaxed)
    }

    pub(crate) fn records_out(&self) -> u64 {
        self.records_out.load(Ordering::Relaxed)
    }
}
