//! Observing and steering checkpoints from a test without sleeping: [`CheckpointWatch`] counts
//! completed checkpoints as the job manager writes them, [`SnapshotGate`] holds one checkpoint in
//! flight until the test lets it go. Waits are bounded only as a safety net: a test that hits the
//! limit fails, naming what it waited for.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use weir_core::Data;
use weir_core::operator::OneInputOperator;
use weir_core::output::Output;
use weir_core::record::Batch;
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_runtime::{FaultInjector, FaultPoint};

/// How long a test waits for something that takes milliseconds when all is well.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A counter that threads wait on.
#[derive(Default)]
struct Count {
    value: Mutex<u64>,
    changed: Condvar,
}

impl Count {
    fn add(&self) {
        *self.value.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.changed.notify_all();
    }

    fn get(&self) -> u64 {
        *self.value.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until the count reaches `n`; panics after `limit` naming `what`.
    fn wait_for(&self, n: u64, limit: Duration, what: &str) {
        let value = self.value.lock().unwrap_or_else(|e| e.into_inner());
        let (value, timeout) =
            self.changed.wait_timeout_while(value, limit, |v| *v < n).unwrap_or_else(|e| e.into_inner());
        assert!(!timeout.timed_out(), "waited {limit:?} for {n} {what}, saw {}", *value);
    }
}

/// A fault injector that never fails and counts the checkpoints whose `_metadata` the job
/// manager wrote (its `AfterMetadata` fault point).
#[derive(Default)]
pub struct CheckpointWatch {
    completed: Count,
}

impl CheckpointWatch {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    pub fn completed(&self) -> u64 {
        self.completed.get()
    }

    /// Waits until at least `n` checkpoints completed.
    pub fn wait_for_completed(&self, n: u64) {
        self.completed.wait_for(n, PATIENCE, "completed checkpoints");
    }
}

impl FaultInjector for CheckpointWatch {
    fn should_fail(&self, point: FaultPoint, _task: &str, _subtask: usize) -> bool {
        if point == FaultPoint::AfterMetadata {
            self.completed.add();
        }
        false
    }
}

/// A pass-through operator whose instances, when checkpoint `hold` reaches them, stop in their
/// snapshot until [`SnapshotGate::release`]: that checkpoint stays in flight as long as the test
/// wants.
#[derive(Clone)]
pub struct SnapshotGate {
    hold: u64,
    shared: Arc<GateShared>,
}

#[derive(Default)]
struct GateShared {
    holding: Count,
    released: Mutex<bool>,
    changed: Condvar,
}

impl SnapshotGate {
    pub fn holding(checkpoint: u64) -> Self {
        SnapshotGate { hold: checkpoint, shared: Arc::default() }
    }

    /// Waits until `instances` instances are held in the snapshot of the checkpoint.
    pub fn wait_until_held(&self, instances: u64) {
        self.shared.holding.wait_for(instances, PATIENCE, "instances held in their snapshot");
    }

    /// Lets every held instance (and every later one) go on.
    pub fn release(&self) {
        *self.shared.released.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.shared.changed.notify_all();
    }
}

impl<T: Data> OneInputOperator<T, T> for SnapshotGate {
    fn process_batch(&mut self, batch: Batch<T>, out: &mut Output<T>) -> weir_core::Result<()> {
        out.emit_batch(batch);
        Ok(())
    }

    fn snapshot_state(
        &mut self,
        checkpoint: &CheckpointInfo,
        _out: &mut Output<T>,
    ) -> weir_core::Result<Option<StateSnapshot>> {
        if checkpoint.id == self.hold {
            self.shared.holding.add();
            let released = self.shared.released.lock().unwrap_or_else(|e| e.into_inner());
            let (_released, timeout) =
                self.shared.changed.wait_timeout_while(released, PATIENCE, |r| !*r).unwrap_or_else(|e| e.into_inner());
            assert!(!timeout.timed_out(), "the test never released checkpoint {}", self.hold);
        }
        Ok(None)
    }
}

/// The `chk-<n>` directories under `job_dir`, by id, and whether each has its `_metadata`.
pub fn checkpoint_dirs(job_dir: &Path) -> Vec<(u64, bool)> {
    let mut found: Vec<(u64, bool)> = std::fs::read_dir(job_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().to_string();
            let id = name.strip_prefix("chk-")?.parse().ok()?;
            Some((id, entry.path().join("_metadata").exists()))
        })
        .collect();
    found.sort_unstable();
    found
}

/// The job directories (`<dir>/<job-id>`) under a checkpoint directory.
pub fn job_dirs(checkpoints_dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(checkpoints_dir).into_iter().flatten().flatten().map(|e| e.path()).collect()
}
