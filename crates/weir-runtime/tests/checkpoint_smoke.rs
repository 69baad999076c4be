//! Checkpoints in a running job, without failures: barriers flow, every subtask acknowledges,
//! `_metadata` is written in the agreed layout, and the job result carries the history.

mod common;

use std::time::Duration;
use weir_connectors::DataGenSource;
use weir_runtime::CheckpointingMode;
use weir_testkit::CollectSink;

#[test]
fn a_bounded_job_completes_a_final_checkpoint_and_finishes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = common::env(2);
    env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.path().display().to_string())
        .set_config("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    let sink = CollectSink::new();
    env.from_source(DataGenSource::new(|i| i).with_count(50_000), "numbers")
        .map(|x| x * 2)
        .rebalance()
        .filter(|x| x % 3 == 0)
        .sink_to(sink.clone());
    let result = env.execute("smoke").expect("job");
    let mut values = sink.values();
    values.sort_unstable();
    let expected: Vec<u64> = (0..50_000).map(|x| x * 2).filter(|x| x % 3 == 0).collect();
    assert_eq!(values, expected);
    let completed: Vec<_> = result.checkpoints.iter().filter(|c| c.completed).collect();
    assert!(!completed.is_empty(), "at least the final checkpoint completes: {:?}", result.checkpoints);
    println!("{result}");
}
