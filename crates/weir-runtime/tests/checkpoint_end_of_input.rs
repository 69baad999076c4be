//! A bounded job whose input ends while a checkpoint is in flight: that checkpoint still
//! completes (its barrier is ahead of the end of input), the final checkpoint after it covers
//! the rest, and the two-phase-commit sink has committed every record when the job finishes —
//! nothing staged is left behind.
//!
//! (checkpoint_smoke.rs covers the final checkpoint of a bounded job; here the end of input is
//! made to happen while checkpoint 1 is held in flight, so the overlap is certain.)

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE, SnapshotGate};
use crossbeam_channel::{Receiver, Sender, bounded};
use std::cell::Cell;
use std::path::Path;
use std::time::Duration;
use weir_connectors::ExactlyOnceFileSink;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::output::Output;
use weir_core::record::Batch;
use weir_core::source::{Boundedness, ReaderOutput, Source, SourcePoll, SourceReader, SourceSplit, SplitId};
use weir_runtime::CheckpointingMode;
use weir_runtime::prelude::*;

/// Records emitted before the first checkpoint reaches the source, and after it.
const BEFORE: u64 = 500;
const AFTER: u64 = 300;

/// One split: emits `BEFORE` records, waits for a checkpoint to take its position, emits `AFTER`
/// more and ends, telling `ended`.
struct EndsAfterACheckpoint {
    ended: Sender<()>,
}

/// The only split: the next record to emit.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Position(u64);

impl SourceSplit for Position {
    fn split_id(&self) -> SplitId {
        SplitId::new("the split")
    }
}

impl Source<u64> for EndsAfterACheckpoint {
    type Split = Position;
    fn name(&self) -> &str {
        "Ends after a checkpoint"
    }
    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }
    fn create_splits(&self, _parallelism: usize) -> weir_core::Result<Vec<Position>> {
        Ok(vec![Position(0)])
    }
    fn create_reader(&self, _ctx: &OperatorContext) -> weir_core::Result<Box<dyn SourceReader<u64, Position>>> {
        Ok(Box::new(Reader { next: None, snapshotted: Cell::new(false), ended: self.ended.clone() }))
    }
}

struct Reader {
    /// The next record to emit; `None` without a split.
    next: Option<u64>,
    snapshotted: Cell<bool>,
    ended: Sender<()>,
}

impl SourceReader<u64, Position> for Reader {
    fn add_splits(&mut self, splits: Vec<Position>) -> weir_core::Result<()> {
        if let Some(Position(position)) = splits.first() {
            self.next = Some(*position);
        }
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<u64>, _max_records: usize) -> weir_core::Result<SourcePoll> {
        let Some(next) = self.next else { return Ok(SourcePoll::Finished) };
        if next == BEFORE && !self.snapshotted.get() {
            return Ok(SourcePoll::NothingAvailable { retry_after: Duration::from_secs(3600) });
        }
        if next == BEFORE + AFTER {
            let _ = self.ended.send(());
            return Ok(SourcePoll::Finished);
        }
        out.split(&Position(next).split_id()).collect(next);
        self.next = Some(next + 1);
        Ok(SourcePoll::MoreAvailable)
    }

    fn snapshot_splits(&self) -> Vec<Position> {
        self.snapshotted.set(true);
        self.next.into_iter().map(Position).collect()
    }
}

/// Every committed line, sorted; fails on a file left uncommitted (hidden).
fn committed_output(dir: &Path) -> Vec<u64> {
    let mut values = Vec::new();
    for entry in std::fs::read_dir(dir).expect("output dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().to_string();
        assert!(!name.starts_with('.'), "uncommitted file {name} left behind in {}", dir.display());
        let text = std::fs::read_to_string(entry.path()).expect("part file");
        values.extend(text.lines().map(|line| line.parse::<u64>().expect("a number")));
    }
    values.sort_unstable();
    values
}

#[test]
fn a_job_ending_with_a_checkpoint_in_flight_commits_all_its_output() {
    let dirs = tempfile::tempdir().expect("tempdir");
    let (checkpoints, out) = (dirs.path().join("checkpoints"), dirs.path().join("out"));
    let env = common::env(2);
    env.checkpoint_config()
        .set_checkpoint_interval(Duration::from_millis(10))
        .expect("interval")
        .set_checkpointing_mode(CheckpointingMode::ExactlyOnce)
        .set_checkpoint_storage(&checkpoints)
        .expect("dir");
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let (ended_tx, ended): (Sender<()>, Receiver<()>) = bounded(1);
    let gate = SnapshotGate::holding(1);
    env.from_source(EndsAfterACheckpoint { ended: ended_tx }, "numbers")
        .set_parallelism(1)
        .rebalance()
        .transform("Gate", gate.clone())
        .sink_to(ExactlyOnceFileSink::lines(&out));
    let client = env.execute_async("ends with a checkpoint in flight").expect("submitted");

    // Checkpoint 1 took the source's position and is held at both gates; the source went on and
    // ended behind it.
    gate.wait_until_held(2);
    ended.recv_timeout(PATIENCE).expect("the source ended");
    assert_eq!(watch.completed(), 0, "checkpoint 1 is still in flight");
    gate.release();

    let result = client.wait_timeout(PATIENCE).expect("the job ended").expect("it finishes");
    assert_eq!(result.status, JobStatus::Finished);
    let completed: Vec<u64> = result.checkpoints.iter().filter(|c| c.completed).map(|c| c.id).collect();
    assert_eq!(completed.first(), Some(&1), "the checkpoint in flight at the end completed: {:?}", result.checkpoints);
    assert!(completed.len() >= 2, "a final checkpoint followed it: {:?}", result.checkpoints);
    assert!(result.checkpoints.iter().all(|c| c.completed), "none failed: {:?}", result.checkpoints);
    assert_eq!(committed_output(&out), (0..BEFORE + AFTER).collect::<Vec<_>>(), "every record, committed once");
}

/// A pass-through operator that takes a while to close (flushing, releasing resources).
#[derive(Clone)]
struct SlowClose;

impl OneInputOperator<u64, u64> for SlowClose {
    fn process_batch(&mut self, batch: Batch<u64>, out: &mut Output<u64>) -> weir_core::Result<()> {
        out.emit_batch(batch);
        Ok(())
    }

    fn on_close(&mut self) -> weir_core::Result<()> {
        std::thread::sleep(Duration::from_millis(50)); // the closing work, not a wait
        Ok(())
    }
}

/// Regression: once the final checkpoint completed, the job manager went on triggering periodic
/// checkpoints while the subtasks closed, and the job's end aborted them — a finished job
/// reported failed checkpoints. Closing takes five checkpoint intervals here.
#[test]
fn nothing_is_triggered_after_the_final_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = common::env(2);
    env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.path().display().to_string());
    env.from_collection((0..1000u64).collect())
        .transform("Slow close", SlowClose)
        .sink_to(weir_connectors::BlackholeSink::new());
    let result = env.execute("closes slowly").expect("finished");
    assert!(!result.checkpoints.is_empty(), "a final checkpoint was taken");
    assert!(result.checkpoints.iter().all(|c| c.completed), "{:?}", result.checkpoints);
}
