//! Unit tests of the exactly-once file sink's writer, on temporary directories. The failure and
//! replay sequences compared with an uninterrupted run are in `tests/exactly_once_file_sink.rs`.

use super::*;
use crate::file::{FileSink, FileSource};
use crate::testing::{context, read_to_end, readers};
use std::fs;
use std::path::Path;
use std::sync::Arc;
use weir_core::operator::OperatorContext;
use weir_core::record::Record;
use weir_core::sink::{Sink, SinkWriter};
use weir_core::snapshot::{CheckpointInfo, RestoredState};
use weir_core::source::Source;

fn checkpoint(id: u64) -> CheckpointInfo {
    CheckpointInfo { id, timestamp: 0, is_savepoint: false }
}

fn checkpointing(subtask: usize, parallelism: usize) -> OperatorContext {
    context(subtask, parallelism).with_checkpointing(true)
}

fn restoring(subtask: usize, parallelism: usize, id: u64, snapshots: &[&[u8]], rescaled: bool) -> OperatorContext {
    let snapshots = snapshots.iter().map(|bytes| Arc::new(bytes.to_vec())).collect();
    checkpointing(subtask, parallelism).with_restored(Some(Arc::new(RestoredState {
        checkpoint_id: id,
        snapshots,
        rescaled,
        ..RestoredState::default()
    })))
}

fn writer(dir: &Path, ctx: &OperatorContext) -> Box<dyn SinkWriter<u32>> {
    ExactlyOnceFileSink::lines(dir).create_writer(ctx).expect("writer")
}

fn write(writer: &mut dyn SinkWriter<u32>, values: impl IntoIterator<Item = u32>) {
    writer.write_batch(values.into_iter().map(Record::new).collect()).expect("write");
}

fn snapshot(writer: &mut dyn SinkWriter<u32>, id: u64) -> Vec<u8> {
    writer.snapshot_state(&checkpoint(id)).expect("snapshot").expect("the sink always has state")
}

/// Every file name in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What a reader of the directory sees (hidden files skipped).
fn visible(dir: &Path) -> Vec<String> {
    let source = FileSource::new(dir);
    let splits = source.create_splits(1).expect("splits");
    readers(&source, splits, 1).into_iter().flat_map(|mut r| read_to_end(r.as_mut(), 100)).collect()
}

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).expect("read part file")
}

#[test]
fn nothing_is_visible_before_the_checkpoint_completes_and_everything_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    write(w.as_mut(), [1, 2]);
    assert_eq!(names(dir.path()), Vec::<String>::new(), "buffered, no file yet");
    w.finish().expect("flush");
    assert_eq!(names(dir.path()), [".part-0-0.inprogress"]);
    snapshot(w.as_mut(), 1);
    assert_eq!(names(dir.path()), [".part-0-0.pending"]);
    assert!(visible(dir.path()).is_empty());

    w.notify_checkpoint_complete(1).expect("commit");
    assert_eq!(names(dir.path()), ["part-0-0"]);
    assert_eq!(visible(dir.path()), ["1", "2"]);
}

#[test]
fn a_notification_commits_its_checkpoint_and_earlier_ones_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    for (id, value) in [(1, 10), (2, 20), (3, 30)] {
        write(w.as_mut(), [value]);
        snapshot(w.as_mut(), id);
    }
    w.notify_checkpoint_complete(2).expect("commit 1 and 2");
    assert_eq!(names(dir.path()), [".part-0-2.pending", "part-0-0", "part-0-1"]);
    w.notify_checkpoint_complete(2).expect("a repeated notification is harmless");
    w.notify_checkpoint_complete(3).expect("commit 3");
    assert_eq!(names(dir.path()), ["part-0-0", "part-0-1", "part-0-2"]);
    assert_eq!(visible(dir.path()), ["10", "20", "30"]);
}

#[test]
fn a_checkpoint_with_nothing_written_stages_nothing_and_uses_no_sequence_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    let state = WriterState::decode(&snapshot(w.as_mut(), 1), "test").expect("decode");
    assert_eq!(state, WriterState { subtask: 0, next_seq: 0, pending: vec![] });
    write(w.as_mut(), [7]);
    let state = WriterState::decode(&snapshot(w.as_mut(), 2), "test").expect("decode");
    assert_eq!(
        state,
        WriterState {
            subtask: 0,
            next_seq: 1,
            pending: vec![PendingCheckpoint { checkpoint_id: 2, parts: vec![PartFile::new(0, 0)] }]
        }
    );
    snapshot(w.as_mut(), 3);
    assert_eq!(names(dir.path()), [".part-0-0.pending"]);
}

#[test]
fn without_checkpoints_the_end_of_input_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &context(0, 1));
    write(w.as_mut(), [1, 2, 3]);
    w.finish().expect("finish");
    assert_eq!(names(dir.path()), ["part-0-0"]);
    assert_eq!(read(dir.path(), "part-0-0"), "1\n2\n3\n");
}

#[test]
fn with_checkpoints_the_end_of_input_waits_for_the_final_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    write(w.as_mut(), [1, 2, 3]);
    w.finish().expect("finish");
    assert_eq!(names(dir.path()), [".part-0-0.inprogress"]);
    assert_eq!(read(dir.path(), ".part-0-0.inprogress"), "1\n2\n3\n", "flushed");
    snapshot(w.as_mut(), 9);
    assert!(visible(dir.path()).is_empty());
    w.notify_checkpoint_complete(9).expect("commit");
    assert_eq!(names(dir.path()), ["part-0-0"]);
}

#[test]
fn a_restore_commits_what_its_checkpoint_staged_and_deletes_what_came_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    write(w.as_mut(), [1]);
    snapshot(w.as_mut(), 1);
    w.notify_checkpoint_complete(1).expect("commit 1");
    write(w.as_mut(), [2]);
    let state2 = snapshot(w.as_mut(), 2);
    write(w.as_mut(), [3]);
    snapshot(w.as_mut(), 3); // never completes
    write(w.as_mut(), [4]);
    w.finish().expect("flush");
    drop(w); // the crash: checkpoint 2 completed, but the writer was never told
    assert_eq!(names(dir.path()), [".part-0-1.pending", ".part-0-2.pending", ".part-0-3.inprogress", "part-0-0"]);

    let mut w = writer(dir.path(), &restoring(0, 1, 2, &[&state2], false));
    assert_eq!(names(dir.path()), ["part-0-0", "part-0-1"]);
    assert_eq!(visible(dir.path()), ["1", "2"]);
    // The source replays 3 and 4; the new part file continues after every name seen.
    write(w.as_mut(), [3, 4]);
    snapshot(w.as_mut(), 4);
    w.notify_checkpoint_complete(4).expect("commit");
    assert_eq!(names(dir.path()), ["part-0-0", "part-0-1", "part-0-4"]);
    assert_eq!(visible(dir.path()), ["1", "2", "3", "4"]);
}

#[test]
fn a_restore_after_a_crash_between_renames_commits_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    for (id, value) in [(1, 1), (2, 2), (3, 3)] {
        write(w.as_mut(), [value]);
        snapshot(w.as_mut(), id);
    }
    let state3 = snapshot(w.as_mut(), 4); // stages nothing, but lists 1..3 as pending
    drop(w);
    // The failed writer's notify(3) renamed the first two files and crashed before the third.
    for seq in [0, 1] {
        fs::rename(dir.path().join(format!(".part-0-{seq}.pending")), dir.path().join(format!("part-0-{seq}")))
            .expect("rename");
    }
    let w = writer(dir.path(), &restoring(0, 1, 4, &[&state3], false));
    assert_eq!(names(dir.path()), ["part-0-0", "part-0-1", "part-0-2"]);
    drop(w);
    // And a second restore from the same checkpoint (another crash) finds everything committed.
    writer(dir.path(), &restoring(0, 1, 4, &[&state3], false));
    assert_eq!(visible(dir.path()), ["1", "2", "3"]);
}

#[test]
fn a_restore_without_state_of_this_subtask_starts_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [".part-0-3.pending", ".part-0-4.inprogress", "part-0-2", ".part-1-0.inprogress", "other"] {
        fs::write(dir.path().join(name), "x\n").expect("write");
    }
    let mut w = writer(dir.path(), &restoring(0, 2, 5, &[], false));
    assert_eq!(names(dir.path()), [".part-1-0.inprogress", "other", "part-0-2"]);
    write(w.as_mut(), [1]);
    w.finish().expect("flush");
    assert!(names(dir.path()).contains(&".part-0-5.inprogress".to_string()), "after every seq seen");
    drop(w);
    // An empty snapshot (a subtask that kept no state) is no state either.
    writer(dir.path(), &restoring(0, 2, 5, &[b""], false));
    assert_eq!(names(dir.path()), [".part-1-0.inprogress", "other", "part-0-2"]);
}

#[test]
fn a_corrupt_state_fails_the_restore_naming_the_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err =
        ExactlyOnceFileSink::<u32>::lines(dir.path()).create_writer(&restoring(0, 1, 12, &[b"junk"], false)).err();
    let err = err.expect("corrupt").to_string();
    assert!(err.contains("checkpoint 12") && err.contains("bad magic"), "{err}");
}

#[test]
fn a_visible_file_is_never_overwritten() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    fs::write(dir.path().join("part-0-0"), "someone else's\n").expect("write");
    write(w.as_mut(), [1]);
    let err = w.snapshot_state(&checkpoint(1)).expect_err("name taken").to_string();
    assert!(err.contains("part-0-0") && err.contains("Not overwriting"), "{err}");
    assert_eq!(read(dir.path(), "part-0-0"), "someone else's\n");
    let err = w.notify_checkpoint_complete(1).expect_err("poisoned").to_string();
    assert!(err.contains("refusing further calls"), "{err}");
}

#[test]
fn after_a_failed_rename_the_writer_refuses_further_calls() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    write(w.as_mut(), [1]);
    w.finish().expect("flush");
    fs::remove_file(dir.path().join(".part-0-0.inprogress")).expect("pulled from under the writer");
    let err = w.snapshot_state(&checkpoint(1)).expect_err("rename fails").to_string();
    assert!(err.contains(".part-0-0.inprogress"), "{err}");
    assert!(w.write_batch(vec![Record::new(2)]).is_err());
    assert!(w.finish().is_err());
}

#[test]
fn large_parts_are_written_past_the_buffer_and_committed_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = writer(dir.path(), &checkpointing(0, 1));
    let n = 30_000u32; // more than one 64 KiB buffer
    write(w.as_mut(), 0..n);
    assert_eq!(names(dir.path()), [".part-0-0.inprogress"], "written before the barrier");
    snapshot(w.as_mut(), 1);
    w.notify_checkpoint_complete(1).expect("commit");
    let expected: String = (0..n).map(|i| format!("{i}\n")).collect();
    assert_eq!(read(dir.path(), "part-0-0"), expected);
}

#[test]
fn subtasks_write_their_own_part_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = FileSink::lines(dir.path()).exactly_once();
    assert_eq!(sink.dir(), dir.path());
    let mut writers: Vec<_> = (0..2).map(|i| sink.create_writer(&checkpointing(i, 2)).expect("writer")).collect();
    for (i, w) in writers.iter_mut().enumerate() {
        write(w.as_mut(), [i as u32]);
        snapshot(w.as_mut(), 1);
        w.notify_checkpoint_complete(1).expect("commit");
    }
    assert_eq!(names(dir.path()), ["part-0-0", "part-1-0"]);
    assert_eq!(read(dir.path(), "part-1-0"), "1\n");
}

#[test]
fn after_rescaling_down_the_remaining_subtask_commits_every_old_subtasks_pending_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut old: Vec<_> = (0..2).map(|i| writer(dir.path(), &checkpointing(i, 2))).collect();
    let mut states = Vec::new();
    for (i, w) in old.iter_mut().enumerate() {
        write(w.as_mut(), [i as u32]);
        states.push(snapshot(w.as_mut(), 1));
        write(w.as_mut(), [100 + i as u32]); // after checkpoint 1: replayed, so discarded
        w.finish().expect("flush");
    }
    drop(old);
    let snapshots: Vec<&[u8]> = states.iter().map(Vec::as_slice).collect();
    let mut w = writer(dir.path(), &restoring(0, 1, 1, &snapshots, true));
    assert_eq!(names(dir.path()), ["part-0-0", "part-1-0"], "subtask 1's leftovers are subtask 0's now");
    write(w.as_mut(), [2]);
    snapshot(w.as_mut(), 2);
    w.notify_checkpoint_complete(2).expect("commit");
    assert_eq!(names(dir.path()), ["part-0-0", "part-0-2", "part-1-0"]);
}
