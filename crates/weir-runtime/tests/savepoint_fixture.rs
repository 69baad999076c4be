//! A savepoint written by weir, checked in under `testdata/savepoints/v1-keyed-windows/`, is
//! restored by this version (DESIGN §7: old formats stay readable). The savepoint is of a keyed,
//! event-time windowed job stopped mid-stream (`stop` without drain: open windows and their
//! timers, the source's position); `before.txt` holds what that job emitted before it stopped.
//! Restoring the job from it and running it to the end of its input must emit exactly the rest
//! of an uninterrupted run's output — so a change to the `_metadata` format, the state file
//! layout, the keyed-state or timer encoding, or the source positions that cannot read the old
//! savepoint fails here.
//!
//! The fixture is never regenerated or edited (see `testdata/savepoints/README.md`); the ignored
//! test `write_the_v1_fixture` is how it was made, kept to show it and to make the next
//! version's (into a new directory).

mod common;

use common::checkpoints::{CheckpointWatch, PATIENCE};
use std::path::PathBuf;
use std::time::Duration;
use weir_connectors::DataGenSource;
use weir_runtime::prelude::*;
use weir_runtime::{CheckpointingMode, SavepointStatus};
use weir_testkit::CollectSink;

const RECORDS: u64 = 20_000;
const KEYS: u64 = 7;

/// The fixture in this checkout. The crate's directory is read when the test runs (`cargo test`
/// sets it), not when it was compiled: a target directory cached from a clone elsewhere (CI
/// keeps one outside the clone) may hold this binary built at another path.
fn fixture_dir() -> PathBuf {
    let crate_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    crate_dir.join("../../testdata/savepoints/v1-keyed-windows")
}

/// The fixture's job at `parallelism` (source at one subtask), emitting into `sink`.
fn job(parallelism: usize, sink: &CollectSink<String>, rate: Option<f64>) -> StreamExecutionEnvironment {
    let env = common::env(parallelism);
    let source = DataGenSource::new(|i| (i % KEYS, i)).with_count(RECORDS);
    let source = match rate {
        Some(rate) => source.with_rate_limit(rate),
        None => source,
    };
    env.from_source(source, "events")
        .uid("events")
        .set_parallelism(1)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(40))
                .with_timestamp_assigner(|(_, i): &(u64, u64), _| common::jittered_timestamp(*i)),
        )
        .set_parallelism(1)
        .key_by(|(k, _): &(u64, u64)| *k)
        .window(TumblingWindows::event_time(Duration::from_millis(250)).expect("valid"))
        .process(common::SummarizeWindow)
        .uid("windows")
        .sink_to(sink.clone())
        .uid("collect");
    env
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

#[test]
fn the_v1_fixture_restores_and_its_output_completes_an_uninterrupted_run() {
    let all = CollectSink::new();
    job(2, &all, None).execute("uninterrupted").expect("runs");
    let expected = sorted(all.values());

    let before_text = std::fs::read_to_string(fixture_dir().join("before.txt")).expect("before.txt");
    let before: Vec<String> = before_text.lines().map(str::to_string).collect();
    assert!(!before.is_empty() && before.len() < expected.len(), "the fixture was taken mid-stream");

    let after = CollectSink::new();
    let env = job(3, &after, None);
    env.set_config("execution.savepoint.path", fixture_dir().join("savepoint").display().to_string());
    let result = env.execute("restored from the v1 fixture").expect("the v1 savepoint restores");
    assert_eq!(result.status, JobStatus::Finished);
    let got = sorted(before.into_iter().chain(after.values()).collect());
    assert_eq!(got.len(), expected.len(), "line count");
    assert!(got == expected, "before the stop + after the restore differs from an uninterrupted run");
}

/// How the v1 fixture was made (`cargo test -p weir-runtime --test savepoint_fixture -- \
/// --ignored`, once); it refuses to overwrite an existing fixture.
#[test]
#[ignore = "writes the checked-in fixture; run once per format version"]
fn write_the_v1_fixture() {
    let target = fixture_dir();
    assert!(!target.exists(), "{} exists: fixtures are never regenerated", target.display());
    let dir = tempfile::tempdir().expect("temp dir");
    let before = CollectSink::new();
    let env = job(2, &before, Some(20_000.0));
    env.enable_checkpointing(Duration::from_millis(20), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.path().join("checkpoints").display().to_string())
        .set_config("pipeline.auto-watermark-interval", "10 ms");
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    let client = env.execute_async("v1 fixture").expect("submitted");
    watch.wait_for_completed(10);
    let trigger = client.stop_with_savepoint(Some(dir.path()), false).expect("stop accepted");
    let Some(SavepointStatus::Completed { path }) = client.wait_for_savepoint(&trigger, PATIENCE) else {
        panic!("the savepoint did not complete");
    };
    client.wait().expect("finished");
    let savepoint = target.join("savepoint");
    std::fs::create_dir_all(&savepoint).expect("fixture dir");
    for entry in std::fs::read_dir(&path).expect("savepoint dir") {
        let entry = entry.expect("entry");
        assert!(entry.file_type().expect("type").is_file(), "a flat savepoint directory");
        std::fs::copy(entry.path(), savepoint.join(entry.file_name())).expect("copy");
    }
    let lines = sorted(before.values());
    assert!(!lines.is_empty(), "the job emitted windows before it stopped");
    std::fs::write(target.join("before.txt"), lines.join("\n") + "\n").expect("before.txt");
}
