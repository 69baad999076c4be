//! Restore equivalence for the exactly-once file sink: whatever sequence of writes, checkpoints,
//! completions, notifications and crashes a job goes through, the visible part files hold
//! exactly the records of an uninterrupted run, in order, once the job ends.
//!
//! [`Job`] plays the runtime around one sink subtask: a source that rewinds to the checkpointed
//! position on restore, a coordinator that completes checkpoints (and may fail before telling
//! the sink), and restarts from the last completed checkpoint.

use proptest::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weir_connectors::ExactlyOnceFileSink;
use weir_connectors::file::exactly_once::{PartFile, Stage, WriterState};
use weir_core::OperatorUid;
use weir_core::operator::OperatorContext;
use weir_core::record::Record;
use weir_core::sink::{Sink, SinkWriter};
use weir_core::snapshot::{CheckpointInfo, RestoredState};

/// A checkpoint the sink has snapshotted: where the source was, and the sink's state.
#[derive(Debug, Clone)]
struct Checkpoint {
    id: u64,
    position: usize,
    state: Vec<u8>,
}

/// One sink subtask in a job with checkpoints, reading the records `0..input_len`.
struct Job {
    dir: PathBuf,
    input_len: usize,
    /// The next record the source emits.
    position: usize,
    writer: Box<dyn SinkWriter<u32>>,
    next_checkpoint_id: u64,
    /// Snapshotted, not yet completed (newer than `completed`).
    taken: Vec<Checkpoint>,
    /// The last completed checkpoint: restores start from it.
    completed: Option<Checkpoint>,
}

fn context() -> OperatorContext {
    OperatorContext::new("sink", OperatorUid("sink".into()), 0, 1, 128).with_checkpointing(true)
}

fn sink(dir: &Path) -> ExactlyOnceFileSink<u32> {
    ExactlyOnceFileSink::lines(dir)
}

fn expected(records: usize) -> String {
    (0..records).map(|i| format!("{i}\n")).collect()
}

/// The visible part files of subtask 0, concatenated in sequence order.
fn visible_output(dir: &Path) -> String {
    let mut parts: Vec<PartFile> = fs::read_dir(dir)
        .expect("list")
        .filter_map(|e| PartFile::parse(e.expect("entry").file_name().to_str()?))
        .filter(|(_, stage)| *stage == Stage::Committed)
        .map(|(part, _)| part)
        .collect();
    parts.sort();
    parts.iter().map(|p| fs::read_to_string(p.path(dir, Stage::Committed)).expect("read part")).collect()
}

fn hidden_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    names.sort();
    names
}

impl Job {
    fn start(dir: &Path, input_len: usize) -> Job {
        Job {
            dir: dir.to_path_buf(),
            input_len,
            position: 0,
            writer: sink(dir).create_writer(&context()).expect("writer"),
            next_checkpoint_id: 1,
            taken: Vec::new(),
            completed: None,
        }
    }

    /// The source emits up to `n` more records.
    fn write(&mut self, n: usize) {
        let end = (self.position + n).min(self.input_len);
        let batch = (self.position..end).map(|i| Record::new(i as u32)).collect();
        self.writer.write_batch(batch).expect("write");
        self.position = end;
    }

    /// A barrier passes the sink.
    fn snapshot(&mut self) -> u64 {
        let id = self.next_checkpoint_id;
        self.next_checkpoint_id += 1;
        let info = CheckpointInfo { id, timestamp: 0, is_savepoint: false };
        let state = self.writer.snapshot_state(&info).expect("snapshot").expect("state");
        self.taken.push(Checkpoint { id, position: self.position, state });
        id
    }

    /// The coordinator completes the `pick`-th (modulo) snapshotted checkpoint, subsuming older
    /// ones, and tells the sink if `notify`. Returns whether there was one to complete.
    fn complete(&mut self, pick: usize, notify: bool) -> bool {
        if self.taken.is_empty() {
            return false;
        }
        let index = pick % self.taken.len();
        let checkpoint = self.taken[index].clone();
        self.taken.drain(..=index);
        if notify {
            self.writer.notify_checkpoint_complete(checkpoint.id).expect("commit");
            let visible = visible_output(&self.dir);
            assert_eq!(visible, expected(checkpoint.position), "after notify({})", checkpoint.id);
        }
        self.completed = Some(checkpoint);
        true
    }

    /// The job fails; the runtime restores the last completed checkpoint (or starts afresh).
    fn crash_and_restore(&mut self) {
        let ctx = match &self.completed {
            None => context(),
            Some(c) => context().with_restored(Some(Arc::new(RestoredState {
                checkpoint_id: c.id,
                snapshots: vec![Arc::new(c.state.clone())],
                rescaled: false,
                ..RestoredState::default()
            }))),
        };
        // The failed writer is gone before the new one starts (the crash).
        self.writer = Box::new(NoWriter);
        self.writer = sink(&self.dir).create_writer(&ctx).expect("restored writer");
        self.position = self.completed.as_ref().map_or(0, |c| c.position);
        self.taken.clear();
        assert_eq!(visible_output(&self.dir), expected(self.position), "after restoring");
        assert_eq!(hidden_files(&self.dir), Vec::<String>::new(), "after restoring");
    }

    /// The failed writer had started committing the last completed checkpoint: renames the first
    /// pending file its state lists by hand, as a writer that crashed after one rename leaves it.
    fn crash_mid_commit(&mut self) {
        if let Some(c) = &self.completed {
            let state = WriterState::decode(&c.state, "test").expect("decode");
            if let Some(part) = state.pending_parts().next() {
                let (pending, committed) =
                    (part.path(&self.dir, Stage::Pending), part.path(&self.dir, Stage::Committed));
                if pending.exists() {
                    fs::rename(pending, committed).expect("rename");
                }
            }
        }
        self.crash_and_restore();
    }

    /// The input ends: the rest is read, the final checkpoint is taken and completed.
    fn finish(mut self) -> String {
        self.write(self.input_len);
        self.writer.finish().expect("finish");
        self.snapshot();
        let last = self.taken.len() - 1;
        assert!(self.complete(last, true));
        assert_eq!(hidden_files(&self.dir), Vec::<String>::new(), "at the end");
        visible_output(&self.dir)
    }
}

/// A writer standing for the failed one between the crash and the restore.
struct NoWriter;

impl SinkWriter<u32> for NoWriter {
    fn write_batch(&mut self, _: Vec<Record<u32>>) -> weir_core::Result<()> {
        Ok(())
    }
}

#[test]
fn an_uninterrupted_run_commits_everything_at_its_final_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut job = Job::start(dir.path(), 10);
    job.write(4);
    job.snapshot();
    job.write(3);
    assert_eq!(visible_output(dir.path()), "");
    assert_eq!(job.finish(), expected(10));
}

#[test]
fn a_job_failing_several_times_writes_each_record_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut job = Job::start(dir.path(), 40);
    job.write(5);
    job.snapshot(); // 1
    job.write(5);
    job.snapshot(); // 2
    assert!(job.complete(0, true)); // notify(1): 0..5 visible
    job.write(5);
    assert!(job.complete(0, false)); // 2 completes, but the sink never hears of it
    job.crash_and_restore(); // commits 2's pending file, deletes the records after it: 0..10 visible
    job.write(7);
    job.snapshot(); // 3
    job.write(2);
    job.crash_and_restore(); // 3 never completed: back to 2
    job.write(12);
    job.snapshot(); // 4
    job.write(1);
    job.snapshot(); // 5
    assert!(job.complete(1, false)); // 5 completes, subsuming 4
    job.crash_mid_commit(); // one of 5's files was committed before the crash
    job.write(3);
    job.crash_and_restore(); // again from 5
    assert_eq!(job.finish(), expected(40));
}

#[test]
fn without_checkpoints_a_restarted_job_starts_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context().with_checkpointing(false);
    let mut writer = sink(dir.path()).create_writer(&ctx).expect("writer");
    writer.write_batch((0..20_000).map(Record::new).collect()).expect("write past the buffer");
    assert_eq!(hidden_files(dir.path()), [".part-0-0.inprogress"]);
    drop(writer); // failed before its end of input
    let mut writer = sink(dir.path()).create_writer(&ctx).expect("writer");
    assert_eq!(hidden_files(dir.path()), Vec::<String>::new());
    writer.write_batch((0..30_000).map(Record::new).collect()).expect("write");
    assert_eq!(visible_output(dir.path()), "");
    writer.finish().expect("commit");
    assert_eq!(visible_output(dir.path()), expected(30_000));
}

/// One step of the job's life.
#[derive(Debug, Clone)]
enum Step {
    Write(usize),
    Snapshot,
    Complete { pick: usize, notify: bool },
    Crash,
    CrashMidCommit,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..20usize).prop_map(Step::Write),
        3 => Just(Step::Snapshot),
        3 => (0..4usize, any::<bool>()).prop_map(|(pick, notify)| Step::Complete { pick, notify }),
        1 => Just(Step::Crash),
        1 => Just(Step::CrashMidCommit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Any sequence of steps ends with the uninterrupted run's output, byte for byte; in between
    /// the visible output is always the input up to the last notified or restored checkpoint.
    #[test]
    fn any_failure_sequence_ends_with_the_uninterrupted_output(
        input_len in 0..120usize,
        steps in proptest::collection::vec(step(), 0..40),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut job = Job::start(dir.path(), input_len);
        for step in steps {
            match step {
                Step::Write(n) => job.write(n),
                Step::Snapshot => {
                    job.snapshot();
                }
                Step::Complete { pick, notify } => {
                    job.complete(pick, notify);
                }
                Step::Crash => job.crash_and_restore(),
                Step::CrashMidCommit => job.crash_mid_commit(),
            }
        }
        prop_assert_eq!(job.finish(), expected(input_len));
    }
}
