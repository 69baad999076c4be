//! Automatic recovery with a damaged latest checkpoint: the job restores from the previous
//! intact one (and says which it skipped), and retention leaves no failed checkpoint behind.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use weir_connectors::{BlackholeSink, DataGenSource};
use weir_runtime::prelude::*;
use weir_runtime::{CheckpointingMode, FaultInjector, FaultPoint};

/// Counts per key; remembers which checkpoint each instance was restored from.
#[derive(Clone)]
struct CountPerKey {
    count: ValueStateDescriptor<u64>,
    restored_from: Arc<Mutex<Vec<u64>>>,
}

impl KeyedProcessFunction<u64, u64, u64> for CountPerKey {
    fn open(&mut self, ctx: &OperatorContext) -> Result<()> {
        if let Some(restored) = &ctx.restored {
            self.restored_from.lock().expect("lock").push(restored.checkpoint_id);
        }
        Ok(())
    }

    fn process_element(&mut self, value: u64, ctx: &mut KeyedContext<'_, u64, u64>) -> Result<()> {
        let mut count = ctx.value(&self.count)?;
        let n = count.value().unwrap_or(0) + 1;
        count.update(n);
        ctx.collect(value);
        Ok(())
    }
}

/// Once at least two checkpoints are complete: damages the newest `_metadata` and fails the job
/// before the next one's metadata is written.
struct CorruptNewest {
    base: PathBuf,
    corrupted: AtomicU64,
}

fn completed_checkpoints(base: &Path) -> Vec<(u64, PathBuf)> {
    let mut found = Vec::new();
    for job in std::fs::read_dir(base).into_iter().flatten().flatten() {
        for chk in std::fs::read_dir(job.path()).into_iter().flatten().flatten() {
            let name = chk.file_name().to_string_lossy().to_string();
            if let Some(id) = name.strip_prefix("chk-").and_then(|n| n.parse().ok())
                && chk.path().join("_metadata").exists()
            {
                found.push((id, chk.path()));
            }
        }
    }
    found.sort();
    found
}

impl FaultInjector for CorruptNewest {
    fn should_fail(&self, point: FaultPoint, _task: &str, _subtask: usize) -> bool {
        if point != FaultPoint::BeforeMetadata || self.corrupted.load(Ordering::SeqCst) != 0 {
            return false;
        }
        let completed = completed_checkpoints(&self.base);
        let Some((id, dir)) = completed.last().filter(|_| completed.len() >= 2) else { return false };
        let path = dir.join("_metadata");
        let mut bytes = std::fs::read(&path).expect("read _metadata");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x5a;
        std::fs::write(&path, bytes).expect("damage _metadata");
        self.corrupted.store(*id, Ordering::SeqCst);
        true
    }
}

#[test]
fn a_damaged_latest_checkpoint_is_skipped_and_the_previous_one_restored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("checkpoints");
    let env = common::env(1);
    env.enable_checkpointing(Duration::from_millis(15), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", base.display().to_string())
        .set_config("state.checkpoints.num-retained", "3")
        .set_config("restart-strategy.type", "fixed-delay")
        .set_config("restart-strategy.fixed-delay.delay", "0 ms");
    let injector = Arc::new(CorruptNewest { base: base.clone(), corrupted: AtomicU64::new(0) });
    env.set_fault_injector(injector.clone());
    let restored_from = Arc::new(Mutex::new(Vec::new()));
    let function = CountPerKey { count: ValueStateDescriptor::new("count"), restored_from: Arc::clone(&restored_from) };
    env.from_source(DataGenSource::new(|i| i % 97).with_count(40_000).with_rate_limit(100_000.0), "numbers")
        .key_by(|x: &u64| *x)
        .process(function)
        .sink_to(BlackholeSink::new());
    let result = env.execute("fallback").expect("the job recovers");

    let corrupted = injector.corrupted.load(Ordering::SeqCst);
    assert!(corrupted > 0, "the test damaged a checkpoint");
    assert_eq!(result.restarts, 1);
    let restored = restored_from.lock().expect("lock").clone();
    assert!(!restored.is_empty(), "the keyed operator was restored");
    assert!(
        restored.iter().all(|&id| id < corrupted),
        "restored from {restored:?}, not from the damaged checkpoint {corrupted}"
    );
    // The job finished: with the default retention every checkpoint is gone, the damaged one too.
    assert!(completed_checkpoints(&base).is_empty(), "{:?}", completed_checkpoints(&base));
}

#[test]
fn retention_keeps_the_newest_checkpoints_and_no_failed_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = dir.path().join("checkpoints");
    let env = common::env(2);
    env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", base.display().to_string())
        .set_config("state.checkpoints.num-retained", "2")
        .set_config("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    // Fail the job for good (no restart strategy) after some checkpoints: retained checkpoints
    // of a failed job are kept, and only the newest two.
    struct FailLate(AtomicU64);
    impl FaultInjector for FailLate {
        fn should_fail(&self, point: FaultPoint, _task: &str, _subtask: usize) -> bool {
            point == FaultPoint::BeforeMetadata && self.0.fetch_add(1, Ordering::SeqCst) == 5
        }
    }
    env.set_fault_injector(Arc::new(FailLate(AtomicU64::new(0))));
    env.set_config("restart-strategy.type", "none");
    env.from_source(DataGenSource::new(|i| i % 11).with_count(1_000_000).with_rate_limit(200_000.0), "numbers")
        .key_by(|x: &u64| *x)
        .reduce(|a, b| a + b)
        .sink_to(BlackholeSink::new());
    let err = env.execute("retention").expect_err("the job fails").to_string();
    assert!(err.contains("injected failure before writing checkpoint"), "{err}");
    let completed = completed_checkpoints(&base);
    assert_eq!(completed.len(), 2, "{completed:?}");
    let job_dir = completed[0].1.parent().expect("job dir").to_path_buf();
    let dirs: Vec<String> = std::fs::read_dir(&job_dir)
        .expect("job dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("chk-"))
        .collect();
    assert_eq!(dirs.len(), 2, "no directory of a failed or discarded checkpoint is left: {dirs:?}");
}
