//! Checkpoints under backpressure: the sink is slow, every channel on the way fills and the
//! sources block, and barriers queue behind the buffered records — yet checkpoints complete, in
//! both modes. The test runs until a number of checkpoints completed (counted as the job manager
//! writes them) and then cancels the job; nothing waits on a clock.

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE};
use std::time::Duration;
use weir_connectors::{BlackholeSink, DataGenSource};
use weir_runtime::{CancelOutcome, CheckpointingMode};

const BATCH: u64 = 64;
const BUFFERS_PER_CHANNEL: u64 = 2;
const PARALLELISM: u64 = 2;
const CHECKPOINTS: u64 = 5;
/// What the slow sink spends on a record (at least: sleeps never end early).
const SINK_WORK: Duration = Duration::from_micros(100);

fn checkpoints_complete_behind_buffered_records(mode: CheckpointingMode) {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = common::env(PARALLELISM as usize);
    env.set_config("execution.batch-size", BATCH.to_string())
        .set_config("taskmanager.network.memory.buffers-per-channel", BUFFERS_PER_CHANNEL.to_string());
    env.checkpoint_config()
        .set_checkpoint_interval(Duration::from_millis(10))
        .expect("interval")
        .set_checkpointing_mode(mode)
        .set_checkpoint_storage(dir.path())
        .expect("dir");
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    // Unthrottled sources, a keyed exchange (every consumer aligns two channels) and a keyed
    // reduce whose state every checkpoint carries, then a sink slower than the sources.
    env.from_source(DataGenSource::new(|i| i), "numbers")
        .key_by(|x: &u64| x % 97)
        .reduce(|a, b| a.wrapping_add(b))
        .map(|x| {
            std::thread::sleep(SINK_WORK); // the slow sink's work, not a wait
            x
        })
        .sink_to(BlackholeSink::new());
    let client = env.execute_async("slow sink").expect("submitted");

    watch.wait_for_completed(CHECKPOINTS);
    assert_eq!(client.cancel(), CancelOutcome::Requested);
    let result = client.wait_timeout(PATIENCE).expect("the job stopped").expect("cancelled");

    println!("{result}");
    let completed = result.checkpoints.iter().filter(|c| c.completed).count() as u64;
    assert!(completed >= CHECKPOINTS, "{mode}: {:?}", result.checkpoints);
    // Nothing expired or was declined; only a checkpoint in flight at the cancel may have been
    // aborted, by the cancel.
    for failed in result.checkpoints.iter().filter(|c| !c.completed) {
        assert_eq!(failed.failure.as_deref(), Some("the job ended"), "{mode}: {failed:?}");
    }
    // A barrier sent into a full channel waits behind its records: at least one checkpoint took
    // as long as the sink needs for one channel's worth.
    let longest = result.checkpoints.iter().filter_map(|c| c.duration).max().unwrap_or_default();
    let one_channel = SINK_WORK * (BUFFERS_PER_CHANNEL * BATCH) as u32;
    assert!(longest >= one_channel, "{mode}: the longest checkpoint took {longest:?}, less than {one_channel:?}");
    // The sources were held back: they ran ahead of the sink by no more than the channels and
    // the writers' buffers hold (unthrottled, they make millions of records a second).
    let produced = result.operator("Source: numbers").expect("source").records_out;
    let consumed = result.operator("Map").expect("slow map").records_in;
    let channels = PARALLELISM * PARALLELISM;
    let buffered = channels * (BUFFERS_PER_CHANNEL + 2) * BATCH + PARALLELISM * BATCH;
    assert!(consumed > 0, "{result}");
    assert!(produced - consumed <= buffered, "{mode}: {produced} produced, {consumed} consumed, bound {buffered}");
}

#[test]
fn aligned_checkpoints_complete_under_backpressure() {
    checkpoints_complete_behind_buffered_records(CheckpointingMode::ExactlyOnce);
}

#[test]
fn at_least_once_checkpoints_complete_under_backpressure() {
    checkpoints_complete_behind_buffered_records(CheckpointingMode::AtLeastOnce);
}
